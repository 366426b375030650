"""A sample third-party Clockwork plugin: one resource type, one assertion, one command."""

from .resources import SampleResource, ThingColorAssert

__all__ = ["SampleResource", "ThingColorAssert"]
