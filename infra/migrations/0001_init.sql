-- talentops schema, first version. Applied once, in order, by infra.db.migrate().

CREATE TABLE departments (
    code text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE employees (
    employee_id text PRIMARY KEY,
    name text NOT NULL,
    email text,
    title text NOT NULL,
    onet_code text,
    department text REFERENCES departments (code),
    manager_id text,
    location text,
    capacity_pct integer NOT NULL DEFAULT 100 CHECK (capacity_pct BETWEEN 0 AND 100),
    profile jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- protected attributes: used for bias audits only, never as matching input
    demographics jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_department ON employees (department);

CREATE TABLE skill_evidence (
    evidence_id bigserial PRIMARY KEY,
    employee_id text NOT NULL REFERENCES employees (employee_id) ON DELETE CASCADE,
    skill text NOT NULL,
    source text NOT NULL,
    detail text NOT NULL,
    observed_at timestamptz NOT NULL
);
CREATE INDEX skill_evidence_employee ON skill_evidence (employee_id);
CREATE INDEX skill_evidence_detail_fts ON skill_evidence USING gin (to_tsvector('english', detail));

CREATE TABLE employee_skills (
    employee_id text NOT NULL REFERENCES employees (employee_id) ON DELETE CASCADE,
    skill text NOT NULL,
    skill_key text NOT NULL,
    level real NOT NULL,
    confidence real NOT NULL,
    evidence_count integer NOT NULL,
    last_evidence timestamptz NOT NULL,
    PRIMARY KEY (employee_id, skill_key)
);
CREATE INDEX employee_skills_key ON employee_skills (skill_key);

CREATE TABLE users (
    login text PRIMARY KEY,
    display_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('manager', 'reviewer', 'admin', 'employee')),
    password_hash text NOT NULL,
    employee_id text REFERENCES employees (employee_id),
    department text REFERENCES departments (code),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE goals (
    goal_id text PRIMARY KEY,
    text text NOT NULL,
    manager_login text NOT NULL REFERENCES users (login),
    department text REFERENCES departments (code),
    status text NOT NULL,
    status_detail text,
    workflow_id text NOT NULL UNIQUE,
    model text NOT NULL,
    deadline_weeks integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_manager ON goals (manager_login);

CREATE TABLE tasks (
    goal_id text NOT NULL REFERENCES goals (goal_id),
    task_id text NOT NULL,
    position integer NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    skills jsonb NOT NULL,
    effort_hours integer NOT NULL,
    start_week integer NOT NULL,
    end_week integer NOT NULL,
    onet_code text,
    PRIMARY KEY (goal_id, task_id)
);

CREATE TABLE review_requests (
    review_id text PRIMARY KEY,
    goal_id text NOT NULL REFERENCES goals (goal_id),
    workflow_id text NOT NULL,
    action_type text NOT NULL,
    arguments jsonb NOT NULL,
    args_hash text NOT NULL,
    evidence jsonb NOT NULL,
    explanation text NOT NULL,
    risk_tier text NOT NULL,
    policy_version text NOT NULL,
    routed_because text NOT NULL,
    requested_by text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected', 'edited', 'parked')),
    escalations integer NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL,
    decided_by text,
    reason text,
    decided_arguments jsonb,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_requests_pending ON review_requests (status, due_at);

CREATE TABLE assignments (
    goal_id text NOT NULL REFERENCES goals (goal_id),
    task_id text NOT NULL,
    employee_id text NOT NULL REFERENCES employees (employee_id),
    fraction real NOT NULL CHECK (fraction > 0 AND fraction <= 1),
    start_week integer NOT NULL,
    end_week integer NOT NULL,
    score real NOT NULL,
    reason text NOT NULL,
    review_id text NOT NULL REFERENCES review_requests (review_id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (goal_id, task_id, employee_id)
);
CREATE INDEX assignments_employee ON assignments (employee_id);

-- Append-only audit trail: each row carries the hash of the previous one.
CREATE TABLE audit_events (
    seq bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('human', 'agent', 'system')),
    actor text NOT NULL,
    action text NOT NULL,
    goal_id text,
    workflow_id text,
    run_id text,
    args_hash text,
    payload jsonb NOT NULL,
    model text,
    prompt_version text,
    policy_version text,
    trace_id text,
    prev_hash text NOT NULL,
    hash text NOT NULL UNIQUE
);
CREATE INDEX audit_events_goal ON audit_events (goal_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
