"""Notifications through a transactional outbox: e-mail (SMTP), Slack and Microsoft Teams incoming webhooks.

Write side: :func:`infra.outbox.store.enqueue` inserts a row into ``notification_outbox`` inside the caller's
transaction, so a notification exists if and only if the change it announces was committed. A ``dedupe_key``
makes the insert idempotent (an activity retried by Temporal enqueues the same event once).

Read side: :func:`infra.outbox.delivery.deliver_due`, run in a loop by ``workers/outbox.py`` in any number of
processes:

1. **claim** up to ``limit`` due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and, in the same statement,
   mark them ``sending``, count the attempt and give them a lease (``next_attempt_at = now() + lease``);
   the claim commits before anything is sent, so no lock is held while talking to the network;
2. **send** each row (concurrently, each bounded by ``request_timeout_seconds``);
3. **record** the outcome: ``sent``; ``pending`` again after an exponential backoff with jitter (retryable
   error); or ``dead`` with ``last_error`` (permanent error, or ``max_attempts`` reached). The update only
   applies while the row is still ``sending`` with the same attempt number (a fencing token), so a worker
   whose lease ran out never overwrites the outcome of the one that took the row over.

A worker that dies between claim and outcome leaves its rows ``sending``; once the lease has expired they are
due again. Delivery is therefore *at least once*: a crash after a successful send but before the outcome is
written sends that message again. E-mails carry a stable ``Message-ID`` so mail clients can fold such a
duplicate; webhooks have no idempotency key.

Webhook URLs are credentials: they are never logged nor written to ``last_error``.

The modules: :mod:`~infra.outbox.settings` (how to send), :mod:`~infra.outbox.store` (the table: enqueue,
claim, record the outcome), :mod:`~infra.outbox.messages` (what each channel is sent),
:mod:`~infra.outbox.channels` (SMTP and the webhooks), :mod:`~infra.outbox.retry` (backoff and which failures
are worth retrying) and :mod:`~infra.outbox.delivery` (one claim-send-record round).
"""
