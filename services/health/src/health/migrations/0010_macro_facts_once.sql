-- Each macro fact counted once (issue 24.8): the industry's exposure to the economic shock and the
-- discount depth are renewal-risk factors (renewals weighs them, with the reasons a CSM acts on), not
-- health measures: counted in both, one fact moved renewal risk twice (once directly, once through the
-- colour). The default scorecard, version 3, leaves them out. Only when nobody changed it since version 2.
-- With missing data no longer counted (usage before it is data, pending milestones, a trend without the
-- window before it), the share of the weight with data a colour needs is 0.35 (was 0.4).
INSERT INTO scorecards (id, version, name, definition, segments, tiers, is_default, lifecycle_stages)
SELECT id, 3, name,
       jsonb_set(jsonb_set(definition, '{min_weight_share}', '0.35'), '{measures}', (
         SELECT coalesce(jsonb_agg(m ORDER BY i), '[]'::jsonb)
         FROM jsonb_array_elements(definition->'measures') WITH ORDINALITY AS x(m, i)
         WHERE m->>'type' NOT IN ('exposure', 'discount_depth'))),
       segments, tiers, is_default, lifecycle_stages
FROM scorecards
WHERE id = 'default' AND version = 2 AND NOT EXISTS (SELECT 1 FROM scorecards WHERE id = 'default' AND version > 2);
