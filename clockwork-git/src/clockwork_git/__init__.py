"""Clockwork plugin: git repositories as resources."""

from clockwork.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "GitRepoClonedAssert": ".assertions",
    "GitRepoResource": ".resource",
})
