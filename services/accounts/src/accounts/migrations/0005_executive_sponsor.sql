-- The account's executive sponsor: a person of our company (the high-touch model promises one).
ALTER TABLE accounts ADD COLUMN executive_sponsor text;
