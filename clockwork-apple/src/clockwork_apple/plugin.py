"""Registers the apple plugin with Clockwork (entry point `clockwork`, name `apple`)."""

from clockwork import hookimpl

from .assertions import AppleContainerRunningAssert
from .resource import AppleContainerResource


@hookimpl
def register_resources(register):
    register(AppleContainerResource)


@hookimpl
def register_assertions(register):
    register(AppleContainerRunningAssert)
