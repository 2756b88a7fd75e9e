-- Expansion readiness per account (announced once on becoming ready).
CREATE TABLE expansion_state (
    account_id   text PRIMARY KEY,
    ready        boolean NOT NULL,
    growth_type  text,
    reasons      jsonb NOT NULL,
    missing      jsonb NOT NULL,
    changed_at   timestamptz NOT NULL
);

-- Onboarding not confirmed by the customer N days after kickoff: announced once per account.
CREATE TABLE onboarding_overdue (
    account_id    text PRIMARY KEY,
    announced_at  timestamptz NOT NULL
);
