-- Who submitted a goal (an admin may submit for a manager), and the role of each audited actor.

ALTER TABLE goals ADD COLUMN submitted_by text REFERENCES users (login);
UPDATE goals SET submitted_by = manager_login;
ALTER TABLE goals ALTER COLUMN submitted_by SET NOT NULL;

ALTER TABLE audit_events ADD COLUMN actor_role text;
