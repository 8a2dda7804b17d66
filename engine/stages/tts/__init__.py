"""tts stage backends."""
