-- Where the account stands on the value ladder (health's value_ladder_changed): rung, step and why.
ALTER TABLE accounts
    ADD COLUMN value_rung    text,
    ADD COLUMN value_step    smallint,
    ADD COLUMN value_reason  text,
    ADD COLUMN value_at      timestamptz;
