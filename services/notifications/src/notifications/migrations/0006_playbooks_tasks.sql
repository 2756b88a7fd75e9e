-- Playbooks (named, versioned lists of steps) and the tasks rules open from events: one open task per
-- account and playbook; every change of a task audited.

CREATE TABLE playbooks (
    playbook_id  text    NOT NULL,
    version      integer NOT NULL,
    name         text    NOT NULL,
    description  text    NOT NULL DEFAULT '',
    due_days     integer NOT NULL CHECK (due_days BETWEEN 0 AND 365),  -- the task is due this long after it opens
    steps        jsonb   NOT NULL,  -- [{title, description, due_days, role, exposure}] exposure: only for those accounts
    active       boolean NOT NULL DEFAULT true,
    builtin      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (playbook_id, version)
);

-- a rule with a playbook opens (or updates) a task instead of sending an alert
ALTER TABLE rules ADD COLUMN playbook_id text;

CREATE TABLE tasks (
    task_id           text PRIMARY KEY,
    account_id        text NOT NULL,
    playbook_id       text NOT NULL,
    playbook_version  integer NOT NULL,
    rule_id           text NOT NULL,
    title             text NOT NULL,
    owner_id          text,
    owner_role        text,
    priority          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open', 'in_progress', 'snoozed', 'done', 'dismissed')),
    due_at            timestamptz NOT NULL,
    snoozed_until     timestamptz,
    outcome           text,
    reason            text,
    steps             jsonb NOT NULL,     -- the playbook's steps for this account, each {title, due_at, done}
    why               text NOT NULL,      -- the rule and event that opened it
    triggers          integer NOT NULL DEFAULT 1,
    notes             jsonb NOT NULL DEFAULT '[]',  -- [{at, by, note}]: repeat triggers and people's notes
    overdue_alerted   boolean NOT NULL DEFAULT false,
    opened_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    closed_at         timestamptz
);
-- one open task per account and playbook: a repeat trigger updates it
CREATE UNIQUE INDEX tasks_one_open_idx ON tasks (account_id, playbook_id)
    WHERE status IN ('open', 'in_progress', 'snoozed');
