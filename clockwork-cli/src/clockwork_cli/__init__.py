"""The `clockwork` command line: a click group that installed plugins extend."""
