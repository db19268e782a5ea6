-- Transactional outbox for notifications (e-mail, Slack, Microsoft Teams).
-- Rows are written by tools.notifications.enqueue() inside the transaction of the change they announce
-- and delivered by tools.notifications.deliver_due() (workers/outbox.py), at least once.
--
-- status / next_attempt_at:
--   pending  due when next_attempt_at <= now()
--   sending  claimed by a worker; next_attempt_at is the end of its lease. A row still 'sending' after
--            that (the worker crashed between claim and outcome) is due again.
--   sent     delivered (sent_at set)
--   dead     gave up (permanent error, or max attempts reached); last_error says why. Kept, never deleted
--            by the deliverer: set status = 'pending', attempts = 0 to send it again.
-- attempts counts attempts started (incremented at claim); it is also the fencing token that keeps a
-- worker whose lease expired from overwriting the outcome of the worker that took the row over.

CREATE TABLE notification_outbox (
    id bigserial PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('email', 'slack', 'teams')),
    -- an e-mail address, or a webhook URL ('' = the channel's configured default webhook)
    recipient text NOT NULL,
    subject text NOT NULL DEFAULT '',
    body text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    -- the same event enqueued twice (a retried activity) is stored once; NULL = no deduplication
    dedupe_key text UNIQUE,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