CREATE INDEX tasks_owner_idx ON tasks (owner_id, status, due_at);
CREATE INDEX tasks_due_idx ON tasks (due_at) WHERE status IN ('open', 'in_progress') AND NOT overdue_alerted;
CREATE INDEX tasks_snoozed_idx ON tasks (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE task_audit (
    id       bigserial PRIMARY KEY,
    task_id  text NOT NULL REFERENCES tasks ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    actor    text NOT NULL,
    action   text NOT NULL,
    details  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX task_audit_task_idx ON task_audit (task_id, id);

-- The default playbooks, drawn from the domain (domain.md, the seeds' renewal-risk playbook).
INSERT INTO playbooks (playbook_id, version, name, description, due_days, steps, builtin) VALUES
 ('champion-left', 1, 'Champion left', 'A champion left: re-thread the account before the renewal notices.', 14, '[
   {"title": "Confirm who now owns the relationship", "description": "Ask the remaining contacts who took over.", "due_days": 2, "role": "csm"},
   {"title": "Meet the new contact and map the champions again", "description": "Engagement, delight, influence of each.", "due_days": 7, "role": "csm"},
   {"title": "Agree a multi-threading plan with the AE", "description": "At least two influential champions.", "due_days": 14, "role": "csm"}]', true),
 ('renewal-at-risk', 1, 'Renewal at risk', 'Outreach by the account''s exposure: let high-exposure customers say what they need, offer moderate ones a menu, open a channel for low ones.', 10, '[
   {"title": "Read the risk reasons and the champions", "description": "What moved health; who is engaged and delighted.", "due_days": 1, "role": "csm"},
   {"title": "High exposure: ask an open question", "description": "We value a long partnership; what would help you through this year? Let them tell you how to support them.", "due_days": 3, "role": "renewal_owner", "exposure": "high"},
   {"title": "Moderate exposure: offer a menu", "description": "Delayed payment terms, a payment plan, or a discount; address what swayed them before.", "due_days": 5, "role": "renewal_owner", "exposure": "moderate"},
   {"title": "Low exposure: open a channel", "description": "Your renewal is planned; if your business faces challenges, tell us this week.", "due_days": 7, "role": "renewal_owner", "exposure": "low"},
   {"title": "Agree the save plan", "description": "Discounts with care: never below the value threshold without a dated reason.", "due_days": 10, "role": "csm"}]', true),
 ('key-milestone-missed', 1, 'Key milestone missed', 'A behaviour that predicts a long-term customer did not happen: probe why, fast.', 7, '[
   {"title": "Ask the champion why", "description": "Adoption blocker, wrong users, missing integration?", "due_days": 2, "role": "csm"},
   {"title": "Tailor training to the missing behaviour", "description": "Who should do it, and how.", "due_days": 5, "role": "csm"},
   {"title": "Check the behaviour again", "description": "Is it happening now?", "due_days": 7, "role": "csm"}]', true),
 ('onboarding-not-confirmed', 1, 'Onboarding not confirmed', 'Onboarding is done when the customer says so: find out what is missing.', 7, '[
   {"title": "Ask about technical implementation", "description": "Is the product integrated with their systems?", "due_days": 2, "role": "csm"},
   {"title": "Ask about process integration", "description": "Is it built into their workflows?", "due_days": 2, "role": "csm"},
   {"title": "Go off-script to finish onboarding", "description": "Plan what they still need.", "due_days": 7, "role": "csm"}]', true),
 ('renewal-in-90-days', 1, 'Renewal in 90 days', 'Make the renewal a non-event: value first, then the conversation.', 30, '[
   {"title": "Review value delivered against their goals", "description": "Met, exceeded, partially met, missed.", "due_days": 7, "role": "csm"},
   {"title": "Confirm the decision maker and the process", "description": "Who signs, when, what they need.", "due_days": 14, "role": "renewal_owner"},
   {"title": "Hold the renewal conversation", "description": "With the value review in hand.", "due_days": 30, "role": "renewal_owner"}]', true),
 ('deal-rejected', 1, 'Deal rejected at hand-off', 'CS rejected a badly sold deal: close the loop with sales.', 5, '[
   {"title": "Tell the AE and sales leadership why", "description": "The failed criteria, with the facts.", "due_days": 2, "role": "csm"},
   {"title": "Agree what CS will and will not do", "description": "And record any exceptions.", "due_days": 5, "role": "csm"}]', true),
 ('expansion-signal', 1, 'Ready to grow', 'Adoption, champions, value and growth say the account is ready to expand.', 14, '[
   {"title": "Validate the growth with the champion", "description": "What they need next: seats, usage, a higher tier.", "due_days": 5, "role": "csm"},
   {"title": "Hand the opportunity to its owner", "description": "The ownership policy chose them; brief them.", "due_days": 7, "role": "csm"},
   {"title": "Prepare the proposal", "description": "Sized on the growth the account shows.", "due_days": 14, "role": "csm"}]', true);

-- Rules that open the playbooks' tasks (owner: the first of the roles the account has).
INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, dedupe_window_s, key_fields,
                   builtin, playbook_id) VALUES
 ('task-champion-left', 'Champion left: re-thread', 'bellwether.signals.contact_changed.v1',
  '[{"field": "event.is_champion", "op": "eq", "value": true}, {"field": "event.departed", "op": "eq", "value": true}]',
  'high', '{csm,ae}', 0, '{}', true, 'champion-left'),
 ('task-renewal-at-risk', 'Renewal at risk: save plan', 'bellwether.renewals.risk_changed.v1',
  '[{"field": "event.at_risk", "op": "eq", "value": true}]', 'high', '{renewal_owner,csm}', 0, '{}', true,
  'renewal-at-risk'),
 ('task-key-milestone-missed', 'Key milestone missed: probe why', 'bellwether.health.milestone_missed.v1',
  '[{"field": "event.is_key", "op": "eq", "value": true}]', 'medium', '{csm}', 0, '{}', true, 'key-milestone-missed'),
 ('task-onboarding-not-confirmed', 'Onboarding not confirmed', 'bellwether.health.onboarding_overdue.v1',
  '[]', 'medium', '{csm}', 0, '{}', true, 'onboarding-not-confirmed'),
 ('task-renewal-in-90-days', 'Renewal in 90 days', 'bellwether.renewals.renewal_upcoming.v1',
  '[{"field": "event.window", "op": "eq", "value": 90}]', 'medium', '{renewal_owner,csm}', 0, '{}', true,
  'renewal-in-90-days'),
 ('task-deal-rejected', 'Deal rejected: close the loop', 'bellwether.renewals.deal_rejected.v1',
  '[]', 'medium', '{csm}', 0, '{}', true, 'deal-rejected'),
 ('task-expansion-signal', 'Ready to grow: expansion', 'bellwether.health.expansion_ready.v1',
  '[]', 'medium', '{csm}', 0, '{}', true, 'expansion-signal')
ON CONFLICT (rule_id) DO NOTHING;

-- the account's industry exposure (the renewal-at-risk playbook's outreach depends on it)
ALTER TABLE accounts ADD COLUMN exposure text;
