-- The playbooks the objective templates (bellwether_shared.objectives) name: each objective a customer
-- buys for is driven by one. No rule opens them by default: a CSM starts one from an account's goal.
INSERT INTO playbooks (playbook_id, version, name, description, due_days, steps, builtin, segments) VALUES
 ('objective-adoption', 1, 'Objective: drive the adoption behind it', 'The objective is counted from product use: get the people who should use it to use it.', 30, '[
   {"title": "Agree the baseline and the target with the customer", "description": "The metric as it stands today, and where they want it by the due date.", "due_days": 5, "role": "csm"},
   {"title": "Find who should use the feature and does not", "description": "The active users behind the metric against the seats meant for it.", "due_days": 10, "role": "csm"},
   {"title": "Run the enablement session", "description": "Show those people the workflow that moves the metric.", "due_days": 21, "role": "csm"},
   {"title": "Check the metric moved", "description": "The goal''s progress in the account view; adjust the plan if it did not.", "due_days": 30, "role": "csm"}]', true, '{}'),
 ('objective-value-proof', 1, 'Objective: prove the value at the next review', 'The objective is measured by the customer, not by product use: agree how, then bring the evidence to the value review.', 45, '[
   {"title": "Agree how the customer measures it", "description": "Who owns the number, where it comes from, how often it is read.", "due_days": 7, "role": "csm"},
   {"title": "Record the baseline as the goal''s current value", "description": "goal.updated with baseline and target, so progress is computed.", "due_days": 14, "role": "csm"},
   {"title": "Bring the evidence to the value review", "description": "Record the review''s verdict (value_review.recorded) with the goal ids it covered.", "due_days": 45, "role": "csm"}]', true, '{high_touch,one_to_many}'),
 ('objective-executive-alignment', 1, 'Objective: align the executives on it', 'An objective leadership cares about: make sure the customer''s executive sees progress on it.', 60, '[
   {"title": "Name the executive who owns the objective", "description": "On their side, and our executive sponsor for a strategic account.", "due_days": 7, "role": "csm"},
   {"title": "Put the objective on the business review''s agenda", "description": "Progress, what is in the way, what we need from them.", "due_days": 30, "role": "csm"},
   {"title": "Send the executive a short progress note", "description": "The metric then and now, in their words.", "due_days": 60, "role": "csm"}]', true, '{high_touch}')
ON CONFLICT DO NOTHING;
