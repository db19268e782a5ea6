-- Employees confirm, reject or add skills; admins can switch a signal source off (privacy).

CREATE TABLE skill_feedback (
    id bigserial PRIMARY KEY,
    employee_id text NOT NULL REFERENCES employees (employee_id) ON DELETE CASCADE,
    skill_key text NOT NULL,
    skill text NOT NULL,
    verdict text NOT NULL CHECK (verdict IN ('confirm', 'reject', 'add')),
    by_login text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX skill_feedback_employee ON skill_feedback (employee_id, skill_key, id);

CREATE TABLE signal_sources (
    source text PRIMARY KEY,
    enabled boolean NOT NULL DEFAULT true,
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO signal_sources (source) VALUES
    ('task_history'), ('tools_used'), ('project'), ('certification'), ('self_reported'), ('self_confirmed');
