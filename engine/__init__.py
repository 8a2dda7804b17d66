"""Sova's engine: everything that is not Qt. This package never imports PySide6."""
