"""Helpers for testing Clockwork plugins (needs pytest).

Use it as a pytest plugin, in your conftest.py: `pytest_plugins = ["clockwork.testing"]`.

- `plugin_host(*plugins)` / fixture `clockwork_plugins`: a plugin host with core's
  built-ins and your plugin registered inline, no entry points scanned, installed as
  the process-wide host for the duration.
- fixtures `clean_env` (no CW_* variable from the shell leaks in), `no_pulumi_cli`
  (PATH and CW_HOME empty: engine commands must say the CLI is missing), and the
  autouse `fresh_settings`, `no_model_requests` (PydanticAI's ALLOW_MODEL_REQUESTS
  off) and `skip_without_pulumi_cli` (tests marked `pulumi_cli` are skipped where the
  Pulumi CLI is not installed).
- fixture `clockwork_project`: a `ClockworkProject`, a fresh project folder for the
  test; `bind(*resources)` makes it their `project_dir` (as loading a main.py there
  would), `write_main(source)` writes its main.py.
- `dynamic_provider_of(registered)`: the dynamic provider (and inputs) a compiled
  resource carries, to run its create/delete for real as the engine would.
- `compile_under_mocks(resources)`: runs Clockwork's compiler under Pulumi's mock
  runtime and returns every resource the program registered, with inputs, parent and
  dependencies, so a test can check exactly what would be deployed.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .graph import topological_order
from .plugins import PluginHost, get_plugin_host, set_plugin_host
from .resource import Resource
from .settings import clear_settings_cache
from .simulate import RegisteredResource, RegisteredResources, run_under_mocks

__all__ = [
    "ClockworkProject",
    "RegisteredResource",
    "RegisteredResources",
    "clean_env",
    "clockwork_plugins",
    "clockwork_project",
    "compile_under_mocks",
    "dynamic_provider_of",
    "fresh_settings",
    "no_model_requests",
    "no_pulumi_cli",
    "plugin_host",
    "run_under_mocks",
    "skip_without_pulumi_cli",
]

# ----- plugins ----------------------------------------------------------------------------


@contextlib.contextmanager
def plugin_host(
    *plugins: object, distribution: str = "test-plugin", entry_points: bool = False
) -> Iterator[PluginHost]:
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


# ----- environment -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are cached per folder: never let one test see another's."""
    clear_settings_cache()
    yield
    clear_settings_cache()


