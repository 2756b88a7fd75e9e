-- A score computed from too little data (health's `sufficient` false) is not a score to show: the CRM
-- write-back leaves the score out rather than writing the number (missing data is never zero).
ALTER TABLE accounts ADD COLUMN score_sufficient boolean;
