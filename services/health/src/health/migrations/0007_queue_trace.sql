-- The trace context that queued an account (a sampled usage event or signal): its re-score, and the
-- score events it announces, continue that trace (bellwether_shared.tracing).
ALTER TABLE recompute_queue ADD COLUMN trace jsonb NOT NULL DEFAULT '{}'::jsonb;
