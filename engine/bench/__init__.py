"""Benchmarks: voice-to-voice latency against the sequential baseline and the compute limit."""
