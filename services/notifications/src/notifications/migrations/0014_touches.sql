-- A touch the account's engagement model promises is past due (renewals' sweep, once per due day):
-- the CSM gets a task to hold it or say why not. Several kinds overdue at once are one task (one cause:
-- the account's promises are behind), its triggers counted.
INSERT INTO playbooks (playbook_id, version, name, description, due_days, steps, builtin) VALUES
 ('promised-touch-overdue', 1, 'Promised touch overdue', 'The engagement model promises this account a business review, a check-in or its executive sponsor''s meeting, and it is past due.', 7, '[
   {"title": "Book the touch with the customer", "description": "The business review, check-in or sponsor meeting that is due; say when it will be held.", "due_days": 2, "role": "csm"},
   {"title": "Hold it and record it", "description": "Record the touch (touch.recorded, outcome done) so the next one is due from it.", "due_days": 7, "role": "csm"},
   {"title": "If it cannot be held, record it missed and why", "description": "A touch recorded missed, with the reason, is a fact the account''s view shows.", "due_days": 7, "role": "csm"}]', true)
ON CONFLICT DO NOTHING;

INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields,
                   builtin, playbook_id) VALUES
 ('task-touch-overdue', 'Promised touch overdue', 'bellwether.renewals.touch_overdue.v1', '[]', 'medium', '{csm}', 0,
  '{}', true, 'promised-touch-overdue')
ON CONFLICT (rule_id) DO NOTHING;
