-- Notifications' own state: projections of accounts and owners, rules, people, destinations,
-- alerts and their outcomes per recipient, persistent deliveries with every attempt.

CREATE TABLE accounts (
    account_id    text PRIMARY KEY,
    name          text,
    tier          text,
    arr           numeric,
    colour        text,
    score         double precision,
    renewal_date  date,
    csm           text,
    ae            text,
    renewal_owner text,
    upserted_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- people who receive alerts; the VP of CS (role vp) receives what rules address to "vp"
CREATE TABLE people (
    person_id          text PRIMARY KEY,
    name               text,
    email              text,
    role               text,
    digest             text NOT NULL DEFAULT 'daily' CHECK (digest IN ('hourly', 'daily')),
    digest_at_or_below text NOT NULL DEFAULT 'low',
    throttle_per_hour  int NOT NULL DEFAULT 10 CHECK (throttle_per_hour > 0),
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rules (
    rule_id          text PRIMARY KEY,
    name             text NOT NULL,
    event_type       text NOT NULL,
    conditions       jsonb NOT NULL DEFAULT '[]'::jsonb,
    severity         text NOT NULL,
    recipient_roles  text[] NOT NULL DEFAULT '{}',
    recipient_people text[] NOT NULL DEFAULT '{}',
    dedupe_window_s  int NOT NULL DEFAULT 3600 CHECK (dedupe_window_s >= 0),
    key_fields       text[] NOT NULL DEFAULT '{}',
    enabled          boolean NOT NULL DEFAULT true,
    builtin          boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_event_type_idx ON rules (event_type) WHERE enabled;

-- where alerts go: signed webhooks, chat incoming webhooks, email addresses
CREATE TABLE destinations (
    destination_id  text PRIMARY KEY,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('webhook', 'chat', 'email')),
    target          text NOT NULL,             -- URL, or e-mail address
    secrets         jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{secret, created_at, expires_at}] (webhooks)
    owner_person_id text REFERENCES people,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- which recipients' alerts reach which destination: a person, a role ("role:csm") or everyone ("*")
CREATE TABLE subscriptions (
    subscription_id text PRIMARY KEY,
    destination_id  text NOT NULL REFERENCES destinations ON DELETE CASCADE,
    recipient       text NOT NULL,
    min_severity    text NOT NULL DEFAULT 'info',
    event_types     text[] NOT NULL DEFAULT '{}',   -- empty: all
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_recipient_idx ON subscriptions (recipient);

CREATE TABLE alerts (
    alert_id    text PRIMARY KEY,
    rule_id     text NOT NULL,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    account_id  text,
    severity    text NOT NULL,
    alert_key   text NOT NULL,
    title       text NOT NULL,
    text        text NOT NULL,
    why         text NOT NULL,
    facts       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, event_id)
);
CREATE INDEX alerts_account_idx ON alerts (account_id, created_at);

-- what became of an alert for each recipient, and why
CREATE TABLE alert_outcomes (
    alert_id     text NOT NULL REFERENCES alerts,
    recipient    text NOT NULL,
    alert_key    text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('send', 'duplicate', 'digest', 'throttled', 'no_destination')),
    reason       text NOT NULL,
    digest_id    text,
    decided_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, recipient)
);
CREATE INDEX alert_outcomes_key_idx ON alert_outcomes (recipient, alert_key, decided_at) WHERE outcome <> 'duplicate';
CREATE INDEX alert_outcomes_sent_idx ON alert_outcomes (recipient, decided_at) WHERE outcome = 'send';
CREATE INDEX alert_outcomes_pending_digest_idx ON alert_outcomes (recipient) WHERE outcome IN ('digest', 'throttled') AND digest_id IS NULL;

CREATE TABLE digests (
    digest_id  text PRIMARY KEY,
    recipient  text NOT NULL,
    period     text NOT NULL,
    alerts     int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- persistent deliveries: one per (destination, alert or digest); the id is the webhook-id
CREATE TABLE deliveries (
    delivery_id     text PRIMARY KEY,
    destination_id  text NOT NULL REFERENCES destinations,
    alert_id        text,
    digest_id       text,
    recipient       text,
    kind            text NOT NULL,
    payload         bytea NOT NULL,           -- the JSON body (webhook, chat) or the message (email)
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,              -- a sender has it in flight until then
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    succeeded_at    timestamptz,
    UNIQUE (destination_id, alert_id, recipient),
    CHECK ((alert_id IS NULL) <> (digest_id IS NULL))
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_destination_idx ON deliveries (destination_id, created_at);

CREATE TABLE delivery_attempts (
    delivery_id text NOT NULL REFERENCES deliveries,
    attempt     int NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status_code int,
    error       text,
    latency_ms  double precision NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
