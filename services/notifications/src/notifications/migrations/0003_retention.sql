-- Retention deletes finished deliveries (their attempts go with them), old digests and old alerts
-- (their outcomes go with them), by age, in small batches. BRIN indexes find old rows cheaply.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey,
    ADD CONSTRAINT delivery_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES deliveries ON DELETE CASCADE;
ALTER TABLE alert_outcomes DROP CONSTRAINT alert_outcomes_alert_id_fkey,
    ADD CONSTRAINT alert_outcomes_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES alerts ON DELETE CASCADE;
CREATE INDEX deliveries_created_brin ON deliveries USING brin (created_at);
CREATE INDEX deliveries_alert_idx ON deliveries (alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX deliveries_digest_idx ON deliveries (digest_id) WHERE digest_id IS NOT NULL;
CREATE INDEX alerts_created_brin ON alerts USING brin (created_at);
CREATE INDEX digests_created_brin ON digests USING brin (created_at);
