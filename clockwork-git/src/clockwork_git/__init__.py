"""Clockwork plugin: git repositories as resources.

Exports load on first use (`clockwork.lazy`); type checkers read the imports below.
"""

from typing import TYPE_CHECKING

from clockwork.lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import GitRepoClonedAssert as GitRepoClonedAssert
    from .resource import GitRepoResource as GitRepoResource

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "GitRepoClonedAssert": ".assertions",
        "GitRepoResource": ".resource",
    },
)
