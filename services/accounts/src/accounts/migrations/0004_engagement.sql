-- How the account is served: what the CRM says of its growth potential, how the customer wants to be
-- served, and the engagement model when the CRM sets it (else the rule in bellwether_shared.engagement
-- decides it when the view is read).
ALTER TABLE accounts
    ADD COLUMN growth_potential text,
    ADD COLUMN engagement_preference text,
    ADD COLUMN engagement_model text;
