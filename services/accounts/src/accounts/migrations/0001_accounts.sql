-- The account view's own projection (schema "accounts"), fed only by events from every topic but usage:
-- what each account is, its health, champions, goals, tickets, requests, NPS with comments, contracts,
-- renewals with their risk, alerts; and its timeline. Latest-wins by the time each event carries.

CREATE TABLE accounts (
    account_id          text PRIMARY KEY,
    name                text,
    tier                text,
    segment             text,
    industry            text,
    exposure            text,
    arr                 double precision,
    seats               integer,
    lifecycle_stage     text,
    renewal_date        date,
    csm                 text,
    ae                  text,
    renewal_owner       text,
    upserted_at         timestamptz,
    health_value        double precision,
    health_colour       text,
    health_reasons      jsonb NOT NULL DEFAULT '[]',
    health_at           timestamptz,
    healthy_champions   integer,
    champion_target     integer,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_csm_idx ON accounts (csm);
CREATE INDEX accounts_ae_idx ON accounts (ae);

CREATE TABLE health_scores (
    account_id  text NOT NULL,
    at          timestamptz NOT NULL,
    value       double precision NOT NULL,
    colour      text NOT NULL,
    PRIMARY KEY (account_id, at)
);

CREATE TABLE contacts (
    account_id   text NOT NULL,
    contact_id   text NOT NULL,
    name         text,
    title        text,
    role         text,
    is_champion  boolean NOT NULL DEFAULT false,
    departed     boolean NOT NULL DEFAULT false,
    changed_at   timestamptz,
    label        text,
    engagement   double precision,
    delight      double precision,
    influence    text,
    quadrant     text,
    healthy      boolean,
    influential  boolean,
    why          jsonb NOT NULL DEFAULT '[]',
    assessed_at  timestamptz,
    PRIMARY KEY (account_id, contact_id)
);

CREATE TABLE goals (
    account_id     text NOT NULL,
    goal_id        text NOT NULL,
    name           text NOT NULL,
    status         text NOT NULL,              -- as the CRM states it
    computed_status text,                      -- computed by health from the numbers (wins when present)
    metric         text,
    baseline       double precision,
    target_value   double precision,
    current_value  double precision,
    progress_pct   double precision,
    due_date       date,
    changed_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, goal_id)
);

CREATE TABLE problems (
    account_id   text NOT NULL,
    problem_id   text NOT NULL,
    description  text NOT NULL,
    severity     integer NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, problem_id)
);

CREATE TABLE tickets (
    account_id    text NOT NULL,
    ticket_id     text NOT NULL,
    status        text NOT NULL,
    severity      text NOT NULL,
    bug_linked    boolean NOT NULL,
    subject_line  text,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, ticket_id)
);

CREATE TABLE nps (
    account_id   text NOT NULL,
    event_id     text NOT NULL,
    contact_id   text NOT NULL,
    score        integer NOT NULL,
    comment      text,
    answered_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, event_id)
);

CREATE TABLE requests (
    account_id  text NOT NULL,
    request_id  text NOT NULL,
    title       text NOT NULL,
    kind        text NOT NULL DEFAULT 'feature',
    status      text NOT NULL,
    blocking    boolean NOT NULL DEFAULT false,
    contact_id  text,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, request_id)
);

CREATE TABLE contracts (
    account_id   text NOT NULL,
    contract_id  text NOT NULL,
    start_date   date NOT NULL,
    end_date     date NOT NULL,
    arr          double precision NOT NULL,
    products     text[] NOT NULL DEFAULT '{}',
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, contract_id)
);

CREATE TABLE renewals (
    account_id      text NOT NULL,
    opportunity_id  text NOT NULL,
    kind            text NOT NULL DEFAULT 'renewal',
    renewal_date    date,
    arr             double precision,
    owner_id        text,
    at_risk         boolean NOT NULL DEFAULT false,
    risk_level      text,
    risk_points     double precision,
    risk_reasons    jsonb NOT NULL DEFAULT '[]',
    outcome         text,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, opportunity_id)
);

CREATE TABLE milestones (
    account_id     text NOT NULL,
    milestone_key  text NOT NULL,
    name           text NOT NULL,
    state          text NOT NULL,
    is_key         boolean NOT NULL DEFAULT false,
    on_date        date,
    PRIMARY KEY (account_id, milestone_key)
);

CREATE TABLE alerts (
    account_id  text NOT NULL,
    alert_id    text NOT NULL,
    rule_id     text NOT NULL,
    severity    text NOT NULL,
    title       text NOT NULL,
    text        text NOT NULL,
    recipients  jsonb NOT NULL,
    raised_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, alert_id)
);
CREATE INDEX alerts_recent_idx ON alerts (account_id, raised_at DESC);

-- Everything that happened to an account, across all topics, newest first.
CREATE TABLE timeline (
    id           bigserial PRIMARY KEY,
    account_id   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    kind         text NOT NULL,
    event_type   text NOT NULL,
    event_id     text NOT NULL UNIQUE,
    title        text NOT NULL,
    detail       jsonb NOT NULL
);
CREATE INDEX timeline_account_idx ON timeline (account_id, occurred_at DESC, id DESC);
CREATE INDEX timeline_age_brin ON timeline USING brin (occurred_at);
