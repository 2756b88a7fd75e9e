-- An account ready to grow: its CSM (and AE) hear of it; the expansion opportunity itself is renewals'.
INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields, builtin)
VALUES ('expansion-ready', 'Ready to grow', 'bellwether.health.expansion_ready.v1', '[]', 'medium', '{csm,ae}',
        2592000, '{}', true)
ON CONFLICT (rule_id) DO NOTHING;
