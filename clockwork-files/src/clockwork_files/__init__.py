"""Clockwork plugin: local files as resources.

Exports load on first use (`clockwork.lazy`); type checkers read the imports below.
"""

from typing import TYPE_CHECKING

from clockwork.lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import FileContentMatchesAssert as FileContentMatchesAssert
    from .assertions import FileExistsAssert as FileExistsAssert
    from .resource import FileResource as FileResource

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "FileContentMatchesAssert": ".assertions",
        "FileExistsAssert": ".assertions",
        "FileResource": ".resource",
    },
)
