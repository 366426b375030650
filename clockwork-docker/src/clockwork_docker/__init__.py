"""Clockwork plugin: Docker containers as resources."""

from clockwork.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "ContainerRunningAssert": ".assertions",
    "DockerEngineUnreachable": ".docker_cli",
    "DockerResource": ".resource",
    "LogContainsAssert": ".assertions",
})
