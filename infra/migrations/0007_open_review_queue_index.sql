-- The reviewer's queue lists open reviews oldest-due first; a partial index serves it without sorting
-- (bench/results/inbox_list.md: 10,000 open reviews, first page from ~76 ms to ~10 ms median).
CREATE INDEX review_requests_open_queue ON review_requests (due_at, created_at, review_id)
    INCLUDE (goal_id, risk_tier, action_type) WHERE status IN ('pending', 'parked');
