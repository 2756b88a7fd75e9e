-- Retention deletes by age; BRIN indexes find old rows cheaply (rows arrive roughly in time order)
-- and cost the consumer's inserts next to nothing.
CREATE INDEX usage_daily_day_brin ON usage_daily USING brin (day);
CREATE INDEX user_days_day_brin ON user_days USING brin (day);
CREATE INDEX milestone_hits_day_brin ON milestone_hits USING brin (day);
CREATE INDEX scores_computed_at_brin ON scores USING brin (computed_at);
