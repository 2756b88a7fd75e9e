-- What the report's support section reads: when a ticket was opened and why (its contact reason), and
-- since when a request has waited.
ALTER TABLE tickets
    ADD COLUMN opened_at       timestamptz,
    ADD COLUMN contact_reason  text;
ALTER TABLE requests ADD COLUMN first_seen_at timestamptz;
