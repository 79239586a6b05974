"""Composition root (placeholder until the service is built)."""
