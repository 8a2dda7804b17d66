"""The main window's building blocks; each talks only to the bridge's signals and commands."""
