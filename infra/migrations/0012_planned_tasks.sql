-- The planning graph's plans: each task's phase, dependencies, grounding and what its effort rests on,
-- and the plan as a whole (assumptions, open questions, open issues, how the goal was read) on the goal.
ALTER TABLE tasks
    ADD COLUMN phase text NOT NULL DEFAULT '',
    ADD COLUMN depends_on text[] NOT NULL DEFAULT '{}',
    ADD COLUMN occupations text[] NOT NULL DEFAULT '{}',
    ADD COLUMN activities text[] NOT NULL DEFAULT '{}',
    ADD COLUMN effort_basis text NOT NULL DEFAULT '';

ALTER TABLE goals ADD COLUMN plan jsonb;
