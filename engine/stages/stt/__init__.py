"""stt stage backends."""
