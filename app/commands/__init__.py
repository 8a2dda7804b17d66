"""Subcommands of `sova`, one module each."""
