-- Which model each agent step of a goal actually ran with (the worker's, not the submitter's setting):
-- {"draft_tasks": {"model": ..., "served_model": ..., "prompt_version": ...}, "propose_staffing": {...}}.
ALTER TABLE goals ADD COLUMN agent_models jsonb NOT NULL DEFAULT '{}';

-- The last health probe of each agent's model, per worker: what it is configured with and whether it answers.
CREATE TABLE model_health (
    worker text NOT NULL,
    agent text NOT NULL,
    model text NOT NULL,
    description text NOT NULL,
    output_mode text NOT NULL,
    ok boolean NOT NULL,
    detail text NOT NULL,
    served_model text,
    latency_ms integer,
    checked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker, agent)
);
