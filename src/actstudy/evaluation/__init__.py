"""Aggregation of runs into study tables, and statistics over them."""
