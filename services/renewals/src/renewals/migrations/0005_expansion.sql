-- Expansions opened because health found the account ready to grow: why, and that they came from it.
ALTER TABLE opportunities
    ADD COLUMN source text NOT NULL DEFAULT 'manual',   -- manual / readiness / renewal
    ADD COLUMN signal_reasons jsonb NOT NULL DEFAULT '[]';
INSERT INTO settings (key, value, updated_by) VALUES ('expansion_estimate', '{"pct": 0.2}', 'migration')
ON CONFLICT (key) DO NOTHING;
