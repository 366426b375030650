"""Clockwork plugin: Linux containers run by Apple's `container` CLI (macOS)."""

from clockwork.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "AppleContainerResource": ".resource",
    "AppleContainerRunningAssert": ".assertions",
})
