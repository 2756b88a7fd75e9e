-- Champion health per person, goals with measurable targets, the problem bought for, value reviews,
-- feature requests and bugs (for delight and "is the product complete"), owners and lifecycle stage.

ALTER TABLE accounts
    ADD COLUMN lifecycle_stage text,
    ADD COLUMN csm_id text,
    ADD COLUMN ae_id text;
CREATE INDEX accounts_csm_idx ON accounts (csm_id);

ALTER TABLE scorecards ADD COLUMN lifecycle_stages text[] NOT NULL DEFAULT '{}';

ALTER TABLE contacts
    ADD COLUMN name text,
    ADD COLUMN title text,
    ADD COLUMN email text,
    ADD COLUMN user_id text,
    ADD COLUMN seniority text,
    ADD COLUMN can_promote boolean,
    ADD COLUMN owns_relationship_next_12m boolean;

ALTER TABLE nps_responses
    ADD COLUMN comment text,
    ADD COLUMN comment_polarity double precision;  -- -1 (negative) .. 1 (positive), from the comment

ALTER TABLE tickets
    ADD COLUMN requester_contact_id text,
    ADD COLUMN opened_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN subject_line text;

ALTER TABLE goals
    ADD COLUMN metric text,
    ADD COLUMN baseline double precision,
    ADD COLUMN target_value double precision,
    ADD COLUMN current_value double precision,
    ADD COLUMN due_date date,
    ADD COLUMN linked_event text,
    ADD COLUMN linked_window_days integer,
    ADD COLUMN computed_status text,           -- met / exceeded / partially_met / missed / in_progress
    ADD COLUMN progress_pct double precision,  -- share of the way from baseline to target
    ADD COLUMN computed_value double precision;

-- A user's e-mail address (identify traits): links contacts to the people using the product.
CREATE TABLE user_emails (
    user_id     text PRIMARY KEY,
    email       text NOT NULL,
    changed_at  timestamptz NOT NULL
);
CREATE INDEX user_emails_email_idx ON user_emails (lower(email));

CREATE TABLE problems (
    account_id   text NOT NULL,
    problem_id   text NOT NULL,
    description  text NOT NULL,
    severity     integer NOT NULL,
    recorded_by  text,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, problem_id)
);

CREATE TABLE value_reviews (
    account_id   text NOT NULL,
    review_id    text NOT NULL,
    reviewed_on  date NOT NULL,
    outcome      text NOT NULL,
    notes        text,
    goal_ids     text[] NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, review_id)
);

-- Feature requests and bugs: the request (latest status wins) and who asked for it.
CREATE TABLE requests (
    request_id         text PRIMARY KEY,
    title              text NOT NULL,
    kind               text NOT NULL DEFAULT 'feature',
    status             text NOT NULL,
    blocking           boolean NOT NULL DEFAULT false,
    status_changed_at  timestamptz NOT NULL,
    first_seen_at      timestamptz NOT NULL
);
CREATE TABLE request_links (
    request_id  text NOT NULL,
    account_id  text NOT NULL,
    contact_id  text NOT NULL DEFAULT '',  -- '' : the account as a whole
    linked_at   timestamptz NOT NULL,
    PRIMARY KEY (request_id, account_id, contact_id)
);
CREATE INDEX request_links_account_idx ON request_links (account_id);

-- Each contact's last assessment (what the champions API shows, and what changes are announced against).
CREATE TABLE contact_health (
    account_id   text NOT NULL,
    contact_id   text NOT NULL,
    engagement   double precision,
    delight      double precision,
    influence    text,
    quadrant     text NOT NULL,
    healthy      boolean NOT NULL,
    influential  boolean NOT NULL,
    reasons      jsonb NOT NULL,
    assessed_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);

-- Healthy influential champions per account against the target of its tier (last announced).
CREATE TABLE champion_coverage (
    account_id           text PRIMARY KEY,
    healthy_influential  integer NOT NULL,
    target               integer NOT NULL,
    assessed_at          timestamptz NOT NULL
);

-- Saved account lists ("health fell in the last 7 days"): a name and the list's filters.
CREATE TABLE saved_segments (
    key         text PRIMARY KEY,
    name        text NOT NULL,
    filters     jsonb NOT NULL,
    builtin     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO saved_segments (key, name, filters, builtin) VALUES
  ('health-fell-7d', 'Health fell in the last 7 days', '{"max_trend_7d": -5}', true),
  ('red', 'Red accounts', '{"colour": "red"}', true),
  ('no-healthy-champion', 'No healthy influential champion', '{"max_healthy_champions": 0}', true);

-- The default scorecard, version 2: also the problem bought for and whether the product is complete for
-- them (open blocking requests and bugs). Only when nobody has changed the default since version 1.
INSERT INTO scorecards (id, version, name, definition, segments, tiers, is_default, lifecycle_stages)
SELECT id, 2, name,
       jsonb_set(definition, '{measures}', (definition->'measures') || '[
         {"key": "problem_severity", "type": "problem_severity", "weight": 1, "params": {},
          "scale": [{"raw": 1, "score": 20}, {"raw": 3, "score": 60}, {"raw": 5, "score": 100}]},
         {"key": "completeness", "type": "product_completeness", "weight": 1, "params": {},
          "scale": [{"raw": 0, "score": 100}, {"raw": 1, "score": 60}, {"raw": 3, "score": 20}, {"raw": 5, "score": 0}]}
       ]'::jsonb),
       segments, tiers, is_default, lifecycle_stages
FROM scorecards
WHERE id = 'default' AND version = 1 AND NOT EXISTS (SELECT 1 FROM scorecards WHERE id = 'default' AND version > 1);
