"""Notifications: alert rules, routing to owners by role, noise control, and signed webhook / chat /
email delivery with retries."""
