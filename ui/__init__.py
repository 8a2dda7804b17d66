"""Sova's Qt desktop app: the only package that imports Qt (engine/ never does)."""
