"""Bellwether health: real-time, explainable per-account health scores and milestones."""
