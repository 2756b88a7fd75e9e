"""The pure core of notifications: rules, routing, noise control, URL guard, signing, messages."""
