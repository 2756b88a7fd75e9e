-- Playbooks by segment (the experience similar, not the same): a playbook may name the engagement
-- models it applies to (empty: every account). The default set: a person's playbook for the accounts a
-- person serves; at-risk revenue, rejected deals and renewals get a person whatever the model.
ALTER TABLE playbooks ADD COLUMN segments text[] NOT NULL DEFAULT '{}';
UPDATE playbooks SET segments = '{high_touch,one_to_many}'
 WHERE builtin AND playbook_id IN ('champion-left', 'key-milestone-missed', 'onboarding-not-confirmed',
                                   'expansion-signal', 'promised-touch-overdue');

-- what decides an account's engagement model (bellwether_shared.engagement)
ALTER TABLE accounts
    ADD COLUMN growth_potential text,
    ADD COLUMN engagement_preference text,
    ADD COLUMN engagement_model text;
