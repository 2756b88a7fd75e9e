-- Incidents (domain.md, "One cause, one message"): the alerts about one account that reach one person
-- within the grouping window (INCIDENT_WINDOW_S) are one incident, with every cause; its severity is
-- the highest of them. A later cause re-notifies only when it raises that severity.
CREATE TABLE incidents (
    incident_id    text PRIMARY KEY,
    account_id     text NOT NULL,
    recipient      text NOT NULL,
    severity       text NOT NULL,
    sent           boolean NOT NULL DEFAULT false,  -- the person was told at once (not only in a digest)
    revision       int NOT NULL DEFAULT 1,          -- one more with each cause
    opened_at      timestamptz NOT NULL,
    last_cause_at  timestamptz NOT NULL
);
CREATE INDEX incidents_open_idx ON incidents (account_id, recipient, last_cause_at DESC);
CREATE INDEX incidents_recipient_idx ON incidents (recipient, last_cause_at DESC);

ALTER TABLE alert_outcomes ADD COLUMN incident_id text REFERENCES incidents ON DELETE SET NULL;
CREATE INDEX alert_outcomes_incident_idx ON alert_outcomes (incident_id) WHERE incident_id IS NOT NULL;
ALTER TABLE alert_outcomes DROP CONSTRAINT alert_outcomes_outcome_check;
ALTER TABLE alert_outcomes ADD CONSTRAINT alert_outcomes_outcome_check
    CHECK (outcome IN ('send', 'duplicate', 'digest', 'throttled', 'no_destination', 'grouped'));

ALTER TABLE deliveries ADD COLUMN incident_id text;
CREATE INDEX deliveries_incident_idx ON deliveries (incident_id, recipient) WHERE status = 'pending';
