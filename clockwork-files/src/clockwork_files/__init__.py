"""Clockwork plugin: local files as resources."""

from .assertions import FileContentMatchesAssert, FileExistsAssert
from .resource import FileResource

__all__ = ["FileContentMatchesAssert", "FileExistsAssert", "FileResource"]
