"""Fills for holes: candidates from scope, type compatibility, ranking, validation."""
