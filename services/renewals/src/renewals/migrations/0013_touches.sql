-- The touches the engagement model promises, held or missed (latest per touch_id wins), and the
-- overdue ones already announced (once per account, kind and due day).
CREATE TABLE touches (
    account_id   text NOT NULL,
    touch_id     text NOT NULL,
    kind         text NOT NULL,
    outcome      text NOT NULL,
    held_on      date NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, touch_id)
);
CREATE INDEX touches_done ON touches (account_id, kind, held_on) WHERE outcome = 'done';

CREATE TABLE touch_overdue_told (
    account_id  text NOT NULL,
    kind        text NOT NULL,
    due_on      date NOT NULL,
    told_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind, due_on)
);
