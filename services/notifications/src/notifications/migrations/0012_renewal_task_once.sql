-- The renewal task of a tier that wants one at every renewal opens with the first window announced
-- (90 days, or 60 or 30 for a renewal that opened closer than that): renewals says so in renewal_task.
UPDATE rules SET conditions = '[{"field": "event.renewal_task", "op": "eq", "value": true}]'
WHERE rule_id = 'task-renewal-in-90-days' AND builtin
  AND conditions = '[{"field": "event.window", "op": "eq", "value": 90}, {"field": "event.renewal_task", "op": "eq", "value": true}]'::jsonb;
