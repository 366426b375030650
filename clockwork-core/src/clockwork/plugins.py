"""Finding, loading and asking plugins.

Plugins are modules named by entry points in the `clockwork` group. Core's own
built-ins register through the very same hooks, as an internal plugin. `CW_PLUGINS`
(comma-separated distribution names) limits which distributions load; a plugin that
fails to import or register is reported in one warning line and skipped, unless
`CW_STRICT_PLUGINS=1` makes that fatal.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import importlib_metadata
import pluggy

from . import hookspecs
from .errors import PluginError

ENTRY_POINT_GROUP = "clockwork"
CORE_DISTRIBUTION = "clockwork-core"
logger = logging.getLogger("clockwork.plugins")

# Registration kinds: hook name -> registry attribute.
KINDS = {
    "register_resources": "resources",
    "register_assertions": "assertions",
    "register_completers": "completers",
    "register_prompt_templates": "prompt_templates",
    "register_completion_tools": "completion_tools",
    "register_compilers": "compilers",
    "register_engine_plugins": "engine_plugins",
}


@dataclass(frozen=True)
class Registration:
    name: str
    value: Any
    distribution: str


@dataclass
class Registry:
    """Everything the loaded plugins registered, by kind and name."""

    resources: dict[str, Registration] = field(default_factory=dict)
    assertions: dict[str, Registration] = field(default_factory=dict)
    completers: dict[str, Registration] = field(default_factory=dict)
    prompt_templates: dict[str, Registration] = field(default_factory=dict)
    completion_tools: dict[str, Registration] = field(default_factory=dict)
    compilers: dict[str, Registration] = field(default_factory=dict)
    engine_plugins: dict[str, Registration] = field(default_factory=dict)

    def add(self, kind: str, name: str, value: Any, distribution: str) -> None:
        table: dict[str, Registration] = getattr(self, kind)
        if name in table:
            first = table[name].distribution
            raise PluginError(
                f"{kind[:-1].replace('_', ' ')} '{name}' is registered by both {first} "
                f"and {distribution}; uninstall one or leave it out of CW_PLUGINS"
            )
        table[name] = Registration(name, value, distribution)

    def by_distribution(self, distribution: str) -> dict[str, list[str]]:
        return {
            kind: sorted(
                r.name for r in getattr(self, kind).values() if r.distribution == distribution
            )
            for kind in KINDS.values()
        }

    def get(self, kind: str, name: str) -> Any:
        return getattr(self, kind)[name].value


@dataclass
class LoadedPlugin:
    distribution: str
    module: str
    given_version: str = ""

    @functools.cached_property
    def version(self) -> str:
        # Looked up only when listed: reading metadata loads the email parser, which
        # `clockwork --help` has no use for.
        return self.given_version or _version_of(self.distribution)


class PluginHost:
    """A pluggy manager plus the registry built from it."""

    def __init__(self, *, allowed: set[str] | None = None, strict: bool = False):
        self.allowed = allowed
        self.strict = strict
        self.pm = pluggy.PluginManager("clockwork")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}  # pluggy plugin name -> origin
        self.problems: list[str] = []
        self._registry: Registry | None = None

    # ----- loading --------------------------------------------------------------------

    @classmethod
    def from_environment(cls, *, load_entry_points: bool = True) -> PluginHost:
        host = cls(allowed=_allowed_from_env(), strict=os.environ.get("CW_STRICT_PLUGINS") == "1")
        host.register_builtin()
        if load_entry_points:
            host.load_entry_points()
        return host

    def register_builtin(self) -> None:
        from . import builtin

        self.register(builtin, distribution=CORE_DISTRIBUTION, name="clockwork.builtin")

    def register(self, plugin: object, *, distribution: str, name: str | None = None,
                 version: str = "") -> None:
        """Register a plugin object (module or instance) as coming from `distribution`."""
        plugin_name = name or getattr(plugin, "__name__", None) or repr(plugin)
        self.pm.register(plugin, name=plugin_name)
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.plugins[plugin_name] = LoadedPlugin(distribution, module, version)
        self._registry = None

    def load_entry_points(self) -> None:
        seen: set[tuple[str, str]] = set()
        for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            distribution = _distribution_name(entry_point)
            if (distribution, entry_point.name) in seen:
                continue  # the same distribution visible twice on sys.path
            seen.add((distribution, entry_point.name))
            if self.allowed is not None and _canonical(distribution) not in self.allowed:
                continue
            try:
                module = entry_point.load()
                self.register(module, distribution=distribution,
                              name=f"{distribution}:{entry_point.name}")
            except Exception as error:  # a broken plugin must not take the others down
                self._problem(distribution, "failed to load", error)

    def _problem(self, distribution: str, what: str, error: BaseException) -> None:
        message = f"plugin {distribution} {what}: {type(error).__name__}: {error}"
        if self.strict:
            raise PluginError(message + " (CW_STRICT_PLUGINS=1)") from error
        self.problems.append(message)
        logger.warning("warning: %s", message)

    # ----- asking ---------------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> Registry:
        registry = Registry()
        for hook_name, kind in KINDS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                distribution = self.plugins[impl.plugin_name].distribution
                register = _register_callback(registry, kind, distribution)
                try:
                    impl.function(register=register)
                except PluginError:
                    raise  # name conflicts are never skipped: which one wins would be a guess
                except Exception as error:
                    self._problem(distribution, f"failed in {hook_name}", error)
        return registry

    def add_commands(self, cli: Any) -> None:
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as error:
                distribution = self.plugins[impl.plugin_name].distribution
                self._problem(distribution, "failed in register_commands", error)

    def distributions(self) -> dict[str, LoadedPlugin]:
        """Each loaded distribution once, core first, then by name."""
        found: dict[str, LoadedPlugin] = {}
        for loaded in self.plugins.values():
            found.setdefault(loaded.distribution, loaded)
        return dict(sorted(found.items(), key=lambda kv: (kv[0] != CORE_DISTRIBUTION, kv[0])))


def _register_callback(registry: Registry, kind: str, distribution: str) -> Callable[..., None]:
    if kind in ("resources", "assertions"):
        def register_type(cls: Any, name: str | None = None) -> None:
            registry.add(kind, name or cls.type_name(), cls, distribution)
        return register_type

    def register_named(name: str, value: Any) -> None:
        registry.add(kind, name, value, distribution)
    return register_named


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _allowed_from_env() -> set[str] | None:
    raw = os.environ.get("CW_PLUGINS")
    if raw is None:
        return None
    return {_canonical(part) for part in raw.split(",") if part.strip()}


def _distribution_name(entry_point: Any) -> str:
    """The name of the distribution behind an entry point, read from the top of its
    metadata. `dist.name` would load the email parser for it: ~10 ms of every start-up."""
    dist = entry_point.dist
    if dist is None:
        return entry_point.module
    header = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").split("\n\n")[0]
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "name" and value.strip():
            return value.strip()
    return dist.name  # unusual metadata: let the library read it


def _version_of(distribution: str) -> str:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return ""


def installed_clockwork_distributions() -> dict[str, str]:
    """Every installed distribution that is Clockwork or plugs into it, with its version."""
    found: dict[str, str] = {}
    for dist in importlib_metadata.distributions():
        name = dist.metadata["Name"] or ""
        is_plugin = any(ep.group == ENTRY_POINT_GROUP for ep in dist.entry_points)
        if name.lower().startswith("clockwork-") or is_plugin:
            found.setdefault(name, dist.version)
    return dict(sorted(found.items()))


def distribution_of_module(module: str) -> str | None:
    """The installed distribution that ships top-level package `module`, if any."""
    top = module.split(".")[0]
    names = importlib_metadata.packages_distributions().get(top)
    if names:
        return names[0]
    # Editable installs (a uv workspace, `pip install -e`) list no packages in their
    # RECORD: fall back to the plugins' entry points, and to core's own package.
    for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.dist is not None and entry_point.module.split(".")[0] == top:
            return entry_point.dist.name
    return CORE_DISTRIBUTION if top == __name__.split(".")[0] else None


_host: PluginHost | None = None


def get_plugin_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    if _host is None:
        _host = PluginHost.from_environment()
    return _host


def set_plugin_host(host: PluginHost | None) -> None:
    """Replace (or with None, forget) the process-wide host; tests use this."""
    global _host
    _host = host


def registry() -> Registry:
    return get_plugin_host().registry


def iter_resource_types() -> Iterable[type]:
    return (r.value for r in registry().resources.values())
