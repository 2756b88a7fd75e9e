-- How the account is served: what the CRM says of its growth potential, how the customer wants to be
-- served, and the engagement model when the CRM sets it (else the rule in bellwether_shared.engagement
-- decides it when the view is read).
ALTER TABLE accounts
    ADD COLUMN growth_potential text,
    ADD COLUMN engagement_preference text,
    ADD COLUMN engagement_model text;

-- The touches the engagement model promises, held or missed (latest per touch_id wins).
CREATE TABLE touches (
    account_id   text NOT NULL,
    touch_id     text NOT NULL,
    kind         text NOT NULL,
    outcome      text NOT NULL,
    held_on      date NOT NULL,
    by_person    text,
    hours        double precision,
    notes        text,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, touch_id)
);
