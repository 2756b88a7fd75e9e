-- The scorecard every account gets until CS ops assign another: usage first, NPS one factor among many.
INSERT INTO scorecards (id, version, name, is_default, definition) VALUES ('default', 1, 'Default health', true, '{
  "thresholds": {"red_below": 40, "green_from": 70},
  "min_measures": 2,
  "min_weight_share": 0.4,
  "measures": [
    {"key": "active_users", "type": "active_users", "weight": 3, "params": {"window_days": 30},
     "scale": [{"raw": 0, "score": 0}, {"raw": 0.3, "score": 50}, {"raw": 0.7, "score": 100}]},
    {"key": "usage_trend", "type": "usage_trend", "weight": 2, "params": {"window_days": 14},
     "scale": [{"raw": -50, "score": 0}, {"raw": 0, "score": 60}, {"raw": 25, "score": 100}]},
    {"key": "milestones", "type": "milestone_attainment", "weight": 2, "params": {},
     "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}]},
    {"key": "onboarding", "type": "onboarding", "weight": 1.5, "params": {},
     "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}]},
    {"key": "champion", "type": "champion", "weight": 2, "params": {"window_days": 90},
     "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}]},
    {"key": "goals", "type": "goal_attainment", "weight": 2, "params": {},
     "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}]},
    {"key": "nps", "type": "nps", "weight": 1, "params": {"window_days": 180},
     "scale": [{"raw": -100, "score": 0}, {"raw": 0, "score": 50}, {"raw": 50, "score": 100}]},
    {"key": "support_load", "type": "support_load", "weight": 1, "params": {"bug_factor": 1.5},
     "scale": [{"raw": 0, "score": 100}, {"raw": 6, "score": 40}, {"raw": 15, "score": 0}]},
    {"key": "exposure", "type": "exposure", "weight": 1, "params": {},
     "scale": [{"raw": 0, "score": 100}, {"raw": 2, "score": 30}]},
    {"key": "discount", "type": "discount_depth", "weight": 1, "params": {},
     "scale": [{"raw": 0, "score": 100}, {"raw": 20, "score": 80}, {"raw": 34, "score": 30}, {"raw": 60, "score": 0}]}
  ]
}'::jsonb);
