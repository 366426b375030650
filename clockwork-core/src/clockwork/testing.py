"""Helpers for testing Clockwork plugins (needs pytest).

Use it as a pytest plugin, in your conftest.py: `pytest_plugins = ["clockwork.testing"]`.

- `plugin_host(*plugins)` / fixture `clockwork_plugins`: a plugin host with core's
  built-ins and your plugin registered inline, no entry points scanned, installed as
  the process-wide host for the duration.
- `compile_under_mocks(resources)`: runs Clockwork's compiler under Pulumi's mock
  runtime and returns every resource the program registered, with inputs, parent and
  dependencies, so a test can check exactly what would be deployed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

import pytest

from .graph import topological_order
from .plugins import PluginHost, get_plugin_host, set_plugin_host
from .resource import Resource
from .simulate import RegisteredResource, RegisteredResources, run_under_mocks

__all__ = [
    "RegisteredResource",
    "RegisteredResources",
    "clockwork_plugins",
    "compile_under_mocks",
    "plugin_host",
    "run_under_mocks",
]

# ----- plugins ----------------------------------------------------------------------------


@contextlib.contextmanager
def plugin_host(*plugins: object, distribution: str = "test-plugin",
                entry_points: bool = False) -> Iterator[PluginHost]:
    """A fresh host (core built-ins + `plugins`) set as the process-wide one meanwhile."""
    previous = get_plugin_host_or_none()
    host = PluginHost()
    host.register_builtin()
    if entry_points:
        host.load_entry_points()
    for index, plugin in enumerate(plugins):
        host.register(plugin, distribution=distribution, name=f"{distribution}:{index}")
    set_plugin_host(host)
    try:
        yield host
    finally:
        set_plugin_host(previous)


def get_plugin_host_or_none() -> PluginHost | None:
    from . import plugins

    return plugins._host


@pytest.fixture
def clockwork_plugins() -> Iterator[Callable[..., PluginHost]]:
    """Call with plugin objects; returns the host they are registered in."""
    with contextlib.ExitStack() as stack:
        yield lambda *plugins, **kwargs: stack.enter_context(plugin_host(*plugins, **kwargs))


# ----- Pulumi mock harness ----------------------------------------------------------------


def compile_under_mocks(resources: Iterable[Resource], *, compiler: str = "pulumi",
                        preview: bool = False) -> RegisteredResources:
    """Order `resources` (and all they reach), compile them with the registered
    compiler and run the program under Pulumi mocks."""
    ordered = topological_order(resources)
    factory = get_plugin_host().registry.get("compilers", compiler)
    program = factory(None).build_program(ordered)
    return run_under_mocks(program, preview=preview)
