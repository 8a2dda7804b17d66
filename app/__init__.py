"""The composition root: the `sova` command, config loading, paths, logging and wiring."""
