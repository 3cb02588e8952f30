"""Persistence: models, the repository (all SQL), the engine and migrations."""
