"""The views: one module per group of routes."""
