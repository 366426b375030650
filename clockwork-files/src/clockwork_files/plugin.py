"""Registers the files plugin with Clockwork (entry point `clockwork`, name `files`)."""

from clockwork import hookimpl

from .assertions import FileContentMatchesAssert, FileExistsAssert
from .resource import FileResource


@hookimpl
def register_resources(register):
    register(FileResource)


@hookimpl
def register_assertions(register):
    register(FileExistsAssert)
    register(FileContentMatchesAssert)
