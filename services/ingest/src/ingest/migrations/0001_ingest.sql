-- Ingest's own tables (schema "ingest").

-- Integrations that publish events. Write keys are stored as SHA-256 hashes only.
CREATE TABLE sources (
    id              text PRIMARY KEY,
    name            text        NOT NULL,
    write_key_hash  text        NOT NULL UNIQUE,
    key_prefix      text        NOT NULL,
    rate_limit_eps  integer     NOT NULL CHECK (rate_limit_eps > 0),
    burst           integer     NOT NULL CHECK (burst > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

-- Every event that failed validation, kept for operators (never silently dropped).
CREATE TABLE rejected_events (
    id           bigserial PRIMARY KEY,
    source_id    text        NOT NULL REFERENCES sources (id),
    request_id   text        NOT NULL,
    endpoint     text        NOT NULL,
    idx          integer     NOT NULL,
    message_id   text,
    field        text        NOT NULL,
    reason       text        NOT NULL,
    payload      jsonb,
    received_at  timestamptz NOT NULL,
    UNIQUE (request_id, idx)
);
CREATE INDEX rejected_events_source_idx ON rejected_events (source_id, id DESC);

-- user (or anonymous) id -> account, maintained by group calls and B2B lifecycle events.
CREATE TABLE user_accounts (
    user_id     text        NOT NULL,
    account_id  text        NOT NULL,
    joined_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

-- Accepted events that resolved to no account yet; re-attributed when the mapping arrives.
CREATE TABLE unattributed_events (
    event_id     text PRIMARY KEY,
    identity     text        NOT NULL,
    source_id    text        NOT NULL,
    message      jsonb       NOT NULL,
    received_at  timestamptz NOT NULL
);
CREATE INDEX unattributed_identity_idx ON unattributed_events (identity);
