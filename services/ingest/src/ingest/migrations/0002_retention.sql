-- Retention deletes by age; BRIN indexes find old rows cheaply and cost inserts next to nothing.
CREATE INDEX rejected_events_received_brin ON rejected_events USING brin (received_at);
CREATE INDEX unattributed_received_brin ON unattributed_events USING brin (received_at);
