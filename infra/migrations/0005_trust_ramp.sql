-- Trust ramp: versioned review policies per action type, the ramp's state, and its history.

CREATE TABLE review_policies (
    action_type text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    document jsonb NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (action_type, version)
);

CREATE TABLE trust_ramp_state (
    action_type text PRIMARY KEY,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE trust_ramp_history (
    id bigserial PRIMARY KEY,
    action_type text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL,
    level real NOT NULL,
    samples integer NOT NULL,
    errors integer NOT NULL,
    upper_bound real
);
CREATE INDEX trust_ramp_history_type ON trust_ramp_history (action_type, id);

ALTER TABLE review_requests ADD COLUMN sampled boolean NOT NULL DEFAULT false,
                            ADD COLUMN fingerprint text;
