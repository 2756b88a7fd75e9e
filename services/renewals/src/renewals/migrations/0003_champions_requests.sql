-- Champion coverage from health, the problem bought for, key milestones only, feature requests and
-- bugs with their status history and the accounts (and contacts) that asked.

ALTER TABLE accounts
    ADD COLUMN healthy_champions integer,   -- healthy influential champions (health.v1), NULL: not assessed
    ADD COLUMN champion_target integer,
    ADD COLUMN lifecycle_stage text;

ALTER TABLE contacts ADD COLUMN name text, ADD COLUMN title text;

ALTER TABLE missed_milestones ADD COLUMN is_key boolean NOT NULL DEFAULT true;  -- before: every one alerted

CREATE TABLE problems (
    account_id   text NOT NULL,
    problem_id   text NOT NULL,
    description  text NOT NULL,
    severity     integer NOT NULL CHECK (severity BETWEEN 1 AND 5),
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, problem_id)
);

CREATE TABLE requests (
    request_id         text PRIMARY KEY,
    title              text NOT NULL,
    kind               text NOT NULL DEFAULT 'feature',
    status             text NOT NULL,
    blocking           boolean NOT NULL DEFAULT false,
    status_changed_at  timestamptz NOT NULL,
    first_seen_at      timestamptz NOT NULL
);
CREATE TABLE request_status_history (
    request_id  text NOT NULL,
    status      text NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (request_id, status, changed_at)
);
CREATE TABLE request_links (
    request_id  text NOT NULL,
    account_id  text NOT NULL,
    contact_id  text NOT NULL DEFAULT '',
    linked_at   timestamptz NOT NULL,
    PRIMARY KEY (request_id, account_id, contact_id)
);
CREATE INDEX request_links_account_idx ON request_links (account_id);
CREATE INDEX requests_status_idx ON requests (status);

-- The split model's default follows the domain: AEs lead every upsell; growth type is a refinement a
-- company opts into. Only the shipped default changes; a policy someone set stays as it is.
UPDATE settings SET value = '{"model": "split", "growth_type_decides": false, "renewals_team": false}'
WHERE key = 'policy' AND updated_by = 'migration'
  AND value = '{"model": "split", "growth_type_decides": true, "renewals_team": false}'::jsonb;
