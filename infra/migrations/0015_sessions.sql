-- Console sessions kept server-side (sign-out, revocation, idle and absolute timeouts), and failed sign-ins per
-- login and per client address, so every console replica throttles alike.

CREATE TABLE sessions (
    session_id     text PRIMARY KEY,                 -- public handle, for listing and revoking (never the token)
    token_hash     bytea NOT NULL UNIQUE,            -- SHA-256 of the cookie's token; the token itself is not kept
    login          text NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    client_address text,
    user_agent     text
);
CREATE INDEX sessions_by_login ON sessions (login);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_by_created ON sessions (created_at);

CREATE TABLE login_failures (
    scope            text NOT NULL CHECK (scope IN ('account', 'address')),
    key              text NOT NULL,                  -- the login as typed, or the client address
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    locked_until     timestamptz,                    -- sign-ins are refused until then, right password or not
    audited_until    timestamptz,                    -- the lock whose refusals were audited (once per lock)
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_failures_by_last_failure ON login_failures (last_failure_at);
