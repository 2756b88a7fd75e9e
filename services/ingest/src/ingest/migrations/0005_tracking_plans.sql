-- A source's tracking plan ({"mode": "observe"|"enforce", "events": {name: JSON Schema}}; NULL: none)
-- and the violations seen, counted per source, event, kind and field.
ALTER TABLE sources ADD COLUMN tracking_plan jsonb;

CREATE TABLE plan_violations (
    source_id       text        NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    event           text        NOT NULL,
    kind            text        NOT NULL,
    field           text        NOT NULL,
    count           bigint      NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    last_reason     text        NOT NULL,
    last_message_id text,
    PRIMARY KEY (source_id, event, kind, field)
);
