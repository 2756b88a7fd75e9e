-- Renewal outcomes (from renewals.v1) for calibrating scorecards against what happened, and the
-- calibrations run: what was suggested, on what evidence, and whether an admin applied it.
CREATE TABLE renewal_outcomes (
    opportunity_id  text PRIMARY KEY,
    account_id      text NOT NULL,
    renewal_date    date NOT NULL,
    outcome         text NOT NULL,   -- renewed / expanded / downgraded / churned
    arr             double precision,
    closed_at       timestamptz NOT NULL
);
CREATE INDEX renewal_outcomes_date_idx ON renewal_outcomes (renewal_date);

CREATE TABLE calibrations (
    id               bigserial PRIMARY KEY,
    card_id          text NOT NULL,
    card_version     integer NOT NULL,
    params           jsonb NOT NULL,
    result           jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    applied_version  integer,          -- the scorecard version an admin made of it
    applied_at       timestamptz
);
CREATE INDEX calibrations_card_idx ON calibrations (card_id, id DESC);
