-- Where each account stands on the value ladder (health.domain.value): its rung and why; a change of
-- rung is announced (value_ladder_changed), a change of reason alone is kept quietly.
CREATE TABLE value_standing (
    account_id  text PRIMARY KEY,
    rung        text NOT NULL,
    step        smallint NOT NULL,
    reason      text NOT NULL,
    changed_at  timestamptz NOT NULL
);
