"""Bellwether's common package: event contract, Kafka and PostgreSQL helpers, telemetry, settings."""
