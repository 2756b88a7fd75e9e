-- What decides how an account is served (bellwether_shared.engagement): the books count the hours its
-- promised touches take.
ALTER TABLE accounts
    ADD COLUMN growth_potential text,
    ADD COLUMN engagement_preference text,
    ADD COLUMN engagement_model text;
