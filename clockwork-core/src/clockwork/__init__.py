"""Clockwork: infrastructure as Pydantic models, completed by AI, deployed by Pulumi.

Names load on first use, so `from clockwork import hookimpl` (all a plugin module
needs at start-up) imports neither pydantic nor pulumi. Type checkers read the
`TYPE_CHECKING` imports instead, which name the same modules as the lazy table.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import Assertion as Assertion
    from .assertions import AssertionFailed as AssertionFailed
    from .assertions import HealthcheckAssert as HealthcheckAssert
    from .assertions import PortAccessibleAssert as PortAccessibleAssert
    from .errors import ClockworkError as ClockworkError
    from .errors import CycleError as CycleError
    from .errors import PluginError as PluginError
    from .errors import ProjectError as ProjectError
    from .errors import UsageError as UsageError
    from .hookspecs import hookimpl as hookimpl
    from .resource import BlankResource as BlankResource
    from .resource import Resource as Resource
    from .resource import ResourceValidationError as ResourceValidationError

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "Assertion": ".assertions",
        "AssertionFailed": ".assertions",
        "BlankResource": ".resource",
        "ClockworkError": ".errors",
        "CycleError": ".errors",
        "HealthcheckAssert": ".assertions",
        "PluginError": ".errors",
        "PortAccessibleAssert": ".assertions",
        "ProjectError": ".errors",
        "Resource": ".resource",
        "ResourceValidationError": ".resource",
        "UsageError": ".errors",
        "hookimpl": ".hookspecs",
    },
)
