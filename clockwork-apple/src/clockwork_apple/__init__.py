"""Clockwork plugin: Linux containers run by Apple's `container` CLI (macOS)."""

from .assertions import AppleContainerRunningAssert
from .resource import AppleContainerResource

__all__ = ["AppleContainerResource", "AppleContainerRunningAssert"]
