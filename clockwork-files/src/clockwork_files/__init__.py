"""Clockwork plugin: local files as resources."""

from clockwork.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "FileContentMatchesAssert": ".assertions",
    "FileExistsAssert": ".assertions",
    "FileResource": ".resource",
})
