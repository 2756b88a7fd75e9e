-- The first day an account was seen using the product: its usage measures count from then on (or once
-- its grace period after it was first seen has passed); before, missing usage is no data, not zero.
ALTER TABLE accounts ADD COLUMN first_usage_on date;
UPDATE accounts a SET first_usage_on = u.first
  FROM (SELECT account_id, min(day) AS first FROM usage_daily GROUP BY account_id) u
 WHERE u.account_id = a.account_id;
