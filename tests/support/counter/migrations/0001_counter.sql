CREATE TABLE seen (
    event_id  text PRIMARY KEY,
    account   text,
    n         integer NOT NULL
);
