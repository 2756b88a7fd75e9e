-- What the executive report reads besides the view: onboarding, rejected deals, renewal outcomes with
-- their ARR change and reason, time to value.
ALTER TABLE accounts
    ADD COLUMN onboarding_started_at date,
    ADD COLUMN deal_rejected boolean NOT NULL DEFAULT false;  -- CS rejected a deal of it at hand-off

ALTER TABLE renewals
    ADD COLUMN contract_id text,
    ADD COLUMN arr_change double precision,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN close_reason text;

ALTER TABLE milestones ADD COLUMN ttv_days integer;

CREATE TABLE onboarding (
    account_id    text NOT NULL,
    aspect        text NOT NULL,
    confirmed_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, aspect)
);
