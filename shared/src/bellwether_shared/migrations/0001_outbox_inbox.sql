-- Transactional outbox and inbox, created in every service's own schema (search_path).

-- Outgoing events, written in the same transaction as the state change that caused them.
-- The relay publishes rows in id order per aggregate, then deletes them.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      text        NOT NULL,
    event_type    text        NOT NULL,
    source        text        NOT NULL,
    topic         text        NOT NULL,
    aggregate_id  text        NOT NULL,      -- ordering unit: the record key (account id)
    subject       text,
    event_time    timestamptz NOT NULL,
    payload       bytea       NOT NULL,
    trace         jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- W3C traceparent/tracestate of the writer
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, id);

-- Consumed event ids, recorded in the same transaction as the state they change,
-- so a redelivered event is recognised and skipped.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    event_id      text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);
