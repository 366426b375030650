"""Clockwork: infrastructure as Pydantic models, completed by AI, deployed by Pulumi.

Names load on first use, so `from clockwork import hookimpl` (all a plugin module
needs at start-up) imports neither pydantic nor pulumi.
"""

from .lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
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
})
