"""Clockwork: infrastructure as Pydantic models, completed by AI, deployed by Pulumi.

Importing `clockwork` is light (pydantic, pluggy): pulumi and pydantic-ai load only
in the modules that compile, deploy or complete.
"""

from .assertions import Assertion, AssertionFailed, HealthcheckAssert, PortAccessibleAssert
from .errors import ClockworkError, CycleError, PluginError, ProjectError, UsageError
from .hookspecs import hookimpl
from .resource import BlankResource, Resource, ResourceValidationError

__all__ = [
    "Assertion",
    "AssertionFailed",
    "BlankResource",
    "ClockworkError",
    "CycleError",
    "HealthcheckAssert",
    "PluginError",
    "PortAccessibleAssert",
    "ProjectError",
    "Resource",
    "ResourceValidationError",
    "UsageError",
    "hookimpl",
]
