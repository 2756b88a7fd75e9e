"""The renewals service: not built yet (see its issue). An empty package so the layout is complete."""
