-- Every requester told: renewals announces a shipped request to each account that asked for it
-- (request_shipped), urgent when its renewal lies ahead within 90 days, for the digest otherwise, never
-- to a churned account. It replaces the rule on the status change, which told only the account named on
-- it and matched renewals already past. A rule someone changed keeps what they set.
UPDATE rules SET enabled = false
WHERE rule_id = 'feature-shipped-renewing' AND builtin
  AND event_type = 'bellwether.signals.feature_request_status_changed.v1'
  AND conditions = '[{"field": "event.status", "op": "eq", "value": "shipped"}, {"field": "account.days_to_renewal", "op": "lte", "value": 90}]'::jsonb;

INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields, builtin)
VALUES
 ('request-shipped-renewing', 'Requested feature shipped, renewal within 90 days', 'bellwether.renewals.request_shipped.v1',
  '[{"field": "event.urgency", "op": "eq", "value": "urgent"}]', 'medium', '{csm}', 604800, '{request_id}', true),
 ('request-shipped', 'Requested feature shipped', 'bellwether.renewals.request_shipped.v1',
  '[{"field": "event.urgency", "op": "eq", "value": "digest"}]', 'low', '{csm}', 604800, '{request_id}', true)
ON CONFLICT (rule_id) DO NOTHING;
