-- Whether usage counted in the health colour health last announced: a colour computed before any
-- usage is data for the account (go-live) is no renewal risk factor.
ALTER TABLE accounts ADD COLUMN health_usage_data boolean;
