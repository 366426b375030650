"""Clockwork plugin: Docker containers as resources.

Exports load on first use (`clockwork.lazy`); type checkers read the imports below.
"""

from typing import TYPE_CHECKING

from clockwork.lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import ContainerRunningAssert as ContainerRunningAssert
    from .assertions import LogContainsAssert as LogContainsAssert
    from .docker_cli import DockerEngineUnreachable as DockerEngineUnreachable
    from .resource import DockerResource as DockerResource

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "ContainerRunningAssert": ".assertions",
        "DockerEngineUnreachable": ".docker_cli",
        "DockerResource": ".resource",
        "LogContainsAssert": ".assertions",
    },
)
