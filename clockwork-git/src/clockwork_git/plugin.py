"""Registers the git plugin with Clockwork (entry point `clockwork`, name `git`)."""

from clockwork import hookimpl

from .assertions import GitRepoClonedAssert
from .resource import GitRepoResource


@hookimpl
def register_resources(register):
    register(GitRepoResource)


@hookimpl
def register_assertions(register):
    register(GitRepoClonedAssert)
