"""Registers the apple plugin with Clockwork (entry point `clockwork`, name `apple`).

Classes are imported inside the hooks: `clockwork --help` loads this module, and
only commands that need the types pay for building their models.
"""

from clockwork import hookimpl


@hookimpl
def register_resources(register):
    from .resource import AppleContainerResource

    register(AppleContainerResource)


@hookimpl
def register_assertions(register):
    from .assertions import AppleContainerRunningAssert

    register(AppleContainerRunningAssert)
