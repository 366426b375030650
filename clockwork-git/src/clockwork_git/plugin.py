"""Registers the git plugin with Clockwork (entry point `clockwork`, name `git`).

Classes are imported inside the hooks: `clockwork --help` loads this module, and
only commands that need the types pay for building their models.
"""

from clockwork import hookimpl


@hookimpl
def register_resources(register):
    from .resource import GitRepoResource

    register(GitRepoResource)


@hookimpl
def register_assertions(register):
    from .assertions import GitRepoClonedAssert

    register(GitRepoClonedAssert)


@hookimpl
def register_policies(register):
    from .policies import policies

    for name, policy in policies():
        register(name, policy)
