-- Scores written back to the CRM (HubSpot companies, Salesforce Accounts): what the account's record
-- should show comes from the projection (health score, colour, trend; renewal risk and its reasons;
-- open tasks), what the CRM last acknowledged is kept per destination and account, and only what
-- differs is sent.
ALTER TABLE accounts
    ADD COLUMN score_trend  text,
    ADD COLUMN risk_level   text,
    ADD COLUMN risk_reasons jsonb,
    ADD COLUMN risk_at      timestamptz;

-- The account's record id in each CRM (from account.upserted crm_ids, or set by an admin).
CREATE TABLE crm_records (
    account_id text NOT NULL,
    system     text NOT NULL CHECK (system IN ('hubspot', 'salesforce')),
    record_id  text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, system)
);

CREATE TABLE crm_destinations (
    destination_id text PRIMARY KEY,
    name           text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('hubspot', 'salesforce')),
    base_url       text NOT NULL,
    token_sealed   text NOT NULL,
    fields         jsonb NOT NULL,
    api_version    text,
    coalesce_s     double precision NOT NULL DEFAULT 5 CHECK (coalesce_s >= 0 AND coalesce_s <= 3600),
    enabled        boolean NOT NULL DEFAULT true,
    paused_until   timestamptz,
    pause_reason   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per destination and account: coalesces every change of the account into one pending write.
CREATE TABLE crm_sync (
    destination_id  text NOT NULL REFERENCES crm_destinations ON DELETE CASCADE,
    account_id      text NOT NULL,
    dirty           boolean NOT NULL DEFAULT true,
    version         bigint NOT NULL DEFAULT 1,
    due_at          timestamptz NOT NULL,
    leased_until    timestamptz,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'synced', 'retrying', 'failed', 'unmapped')),
    sent            jsonb NOT NULL DEFAULT '{}',
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    last_attempt_at timestamptz,
    synced_at       timestamptz,
    PRIMARY KEY (destination_id, account_id)
);
CREATE INDEX crm_sync_due ON crm_sync (destination_id, due_at) WHERE dirty;
CREATE INDEX crm_sync_state ON crm_sync (destination_id, state);
