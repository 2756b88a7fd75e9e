-- Users' deletion requests (who asked, when; the user only as a SHA-256, so the record keeps no trace
-- of them) and the suppression list: events of a suppressed user are dropped at the door.
CREATE TABLE deletion_requests (
    request_id   text        PRIMARY KEY,
    user_hash    text        NOT NULL,
    requested_by text        NOT NULL,
    requested_at timestamptz NOT NULL,
    suppress     boolean     NOT NULL,
    contacts     integer     NOT NULL
);
CREATE INDEX deletion_requests_at_idx ON deletion_requests (requested_at DESC);

CREATE TABLE suppressed_users (
    user_hash     text        PRIMARY KEY,
    suppressed_at timestamptz NOT NULL,
    request_id    text        NOT NULL REFERENCES deletion_requests
);
