"""Registers the docker plugin with Clockwork (entry point `clockwork`, name `docker`)."""

from clockwork import hookimpl

from .assertions import ContainerRunningAssert, LogContainsAssert
from .resource import DockerResource


@hookimpl
def register_resources(register):
    register(DockerResource)


@hookimpl
def register_assertions(register):
    register(ContainerRunningAssert)
    register(LogContainsAssert)
