"""Maintenance tools run from the repository (not part of the public API)."""
