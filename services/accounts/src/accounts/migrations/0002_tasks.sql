-- The account's tasks (notifications' playbooks): open ones and what came of the closed ones.
CREATE TABLE tasks (
    account_id   text NOT NULL,
    task_id      text NOT NULL,
    playbook_id  text NOT NULL,
    title        text NOT NULL,
    owner_id     text,
    priority     text NOT NULL,
    due_at       timestamptz NOT NULL,
    status       text NOT NULL,
    why          text,
    steps        text[] NOT NULL DEFAULT '{}',
    outcome      text,
    reason       text,
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, task_id)
);
