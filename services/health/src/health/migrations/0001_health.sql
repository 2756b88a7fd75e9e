-- Health's own tables (schema "health"), fed only by events.

-- Account projection (account upserts, deals for the discount).
CREATE TABLE accounts (
    account_id             text PRIMARY KEY,
    name                   text,
    tier                   text,
    segment                text,
    industry               text,
    exposure               text,
    arr                    double precision,
    seats                  integer,
    renewal_date           date,
    onboarding_started_at  date,
    discount_pct           double precision,
    upserted_at            timestamptz,          -- occurred_at of the upsert applied (latest wins)
    created_at             timestamptz NOT NULL DEFAULT now()
);

-- Usage rollups: events per account, day and event name; activity per user and day.
CREATE TABLE usage_daily (
    account_id  text   NOT NULL,
    day         date   NOT NULL,
    event       text   NOT NULL,
    events      bigint NOT NULL,
    PRIMARY KEY (account_id, day, event)
);
CREATE TABLE user_days (
    account_id  text    NOT NULL,
    day         date    NOT NULL,
    user_id     text    NOT NULL,
    events      integer NOT NULL,
    PRIMARY KEY (account_id, day, user_id)
);

-- Signals; each keeps the latest state by the time it happened, so redelivery order cannot matter.
CREATE TABLE nps_responses (
    account_id   text NOT NULL,
    contact_id   text NOT NULL,
    score        integer NOT NULL,
    answered_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);
CREATE TABLE tickets (
    account_id  text NOT NULL,
    ticket_id   text NOT NULL,
    status      text NOT NULL,
    severity    text NOT NULL,
    bug_linked  boolean NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, ticket_id)
);
CREATE TABLE contacts (
    account_id   text NOT NULL,
    contact_id   text NOT NULL,
    role         text,
    influence    text,
    engagement   text,
    delight      text,
    is_champion  boolean NOT NULL,
    departed     boolean NOT NULL,
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);
CREATE TABLE onboarding (
    account_id    text NOT NULL,
    aspect        text NOT NULL,
    confirmed_by  text NOT NULL,
    confirmed_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, aspect)
);
CREATE TABLE goals (
    account_id        text NOT NULL,
    goal_id           text NOT NULL,
    name              text NOT NULL,
    status            text NOT NULL,
    problem_severity  integer,
    target            text,
    changed_at        timestamptz NOT NULL,
    PRIMARY KEY (account_id, goal_id)
);

-- Scorecards: every change is a new version; the highest version of an id is current.
CREATE TABLE scorecards (
    id          text    NOT NULL,
    version     integer NOT NULL,
    name        text    NOT NULL,
    definition  jsonb   NOT NULL,
    segments    text[]  NOT NULL DEFAULT '{}',
    tiers       text[]  NOT NULL DEFAULT '{}',
    is_default  boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

-- Score history and the current score per account.
CREATE TABLE scores (
    id                 bigserial PRIMARY KEY,
    account_id         text        NOT NULL,
    computed_at        timestamptz NOT NULL,
    value              double precision NOT NULL,
    colour             text        NOT NULL,
    sufficient         boolean     NOT NULL,
    scorecard_id       text        NOT NULL,
    scorecard_version  integer     NOT NULL,
    measures           jsonb       NOT NULL,
    reasons            jsonb       NOT NULL
);
CREATE INDEX scores_account_time_idx ON scores (account_id, computed_at DESC);

CREATE TABLE account_health (
    account_id         text PRIMARY KEY,
    value              double precision NOT NULL,
    colour             text        NOT NULL,
    sufficient         boolean     NOT NULL,
    scorecard_id       text        NOT NULL,
    scorecard_version  integer     NOT NULL,
    measures           jsonb       NOT NULL,
    reasons            jsonb       NOT NULL,
    computed_at        timestamptz NOT NULL,
    trend_7d           double precision,
    trend_30d          double precision,
    emitted_value      double precision,  -- last value announced on health.v1
    emitted_colour     text,
    recomputes         bigint NOT NULL DEFAULT 1
);
CREATE INDEX account_health_colour_idx ON account_health (colour, value);

-- Accounts waiting for a recompute: one row per account however many events arrive (coalescing).
CREATE TABLE recompute_queue (
    account_id  text PRIMARY KEY,
    due_at      timestamptz NOT NULL,
    job_id      bigint
);
CREATE INDEX recompute_queue_due_idx ON recompute_queue (due_at);

-- Milestones.
CREATE TABLE milestone_defs (
    key         text PRIMARY KEY,
    definition  jsonb NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE milestone_hits (
    account_id     text NOT NULL,
    milestone_key  text NOT NULL,
    day            date NOT NULL,
    user_id        text NOT NULL,
    hits           integer NOT NULL,
    PRIMARY KEY (account_id, milestone_key, day, user_id)
);
CREATE TABLE account_milestones (
    account_id          text NOT NULL,
    milestone_key       text NOT NULL,
    state               text NOT NULL,
    achieved_on         date,
    time_to_value_days  integer,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, milestone_key)
);

-- Background re-score after a scorecard change.
CREATE TABLE rescore_jobs (
    id                 bigserial PRIMARY KEY,
    scorecard_id       text        NOT NULL,
    scorecard_version  integer     NOT NULL,
    total              integer     NOT NULL,
    done               integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz
);
