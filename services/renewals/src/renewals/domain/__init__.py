"""The pure core of renewals: no framework, no I/O."""
