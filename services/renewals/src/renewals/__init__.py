"""Renewals: contracts, ownership policy, deal quality at hand-off, renewal risk, forecast, backtest."""
