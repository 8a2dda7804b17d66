"""llm stage backends."""
