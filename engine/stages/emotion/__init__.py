"""emotion stage backends."""
