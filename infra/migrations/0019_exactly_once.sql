-- Exactly-once effects under retried and replayed activities (issue 15).
--
-- An activity that wrote and committed, then could not report completion (worker killed, Temporal stopped),
-- runs again with the same identity: its workflow id, run id and activity id, unlike its attempt number.
-- That identity is the key: an audit event appended under it is stored once, and an activity whose writes
-- are not idempotent by themselves claims it in the same transaction as those writes.

ALTER TABLE audit_events ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX audit_events_idempotency_key ON audit_events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE activity_effects (
    key text PRIMARY KEY,               -- '<workflow id>/<run id>/<activity id>'
    activity text NOT NULL,             -- the activity type, for people reading the table
    result jsonb,                       -- what the first execution returned, when a retry must return the same
    recorded_at timestamptz NOT NULL DEFAULT now()
);
