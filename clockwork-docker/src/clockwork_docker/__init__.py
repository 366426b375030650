"""Clockwork plugin: Docker containers as resources."""

from .assertions import ContainerRunningAssert, LogContainsAssert
from .docker_cli import DockerEngineUnreachable
from .resource import DockerResource

__all__ = [
    "ContainerRunningAssert",
    "DockerEngineUnreachable",
    "DockerResource",
    "LogContainsAssert",
]
