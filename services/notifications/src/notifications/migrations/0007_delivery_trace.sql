-- The trace context of what raised the alert: its delivery continues that trace, and the webhook
-- request carries it on as `traceparent` (bellwether_shared.tracing).
ALTER TABLE deliveries ADD COLUMN trace jsonb NOT NULL DEFAULT '{}'::jsonb;
