-- Renewals early and predictable, work by tier (the tier vocabulary, TIERS):
-- * a renewal at risk escalates to the VP of CS once it is as close to its date as its tier says
--   (risk_escalated, from renewals), which replaces "strategic renewal at risk" keyed on one tier name;
-- * the 90-day renewal task only where the tier wants a person's task at every renewal; elsewhere a
--   renewal gets a task only through the renewal-at-risk playbook.
-- Rules someone changed keep what they set.
UPDATE rules SET enabled = false
WHERE rule_id = 'renewal-at-risk-strategic' AND builtin
  AND conditions = '[{"field": "event.at_risk", "op": "eq", "value": true}, {"field": "account.tier", "op": "eq", "value": "strategic"}]'::jsonb;

INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields, builtin)
VALUES
 ('renewal-risk-escalated', 'Renewal at risk, escalated', 'bellwether.renewals.risk_escalated.v1',
  '[]', 'critical', '{vp}', 604800, '{opportunity_id}', true)
ON CONFLICT (rule_id) DO NOTHING;

UPDATE rules SET conditions = '[{"field": "event.window", "op": "eq", "value": 90}, {"field": "event.renewal_task", "op": "eq", "value": true}]'
WHERE rule_id = 'task-renewal-in-90-days' AND builtin
  AND conditions = '[{"field": "event.window", "op": "eq", "value": 90}]'::jsonb;
