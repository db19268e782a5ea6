-- Crossboarding: a learning catalogue, and a 30-60-90 plan per released assignment, run on durable timers.

-- Learning items an onboarding plan may use (imported from an LMS export, or the demo's, derived from ESCO).
CREATE TABLE learning_items (
    item_id      text PRIMARY KEY,                    -- the LMS's id (stable across re-imports)
    title        text NOT NULL,
    provider     text NOT NULL,
    url          text,
    skills       text[] NOT NULL,                     -- skill names it teaches
    skill_keys   text[] NOT NULL,                     -- the same, normalised (tools.taxonomy.skill_key)
    hours        real NOT NULL CHECK (hours > 0 AND hours <= 1000),
    format       text NOT NULL CHECK (format IN ('course', 'reading', 'video', 'workshop', 'practice')),
    source       text NOT NULL,                       -- 'demo (derived from ESCO)' or the import's file name
    imported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX learning_items_skill_keys ON learning_items USING gin (skill_keys);

-- A person who leaves is kept (their history stays); owners of onboarding items fall back up the manager chain.
ALTER TABLE employees ADD COLUMN left_on date;

CREATE TABLE onboarding_plans (
    goal_id          text NOT NULL,
    task_id          text NOT NULL,
    employee_id      text NOT NULL,
    status           text NOT NULL CHECK (status IN ('drafted', 'in_review', 'active', 'completed', 'rejected')),
    summary          text NOT NULL,
    buddy_id         text REFERENCES employees (employee_id),
    gap_skills       text[] NOT NULL,                 -- the task's skills the person has no evidence of
    starts_on        date,                            -- day 0 of the plan (set when it starts)
    review_id        text REFERENCES review_requests (review_id),
    drafted_by       text NOT NULL,                   -- the model (or the offline drafter)
    productive_on    date,                            -- the day the goal's manager marked them productive
    productive_by    text,
    finished_at      timestamptz,
    finish_reason    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (goal_id, task_id, employee_id),
    FOREIGN KEY (goal_id, task_id, employee_id) REFERENCES assignments (goal_id, task_id, employee_id)
);

CREATE TABLE onboarding_items (
    goal_id           text NOT NULL,
    task_id           text NOT NULL,
    employee_id       text NOT NULL,
    item_id           text NOT NULL,                  -- L1, P1, C30 ... unique within the plan
    position          integer NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('learning', 'practice', 'checkin', 'meeting', 'admin')),
    title             text NOT NULL,
    detail            text NOT NULL,
    owner_role        text NOT NULL CHECK (owner_role IN ('person', 'goal_manager', 'line_manager', 'buddy', 'hr')),
    due_day           integer NOT NULL CHECK (due_day BETWEEN 0 AND 120),   -- offset from the plan's start
    depends_on        text[] NOT NULL DEFAULT '{}',
    learning_item_id  text REFERENCES learning_items (item_id),
    skills            text[] NOT NULL DEFAULT '{}',   -- what completing it evidences (learning, practice)
    done_at           timestamptz,
    done_by           text,
    outcome           text,                           -- a check-in's: 'productive' or 'not_yet'
    note              text,
    PRIMARY KEY (goal_id, task_id, employee_id, item_id),
    FOREIGN KEY (goal_id, task_id, employee_id) REFERENCES onboarding_plans (goal_id, task_id, employee_id)
);

INSERT INTO signal_sources (source) VALUES ('onboarding') ON CONFLICT DO NOTHING;
