"""A plugin distribution that is broken on purpose (see plugin.py)."""
