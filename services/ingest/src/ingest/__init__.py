"""Bellwether ingest: authenticate, validate, normalise and publish usage and CS signals to Kafka."""
