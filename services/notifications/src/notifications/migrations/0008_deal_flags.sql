-- Every bad deal flagged (domain.md: each hand-off criterion alone makes a bad deal): the default rule
-- tells the CSM of every flagged deal, when its review opens and when CS's answers at kickoff flag it
-- (handoff_review_scored replaces handoff_review_opened). A deal that came without its answers asks
-- the CSM to record them (low: the digest). A rule someone changed keeps what they set.
UPDATE rules SET event_type = 'bellwether.renewals.handoff_review_scored.v1',
                 conditions = '[{"field": "event.flagged", "op": "eq", "value": true}]',
                 key_fields = '{deal_id,band}'
WHERE rule_id = 'deal-flagged' AND event_type = 'bellwether.renewals.handoff_review_opened.v1'
  AND conditions = '[{"field": "event.band", "op": "in", "value": ["fair", "poor"]}]'::jsonb;

INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields, builtin)
VALUES
 ('deal-answers-missing', 'Hand-off answers missing', 'bellwether.renewals.handoff_review_scored.v1',
  '[{"field": "event.band", "op": "eq", "value": "answers_missing"}]', 'low', '{csm}', 604800, '{deal_id}', true)
ON CONFLICT (rule_id) DO NOTHING;
