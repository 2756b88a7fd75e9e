-- Renewal-risk weights, configurable per company through PUT /v1/risk/weights (admin). Keys left out
-- keep the defaults of renewals.domain.risk.Weights.
INSERT INTO settings (key, value, updated_by) VALUES ('risk_weights', '{}', 'migration') ON CONFLICT DO NOTHING;
