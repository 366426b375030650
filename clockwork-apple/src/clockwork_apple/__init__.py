"""Clockwork plugin: Linux containers run by Apple's `container` CLI (macOS).

Exports load on first use (`clockwork.lazy`); type checkers read the imports below.
"""

from typing import TYPE_CHECKING

from clockwork.lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import AppleContainerRunningAssert as AppleContainerRunningAssert
    from .resource import AppleContainerResource as AppleContainerResource

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "AppleContainerResource": ".resource",
        "AppleContainerRunningAssert": ".assertions",
    },
)
