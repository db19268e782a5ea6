-- Week numbers are relative to each goal's start; capacity across goals needs real dates.

ALTER TABLE goals ADD COLUMN starts_on date;
UPDATE goals SET starts_on = created_at::date;
ALTER TABLE goals ALTER COLUMN starts_on SET NOT NULL;

ALTER TABLE assignments ADD COLUMN starts_on date, ADD COLUMN ends_on date;
UPDATE assignments a
SET starts_on = g.starts_on + 7 * a.start_week, ends_on = g.starts_on + 7 * a.end_week
FROM goals g WHERE g.goal_id = a.goal_id;
ALTER TABLE assignments ALTER COLUMN starts_on SET NOT NULL, ALTER COLUMN ends_on SET NOT NULL;
CREATE INDEX assignments_employee_dates ON assignments (employee_id, starts_on, ends_on);
