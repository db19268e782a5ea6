-- A counter every change that alters matching bumps (employees, their skill feedback, switched-off signal
-- sources), so a worker checks whether its in-memory ranker index is current with one single-row read
-- instead of counting 100,000 employees on every staffing tool call.

-- values come from a sequence, which a rollback does not rewind: a rolled-back change never hands out a
-- version that a later, different change reuses
CREATE SEQUENCE matcher_version_seq;
CREATE TABLE matcher_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version bigint NOT NULL
);
INSERT INTO matcher_version (version) VALUES (0);

CREATE FUNCTION bump_matcher_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE matcher_version SET version = nextval('matcher_version_seq');
    RETURN NULL;
END
$$;

CREATE TRIGGER employees_bump_matcher AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON employees
    FOR EACH STATEMENT EXECUTE FUNCTION bump_matcher_version();
CREATE TRIGGER skill_feedback_bump_matcher AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON skill_feedback
    FOR EACH STATEMENT EXECUTE FUNCTION bump_matcher_version();
CREATE TRIGGER signal_sources_bump_matcher AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signal_sources
    FOR EACH STATEMENT EXECUTE FUNCTION bump_matcher_version();
