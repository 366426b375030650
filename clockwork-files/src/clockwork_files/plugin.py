"""Registers the files plugin with Clockwork (entry point `clockwork`, name `files`).

Classes are imported inside the hooks: `clockwork --help` loads this module, and
only commands that need the types pay for building their models.
"""

from clockwork import hookimpl


@hookimpl
def register_resources(register):
    from .resource import FileResource

    register(FileResource)


@hookimpl
def register_assertions(register):
    from .assertions import FileContentMatchesAssert, FileExistsAssert

    register(FileExistsAssert)
    register(FileContentMatchesAssert)


@hookimpl
def register_policies(register):
    from .policies import policies

    for name, policy in policies():
        register(name, policy)
