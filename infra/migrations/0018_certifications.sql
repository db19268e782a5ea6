-- Certifications: a versioned catalogue of types, each person's certifications with every period kept, renewals
-- submitted for verification, which tasks need which types, and assignments flagged when a needed one lapses.

-- A type's edit adds a version (nothing is overwritten); the latest version is the one in force.
CREATE TABLE certification_types (
    type_id            text NOT NULL,                 -- stable slug ('cissp')
    version            integer NOT NULL CHECK (version >= 1),
    name               text NOT NULL,
    issuer             text NOT NULL,
    validity_months    integer CHECK (validity_months BETWEEN 1 AND 240),   -- NULL: never expires
    grace_days         integer NOT NULL DEFAULT 0 CHECK (grace_days BETWEEN 0 AND 365),
    renewal_lead_days  integer NOT NULL DEFAULT 60 CHECK (renewal_lead_days BETWEEN 0 AND 730),
    skills             text[] NOT NULL DEFAULT '{}',  -- skill names a valid certification evidences
    keywords           text[] NOT NULL DEFAULT '{}',  -- words in a task that call for it (plan grounding)
    retired            boolean NOT NULL DEFAULT false,
    edited_by          text NOT NULL,
    edited_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (type_id, version)
);

CREATE TABLE certifications (
    certification_id  text PRIMARY KEY,               -- 'cert-<employee>-<type>'
    employee_id       text NOT NULL REFERENCES employees (employee_id),
    type_id           text NOT NULL,
    credential_id     text,
    revoked_on        date,
    revoked_reason    text,
    source            text NOT NULL,                  -- 'demo', an import's file name, 'renewal'
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (employee_id, type_id)
);
CREATE INDEX certifications_type ON certifications (type_id);

-- One row per period of validity; a renewal adds the next period.
CREATE TABLE certification_periods (
    certification_id  text NOT NULL REFERENCES certifications (certification_id),
    period            integer NOT NULL CHECK (period >= 1),
    type_version      integer NOT NULL,
    issued_on         date NOT NULL,
    expires_on        date CHECK (expires_on IS NULL OR expires_on > issued_on),
    grace_days        integer NOT NULL CHECK (grace_days BETWEEN 0 AND 365),
    evidence_kind     text NOT NULL CHECK (evidence_kind IN ('import', 'file', 'reviewer', 'badge', 'demo')),
    evidence_ref      text,                           -- the file, badge id or import it came from
    confirmed_by      text,                           -- reviewer (or the verifying agent) for a renewal
    review_id         text REFERENCES review_requests (review_id),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (certification_id, period)
);

-- Renewal evidence a holder submitted; verified by the verification agent, and a reviewer when the ramp samples.
CREATE TABLE certification_renewals (
    renewal_id        text PRIMARY KEY,
    certification_id  text NOT NULL REFERENCES certifications (certification_id),
    period            integer NOT NULL,               -- the period it renews
    issued_on         date NOT NULL,
    expires_on        date,
    credential_id     text,
    evidence_ref      text NOT NULL,
    evidence_name     text NOT NULL,
    submitted_by      text NOT NULL,
    submitted_at      timestamptz NOT NULL DEFAULT now(),
    status            text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'verified', 'rejected')),
    review_id         text REFERENCES review_requests (review_id),
    decided_reason    text,
    decided_at        timestamptz,
    FOREIGN KEY (certification_id, period) REFERENCES certification_periods (certification_id, period)
);
-- One renewal at a time per period.
CREATE UNIQUE INDEX certification_renewals_open ON certification_renewals (certification_id, period)
    WHERE status = 'submitted';

-- Renewal evidence files (small: a PDF or an image of the certificate).
CREATE TABLE certification_files (
    file_id       text PRIMARY KEY,                   -- sha-256 of the content
    name          text NOT NULL,
    content_type  text NOT NULL,
    content       bytea NOT NULL,
    uploaded_by   text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

-- Which certification types a task needs (the plan's grounding, or a reviewer).
CREATE TABLE task_certifications (
    goal_id   text NOT NULL,
    task_id   text NOT NULL,
    type_id   text NOT NULL,
    set_by    text NOT NULL,                          -- 'grounding' or the reviewer's login
    reason    text NOT NULL,
    set_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (goal_id, task_id, type_id),
    FOREIGN KEY (goal_id, task_id) REFERENCES tasks (goal_id, task_id)
);

-- An assignment whose person lost a certification the task needs: HR keeps, replaces or pauses.
CREATE TABLE certification_flags (
    goal_id           text NOT NULL,
    task_id           text NOT NULL,
    employee_id       text NOT NULL,
    certification_id  text NOT NULL,
    period            integer NOT NULL,               -- the period that lapsed
    review_id         text REFERENCES review_requests (review_id),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'replaced', 'paused', 'resolved')),
    renew_by          date,                           -- 'kept': the renewal date HR accepted
    decided_by        text,
    decided_reason    text,
    flagged_at        timestamptz NOT NULL DEFAULT now(),
    decided_at        timestamptz,
    PRIMARY KEY (goal_id, task_id, employee_id, certification_id, period),
    FOREIGN KEY (goal_id, task_id, employee_id) REFERENCES assignments (goal_id, task_id, employee_id),
    FOREIGN KEY (certification_id, period) REFERENCES certification_periods (certification_id, period)
);

-- Reviews of actions that belong to no goal (a certification renewal) name what they are about instead.
ALTER TABLE review_requests ALTER COLUMN goal_id DROP NOT NULL;
ALTER TABLE review_requests ADD COLUMN subject text;
ALTER TABLE review_requests ADD COLUMN concerns text;   -- employee the action is about (may not decide it)
ALTER TABLE review_requests ADD CONSTRAINT review_requests_about CHECK (goal_id IS NOT NULL OR subject IS NOT NULL);

-- Certification reminders tell people outside any goal.
INSERT INTO signal_sources (source) VALUES ('certification') ON CONFLICT DO NOTHING;

-- Where each period's cadence workflow stands, for the daily reconciliation: the facts it last planned on, and how
-- it ended (NULL: running, or never started).
ALTER TABLE certification_periods ADD COLUMN cadence_facts jsonb;
ALTER TABLE certification_periods ADD COLUMN cadence_ended text
    CHECK (cadence_ended IN ('renewed', 'expired', 'revoked', 'superseded'));

-- Each reminder of a period, once per audience (its business key): what the holder's history shows, and what makes
-- a retried or replayed reminder send nothing twice.
CREATE TABLE certification_reminders (
    certification_id  text NOT NULL,
    period            integer NOT NULL,
    reminder_key      text NOT NULL,                  -- 'before:30', 'lapsed:0', 'expired:-30'
    audience          text NOT NULL CHECK (audience IN ('holder', 'line_manager', 'hr')),
    recipients        text[] NOT NULL,                -- logins told in the console (e-mail and chat go by outbox)
    sent_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (certification_id, period, reminder_key, audience),
    FOREIGN KEY (certification_id, period) REFERENCES certification_periods (certification_id, period)
);
