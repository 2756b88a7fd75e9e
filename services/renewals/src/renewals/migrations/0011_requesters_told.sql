-- Every requester told: each account that asked for a shipped request is told once (request_shipped).
CREATE TABLE request_told (
    request_id  text NOT NULL,
    account_id  text NOT NULL,
    told_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, account_id)
);
-- requests shipped before: their requesters were told the old way (the account on the event)
INSERT INTO request_told (request_id, account_id)
SELECT l.request_id, l.account_id FROM request_links l JOIN requests r USING (request_id)
WHERE r.status = 'shipped' ON CONFLICT DO NOTHING;
