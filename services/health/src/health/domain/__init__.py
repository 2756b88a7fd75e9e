"""The health domain core: measures, scoring, explanations, trend, milestones. Pure Python."""
