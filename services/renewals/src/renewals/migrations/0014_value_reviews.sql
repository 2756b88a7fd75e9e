-- The value reviews held with the customer (latest per review_id): the outcome of the last one is a
-- renewal-risk factor (missed or partially met value).
CREATE TABLE value_reviews (
    account_id   text NOT NULL,
    review_id    text NOT NULL,
    reviewed_on  date NOT NULL,
    outcome      text NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, review_id)
);
