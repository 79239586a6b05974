"""Settings (placeholder until the service is built)."""
