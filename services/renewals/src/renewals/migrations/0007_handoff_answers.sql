-- Hand-off reviews: a deal from a CRM without the answers opens as 'answers_missing' (no score);
-- CS records or amends the answers at kickoff (who and when kept here, before/after in the audit log).
ALTER TABLE handoff_reviews ALTER COLUMN answers DROP NOT NULL;
ALTER TABLE handoff_reviews ALTER COLUMN score DROP NOT NULL;
ALTER TABLE handoff_reviews ADD COLUMN answers_by text;
ALTER TABLE handoff_reviews ADD COLUMN answers_at timestamptz;
-- reviews already scored keep their flags; their band follows the worst failed criterion from now on
UPDATE handoff_reviews SET band = CASE
    WHEN flags @> '[{"criterion": "severe_problem"}]' OR flags @> '[{"criterion": "long_term_use"}]'
      OR flags @> '[{"criterion": "right_buyer"}]' OR flags @> '[{"criterion": "technology_ready"}]' THEN 'poor'
    WHEN jsonb_array_length(flags) > 0 THEN 'fair'
    ELSE 'good' END;
