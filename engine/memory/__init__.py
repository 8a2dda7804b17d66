"""Conversation memory: history and state on disk."""
