"""Fails on import, like a plugin with a bug or a missing dependency."""

raise RuntimeError("clockwork-broken-sample is broken on purpose")
