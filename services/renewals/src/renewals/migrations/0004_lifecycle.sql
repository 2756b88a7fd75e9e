-- The renewal lifecycle: why a renewal churned or shrank (one taxonomy for the reports), and churn
-- rates per industry exposure for the forecast.
ALTER TABLE opportunities
    ADD COLUMN close_reason text CHECK (close_reason IN ('price', 'value_not_realised', 'champion_left',
                                                          'product_gaps', 'budget', 'acquired', 'other')),
    ADD COLUMN close_note text;

INSERT INTO settings (key, value, updated_by) VALUES
    ('exposure_churn_rates', '{"high": 0.25, "moderate": 0.12, "low": 0.05}', 'migration')
ON CONFLICT (key) DO NOTHING;
