-- After "staffed": each assignment is a move the staffed person answers and their line manager releases.
--   offered   -> accepted (the person said yes) | declined (with a reason; the task is proposed again)
--   accepted  -> released (by the line manager, by silence past the deadline, or by HR overruling a refusal)
--             |  refused  (the line manager said no, with a reason; HR reviews it)
--   refused   -> released (HR overruled) | withdrawn (HR upheld the refusal; the task is proposed again)
-- Declined and withdrawn rows stay as history and no longer book anybody's time.
ALTER TABLE assignments
    ADD COLUMN state text NOT NULL DEFAULT 'offered'
        CHECK (state IN ('offered', 'accepted', 'declined', 'released', 'refused', 'withdrawn')),
    ADD COLUMN offered_at timestamptz,
    ADD COLUMN answered_at timestamptz,
    ADD COLUMN decline_reason text,
    ADD COLUMN line_manager_id text REFERENCES employees (employee_id),
    ADD COLUMN release_due_at timestamptz,
    ADD COLUMN release_decided_at timestamptz,
    ADD COLUMN release_decided_by text,
    ADD COLUMN released_by_silence boolean NOT NULL DEFAULT false,
    ADD COLUMN refusal_reason text,
    ADD COLUMN hr_review_id text REFERENCES review_requests (review_id);
-- assignments stored before moves existed were final when they were approved
UPDATE assignments SET state = 'released';
CREATE INDEX assignments_line_manager ON assignments (line_manager_id, state);

-- The console inbox: what each login was told, once per business event (the key makes a retried or replayed
-- activity write nothing twice).
CREATE TABLE notifications (
    id             bigserial PRIMARY KEY,
    recipient      text NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    subject        text NOT NULL,
    body           text NOT NULL,
    link           text,                              -- console path the notification is about
    goal_id        text REFERENCES goals (goal_id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    read_at        timestamptz,
    business_key   text NOT NULL UNIQUE
);
CREATE INDEX notifications_by_recipient ON notifications (recipient, created_at DESC);

-- A rejected goal revised and submitted again points at the goal it revises.
ALTER TABLE goals ADD COLUMN revision_of text REFERENCES goals (goal_id);