@pytest.fixture(autouse=True)
def no_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a real model: PydanticAI refuses requests unless a test (a live
    one, or one against a local stand-in server) turns them back on."""
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


@pytest.fixture(autouse=True)
def skip_without_pulumi_cli(request: pytest.FixtureRequest) -> None:
    """Tests marked `pulumi_cli` drive the real engine: skipped where none is installed
    (`clockwork setup`), and failed instead with CW_REQUIRE_PULUMI=1, as CI runs."""
    if not request.node.get_closest_marker("pulumi_cli"):
        return
    from .engine import usable_pulumi_cli

    if usable_pulumi_cli() is None:
        if os.environ.get("CW_REQUIRE_PULUMI") == "1":
            pytest.fail("CW_REQUIRE_PULUMI=1 but no usable Pulumi CLI: run `clockwork setup`")
        pytest.skip("needs the Pulumi CLI (`clockwork setup`)")


def require_engine_plugins(type_tokens: list[str]) -> None:
    """Skip, naming what is missing, unless the engine plugins that deploy these Pulumi
    types are installed (`clockwork setup` builds them); fail instead with
    CW_REQUIRE_PULUMI=1, as CI runs, where setup must have built them."""
    from .engine_setup import missing_engine_plugins
    from .plugins import get_plugin_host

    missing = missing_engine_plugins(type_tokens, get_plugin_host())
    if missing:
        reason = "; ".join(missing) + " (`clockwork setup` installs it)"
        if os.environ.get("CW_REQUIRE_PULUMI") == "1":
            pytest.fail(f"CW_REQUIRE_PULUMI=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CW_* variable, and no Pulumi setting that would move state or secrets, leaks
    in from the developer's shell (CW_HOME, where the engine is, and CI's CW_REQUIRE_*
    demands stay)."""
    pulumi_settings = (
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "PULUMI_BACKEND_URL",
    )
    for key in list(os.environ):
        if key.upper() in ("CW_HOME", "CW_REQUIRE_DOCKER", "CW_REQUIRE_PULUMI"):
            continue
        if key.upper().startswith("CW_") or key.upper() in pulumi_settings:
            monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def no_pulumi_cli(clean_env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean environment where the Pulumi CLI is nowhere to be found: PATH is an empty
    folder and CW_HOME (where `clockwork setup` installs it) another. Returns CW_HOME."""
    empty_bin = tmp_path_factory.mktemp("empty-bin")
    home = tmp_path_factory.mktemp("cw-home")
    clean_env.setenv("PATH", str(empty_bin))
    clean_env.setenv("CW_HOME", str(home))
    return home


# ----- a project folder -------------------------------------------------------------------

R = TypeVar("R", bound=Resource)


@dataclass(frozen=True)
class ClockworkProject:
    """A project folder for a test, and the resources it builds bound to it."""

    path: Path

    @property
    def main_py(self) -> Path:
        return self.path / "main.py"

    def bind(self, resource: R, *more: Resource) -> R:
        """Make this folder the `project_dir` of each resource and its children, as
        loading a main.py here does; returns the first resource."""
        bound: tuple[Resource, ...] = (resource, *more)
        for each in bound:
            each.bind_to_project(self.path)
        return resource

    def write_main(self, source: str) -> Path:
        """Write `source` (dedented) as the project's main.py; returns its path."""
        self.main_py.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return self.main_py

    def __truediv__(self, other: str | Path) -> Path:
        return self.path / other

    def __fspath__(self) -> str:
        return str(self.path)


@pytest.fixture
def clockwork_project(tmp_path: Path) -> ClockworkProject:
    """A fresh, empty project folder (`<tmp_path>/project`)."""
    folder = tmp_path / "project"
    folder.mkdir()
    return ClockworkProject(folder)


# ----- Pulumi mock harness ----------------------------------------------------------------


def dynamic_provider_of(registered: RegisteredResource) -> tuple[Any, dict[str, Any]]:
    """The dynamic provider a registered `pulumi.dynamic.Resource` carries, and its
    inputs: call `provider.create(inputs)` to do for real what the engine would."""
    import pickle

    from .dynamic import provider_payload

    payload = provider_payload(registered.inputs)
    assert payload is not None, f"{registered.name} carries no dynamic provider"
    unpickles_in_a_fresh_process(payload, registered.name)
    provider = pickle.loads(payload)  # noqa: S301 (our own program's)
    inputs = {k: v for k, v in registered.inputs.items() if k != "__provider"}
    return provider, inputs


def unpickles_in_a_fresh_process(payload: bytes, name: str) -> None:
    """Load the pickled provider in a new interpreter, as the engine's provider process
    does: a class it cannot import there fails here, not only under the engine."""
    import subprocess
    import sys
    import tempfile

    loader = "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"
    with tempfile.TemporaryDirectory() as neutral:  # not the test's folder on sys.path
        result = subprocess.run(
            [sys.executable, "-c", loader],
            input=payload,
            cwd=neutral,
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        last = (result.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise AssertionError(
            f"{name}: the engine's provider process could not load its dynamic provider: {last}"
        )


def compile_under_mocks(
    resources: Iterable[Resource], *, compiler: str = "pulumi", preview: bool = False
) -> RegisteredResources:
    """Order `resources` (and all they reach), compile them with the registered
    compiler and run the program under Pulumi mocks."""
    ordered = topological_order(resources)
    factory = get_plugin_host().registry.get("compilers", compiler)
    program = factory(None).build_program(ordered)
    return run_under_mocks(program, preview=preview)
