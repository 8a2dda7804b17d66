"""vad stage backends."""
