"""Clockwork plugin: git repositories as resources."""

from .assertions import GitRepoClonedAssert
from .resource import GitRepoResource

__all__ = ["GitRepoClonedAssert", "GitRepoResource"]
