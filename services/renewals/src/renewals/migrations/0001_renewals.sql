-- Renewals' own state, fed by events (signals.v1, health.v1) and its API.

CREATE TABLE accounts (
    account_id         text PRIMARY KEY,
    name               text,
    tier               text,
    segment            text,
    industry           text,
    exposure           text CHECK (exposure IN ('high', 'moderate', 'low')),
    arr                numeric,
    csm                text,
    ae                 text,
    renewal_owner      text,
    upserted_at        timestamptz,               -- the latest account upsert applied (latest wins)
    -- projection of health.v1
    health_score       double precision,
    health_colour      text,
    health_reasons     jsonb NOT NULL DEFAULT '[]'::jsonb,
    health_computed_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_csm_idx ON accounts (csm);

-- every score change health announced: the backtest's "score N days before the renewal"
CREATE TABLE health_history (
    account_id        text NOT NULL,
    computed_at       timestamptz NOT NULL,
    value             double precision NOT NULL,
    colour            text NOT NULL,
    scorecard_id      text,
    scorecard_version int,
    PRIMARY KEY (account_id, computed_at)
);

CREATE TABLE contacts (
    account_id  text NOT NULL,
    contact_id  text NOT NULL,
    is_champion boolean NOT NULL,
    departed    boolean NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);

CREATE TABLE tickets (
    account_id  text NOT NULL,
    ticket_id   text NOT NULL,
    status      text NOT NULL,
    severity    text NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, ticket_id)
);

CREATE TABLE missed_milestones (
    account_id    text NOT NULL,
    milestone_key text NOT NULL,
    deadline      date,
    PRIMARY KEY (account_id, milestone_key)
);

CREATE TABLE contracts (
    contract_id  text PRIMARY KEY,
    account_id   text NOT NULL,
    deal_id      text UNIQUE,
    start_date   date NOT NULL,
    end_date     date NOT NULL,
    term_months  int NOT NULL CHECK (term_months > 0),
    arr          numeric NOT NULL CHECK (arr >= 0),
    list_price   numeric CHECK (list_price >= 0),
    discount_pct numeric,
    products     text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date > start_date)
);
CREATE INDEX contracts_end_idx ON contracts (end_date);
CREATE INDEX contracts_account_idx ON contracts (account_id);

CREATE TABLE opportunities (
    opportunity_id   text PRIMARY KEY,
    account_id       text NOT NULL,
    contract_id      text REFERENCES contracts,
    kind             text NOT NULL CHECK (kind IN ('renewal', 'expansion')),
    growth_type      text,
    renewal_date     date,
    arr              numeric NOT NULL,
    stage            text NOT NULL DEFAULT 'upcoming'
                     CHECK (stage IN ('upcoming', 'in_progress', 'committed', 'closed')),
    outcome          text CHECK (outcome IN ('renewed', 'expanded', 'downgraded', 'churned')),
    arr_change       numeric,
    closed_at        timestamptz,
    colour_at_close  text,
    owner_id         text,
    owner_role       text NOT NULL,
    owner_reason     text NOT NULL,
    owner_manual     boolean NOT NULL DEFAULT false,
    risk_points      double precision NOT NULL DEFAULT 0,
    risk_level       text NOT NULL DEFAULT 'none',
    at_risk          boolean NOT NULL DEFAULT false,
    risk_reasons     jsonb NOT NULL DEFAULT '[]'::jsonb,
    last_window      int,
    risk_assessed_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((stage = 'closed') = (outcome IS NOT NULL))
);
CREATE UNIQUE INDEX opportunities_one_renewal_per_contract ON opportunities (contract_id) WHERE kind = 'renewal';
CREATE INDEX opportunities_open_account_idx ON opportunities (account_id) WHERE stage <> 'closed';
CREATE INDEX opportunities_open_date_idx ON opportunities (renewal_date) WHERE stage <> 'closed';
CREATE INDEX opportunities_closed_idx ON opportunities (renewal_date) WHERE stage = 'closed';

CREATE TABLE ownership_history (
    id             bigserial PRIMARY KEY,
    account_id     text NOT NULL,
    opportunity_id text,
    role           text NOT NULL,
    old_owner_id   text,
    new_owner_id   text,
    reason         text NOT NULL,
    actor          text NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ownership_history_opportunity_idx ON ownership_history (opportunity_id, id);
CREATE INDEX ownership_history_account_idx ON ownership_history (account_id, id);

CREATE TABLE handoff_reviews (
    deal_id         text PRIMARY KEY,
    account_id      text NOT NULL,
    contract_id     text REFERENCES contracts,
    ae              text,
    lead_source     text,
    lead_score      double precision,
    answers         jsonb NOT NULL,
    discount_pct    numeric NOT NULL,
    score           double precision NOT NULL,
    band            text NOT NULL,
    flags           jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'accepted', 'rejection_proposed', 'rejected')),
    proposed_by     text,
    proposal_note   text,
    failed_criteria text[] NOT NULL DEFAULT '{}',
    decided_by      text,
    decided_at      timestamptz,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handoff_reviews_account_idx ON handoff_reviews (account_id);
CREATE INDEX handoff_reviews_status_idx ON handoff_reviews (status);

-- who changed what, when: every change of a contract, opportunity, review, owner or setting
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);

-- company-wide configuration: ownership policy, capacity per tier, churn rates per colour
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);
INSERT INTO settings (key, value, updated_by) VALUES
    ('policy', '{"model": "split", "growth_type_decides": true, "renewals_team": false}', 'migration'),
    ('capacity', '{"strategic": 15, "mid": 40, "scale": 200}', 'migration'),
    ('churn_rates', '{"red": 0.35, "yellow": 0.15, "green": 0.04, "unknown": 0.12}', 'migration');
