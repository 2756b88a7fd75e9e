-- Growth type decides who sells it (domain.md): by default more of the same (seats, consumption, price,
-- feature tier) goes to the CSM, a new product or division to the AE. Only the shipped default changes;
-- a policy someone set stays as it is.
UPDATE settings SET value = jsonb_set(value, '{growth_type_decides}', 'true')
WHERE key = 'policy' AND updated_by = 'migration'
  AND value = '{"model": "split", "growth_type_decides": false, "renewals_team": false}'::jsonb;
