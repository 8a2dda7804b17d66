"""embeddings stage backends."""
