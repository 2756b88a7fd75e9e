-- One tier vocabulary (TIERS, read by every service): capacity per tier comes from it; what an admin
-- set through PUT /v1/capacity overrides it. The seeded copy of the old defaults goes.
DELETE FROM settings WHERE key = 'capacity' AND value = '{"strategic": 15, "mid": 40, "scale": 200}'::jsonb;

-- Renewals early and predictable: when each renewal was first at risk (a risk first seen inside its
-- last 30 days is a failure to report) and when its risk escalated to the VP (once, per its tier).
ALTER TABLE opportunities ADD COLUMN first_at_risk_at timestamptz;
ALTER TABLE opportunities ADD COLUMN escalated_at timestamptz;
UPDATE opportunities SET first_at_risk_at = risk_assessed_at WHERE at_risk;
