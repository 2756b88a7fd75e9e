-- Only key milestones alert by default (a milestone is key when its definition says so); an
-- influential champion leaving the healthy quadrant alerts the CSM and AE; a CSM's proposal to reject
-- a deal at hand-off asks the VP of CS to decide. Rules someone changed keep their conditions.
UPDATE rules SET conditions = '[{"field": "event.is_key", "op": "eq", "value": true}]'
WHERE rule_id = 'milestone-missed' AND conditions = '[]'::jsonb;

INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields, builtin)
VALUES
 ('champion-at-risk', 'Influential champion at risk', 'bellwether.health.champion_at_risk.v1',
  '[]', 'high', '{csm,ae}', 604800, '{contact_id}', true),
 ('deal-rejection-proposed', 'Deal rejection waits for your decision', 'bellwether.renewals.deal_rejection_proposed.v1',
  '[]', 'high', '{vp}', 604800, '{deal_id}', true)
ON CONFLICT (rule_id) DO NOTHING;
