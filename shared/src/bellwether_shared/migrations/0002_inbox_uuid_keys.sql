-- Inbox keys as 16-byte uuids instead of text, and a BRIN index for pruning by age.
-- Event ids that are not uuids (CloudEvents allows any string) are keyed by md5(id)::uuid,
-- computed the same way in bellwether_shared.inbox.
ALTER TABLE inbox
    ALTER COLUMN event_id TYPE uuid
    USING (CASE WHEN event_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN event_id::uuid ELSE md5(event_id)::uuid END);
DROP INDEX inbox_processed_at_idx;
-- rows arrive in processed_at order, so a block-range index finds old ones at almost no write cost
CREATE INDEX inbox_processed_at_brin ON inbox USING brin (processed_at);
