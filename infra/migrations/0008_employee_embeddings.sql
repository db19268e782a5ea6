-- One MiniLM vector per employee, so the matcher (tools/employee_index.py) embeds a person only when the
-- text it embeds for them changes. pgvector ships with the embedded Postgres (pgserver); another server
-- needs the extension installed (CREATE EXTENSION needs a role allowed to create it).

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE employee_embeddings (
    employee_id text PRIMARY KEY REFERENCES employees (employee_id) ON DELETE CASCADE,
    -- sha256 of the embedded text (and of how much of it is embedded): a different hash means stale
    text_hash text NOT NULL,
    -- tools.embeddings.MODEL_ID of the model that produced the vector: another model means stale
    model text NOT NULL,
    embedding vector(384) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- No ANN index: ranking scans every vector in memory (tools/ranker.py); nothing queries by distance in SQL.
