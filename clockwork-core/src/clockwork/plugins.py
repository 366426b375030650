"""Finding, loading and asking plugins.

Plugins are modules named by entry points in the `clockwork` group. Core's own
built-ins register through the very same hooks, as an internal plugin. `CW_PLUGINS`
(comma-separated distribution names) limits which distributions load; a plugin that
fails to import or register is reported in one warning line and skipped, unless
`CW_STRICT_PLUGINS` (a boolean: 1, true, yes, on) makes that fatal. Both are read from
the environment, then from `.env` in the project folder (the current folder unless
the CLI names another), before anything heavy loads: this module stays light enough
for `clockwork --help`, so it parses them itself, with pydantic-settings' rules
(`Settings.plugins`, `Settings.strict_plugins` document and validate the same).

Every hook is called through pluggy, once per plugin, so that each registration
knows the distribution it came from while pluggy's argument checks, tracing and
wrappers (`@hookimpl(wrapper=True)`, which wrap every plugin's call) still apply.

`clockwork plugins` answers from a manifest (`CW_HOME/cache/plugins`) of what each
installed distribution registers, so that listing does not import every plugin's
classes; it is rebuilt whenever a source file that took part in registering changes.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import importlib_metadata
import pluggy

from . import hookspecs
from .errors import PluginError, UsageError
from .hookspecs import REGISTRATION_KINDS, Kind

ENTRY_POINT_GROUP = "clockwork"
CORE_DISTRIBUTION = "clockwork-core"
logger = logging.getLogger("clockwork.plugins")

# Registration kinds, from the one table in hookspecs: hook name -> registry table.
KINDS = {kind.hook: kind.name for kind in REGISTRATION_KINDS}

# pydantic's spellings of a boolean (case-insensitive), as pydantic-settings reads them.
TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})


@dataclass(frozen=True)
class Registration:
    name: str
    value: Any
    distribution: str


class Registry:
    """Everything the loaded plugins registered: one table (name -> Registration) per
    kind in clockwork.hookspecs, read as `registry.resources`, `registry.engine_plugins`,
    ... or `registry.tables[kind]`."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Registration]] = {
            kind.name: {} for kind in REGISTRATION_KINDS
        }

    def __getattr__(self, name: str) -> dict[str, Registration]:
        tables = self.__dict__.get("tables", {})
        if name not in tables:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return tables[name]

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind}={len(table)}" for kind, table in self.tables.items())
        return f"Registry({counts})"

    def add(self, kind: str, name: str, value: Any, distribution: str) -> None:
        table = self.tables[kind]
        if name in table:
            first = table[name].distribution
            raise PluginError(
                f"{kind[:-1].replace('_', ' ')} '{name}' is registered by both {first} "
                f"and {distribution}; uninstall one or leave it out of CW_PLUGINS"
            )
        table[name] = Registration(name, value, distribution)

    def by_distribution(self, distribution: str) -> dict[str, list[str]]:
        return {
            kind: sorted(r.name for r in table.values() if r.distribution == distribution)
            for kind, table in self.tables.items()
        }

    def get(self, kind: str, name: str) -> Any:
        return self.tables[kind][name].value


@dataclass
class LoadedPlugin:
    distribution: str
    module: str
    given_version: str = ""
    packaged: bool = False  # from an installed distribution (entry point, core), not inline

    @functools.cached_property
    def version(self) -> str:
        return self.given_version or _version_of(self.distribution)


class PluginHost:
    """A pluggy manager plus the registry built from it."""

    def __init__(
        self,
        *,
        allowed: set[str] | None = None,
        strict: bool = False,
        manifest_dir: Path | None = None,
    ):
        self.allowed = allowed
        self.strict = strict
        self.manifest_dir = manifest_dir  # None: never a manifest (tests' inline hosts)
        self.pm = pluggy.PluginManager("clockwork")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}  # pluggy plugin name -> origin
        self.problems: list[str] = []  # every warning, as logged
        self.failures: dict[str, list[str]] = {}  # distribution -> what failed, one line each
        self._registry: Registry | None = None

    # ----- loading --------------------------------------------------------------------

    @classmethod
    def from_environment(
        cls, *, load_entry_points: bool = True, project_dir: str | Path | None = None
    ) -> PluginHost:
        """The host CW_PLUGINS and CW_STRICT_PLUGINS ask for (environment, then the `.env`
        of `project_dir`, default the current folder)."""
        allowed, strict = plugin_settings(project_dir)
        host = cls(allowed=allowed, strict=strict, manifest_dir=manifest_folder())
        host.register_builtin()
        if load_entry_points:
            host.load_entry_points()
        return host

    def register_builtin(self) -> None:
        from . import builtin

        self.register(
            builtin, distribution=CORE_DISTRIBUTION, name="clockwork.builtin", packaged=True
        )

    def register(
        self,
        plugin: object,
        *,
        distribution: str,
        name: str | None = None,
        version: str = "",
        packaged: bool = False,
    ) -> None:
        """Register a plugin object (module or instance) as coming from `distribution`.

        `packaged` says it is the code of that installed distribution (an entry point);
        only then may `clockwork plugins` answer for it from the manifest."""
        plugin_name = name or getattr(plugin, "__name__", None) or repr(plugin)
        self.pm.register(plugin, name=plugin_name)
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.plugins[plugin_name] = LoadedPlugin(distribution, module, version, packaged)
        self._registry = None

    def load_entry_points(self) -> None:
        seen: set[tuple[str, str]] = set()
        installed = {_canonical(CORE_DISTRIBUTION): CORE_DISTRIBUTION}
        for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            distribution, version = _name_and_version(entry_point)
            installed.setdefault(_canonical(distribution), distribution)
            if (distribution, entry_point.name) in seen:
                continue  # the same distribution visible twice on sys.path
            seen.add((distribution, entry_point.name))
            if self.allowed is not None and _canonical(distribution) not in self.allowed:
                continue
            try:
                module = entry_point.load()
                self.register(
                    module,
                    distribution=distribution,
                    version=version,
                    name=f"{distribution}:{entry_point.name}",
                    packaged=True,
                )
            except Exception as error:  # a broken plugin must not take the others down
                self._problem(distribution, "failed to load", error)
        unknown = sorted(self.allowed - set(installed)) if self.allowed is not None else []
        if unknown:
            names = ", ".join(unknown)
            self._warn(
                f"CW_PLUGINS names {names}, which {'is' if len(unknown) == 1 else 'are'} "
                f"not installed (installed: {', '.join(sorted(installed.values()))})",
                UsageError,
            )

    def _problem(self, distribution: str, what: str, error: BaseException) -> None:
        failure = f"{what}: {type(error).__name__}: {_one_line(str(error))}"
        self.failures.setdefault(distribution, []).append(failure)
        self._warn(f"plugin {distribution} {failure}", PluginError, error)

    def _warn(
        self, message: str, strict_error: type[Exception], cause: BaseException | None = None
    ) -> None:
        if self.strict:
            raise strict_error(message + " (CW_STRICT_PLUGINS=1)") from cause
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
        for kind in REGISTRATION_KINDS:
            self._call_each_plugin(
                kind.hook,
                functools.partial(_register_argument, registry, kind),
                fatal=(PluginError,),
            )
        return registry

    def add_commands(self, cli: Any) -> None:
        self._call_each_plugin("register_commands", lambda distribution: {"cli": cli})

    def _call_each_plugin(
        self,
        hook_name: str,
        arguments: Callable[[str], dict[str, Any]],
        fatal: tuple[type[Exception], ...] = (),
    ) -> None:
        """Call hook `hook_name` through pluggy once per plugin implementing it, in
        registration order, with `arguments(distribution)`.

        Each call goes through a subset hook caller holding that plugin and every
        plugin that only wraps the hook, so wrappers wrap each plugin's call. A plugin
        whose call raises is a problem of its distribution and the others go on;
        exceptions in `fatal` (name conflicts: which one wins would be a guess) are not.
        """
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        names = {impl.plugin: impl.plugin_name for impl in impls}
        called = list(dict.fromkeys(impl.plugin for impl in impls if not _wraps(impl)))
        # A plugin with a plain implementation too wraps only its own call: in the
        # others' calls its plain implementation would register in their name.
        wrapping = {impl.plugin for impl in impls if _wraps(impl)} - set(called)
        for plugin in called:
            distribution = self.plugins[names[plugin]].distribution
            others = set(names) - wrapping - {plugin}
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                caller(**arguments(distribution))
            except fatal:
                raise
            except Exception as error:
                self._problem(distribution, f"failed in {hook_name}", error)

    def distributions(self) -> dict[str, LoadedPlugin]:
        """Each loaded distribution once, core first, then by name."""
        found: dict[str, LoadedPlugin] = {}
        for loaded in self.plugins.values():
            found.setdefault(loaded.distribution, loaded)
        return dict(sorted(found.items(), key=lambda kv: (kv[0] != CORE_DISTRIBUTION, kv[0])))

    def registered_names(self) -> dict[str, dict[str, list[str]]]:
        """What each loaded distribution registers: kind -> sorted names, for every kind.

        Read from the manifest when it is fresh, without running the registration
        hooks (they import every plugin's classes); else from the registry, and then
        the manifest is written for next time, unless a hook failed."""
        distributions = list(self.distributions())
        manifest = self._manifest_path()
        if manifest is None or self._registry is not None:
            return {name: self.registry.by_distribution(name) for name in distributions}
        key = self._manifest_key()
        cached = _read_manifest(manifest, key, distributions)
        if cached is not None:
            return cached
        modules_before = set(sys.modules)
        problems_before = len(self.problems)
        registry = self.registry
        names = {name: registry.by_distribution(name) for name in distributions}
        files = _source_files(self.plugins.values(), set(sys.modules) - modules_before, registry)
        if len(self.problems) == problems_before and files is not None:
            _write_manifest(manifest, {"key": key, "files": files, "registered": names})
        return names

    def _manifest_key(self) -> dict[str, Any]:
        plugins = sorted(
            [name, loaded.distribution, loaded.module, loaded.version]
            for name, loaded in self.plugins.items()
        )
        return {
            "format": MANIFEST_FORMAT,
            "python": [sys.executable, sys.version],
            "plugins": plugins,
        }

    def _manifest_path(self) -> Path | None:
        """Where this host's manifest lives; None when there must be none: no manifest
        folder, or a plugin registered inline (its code may change at any moment)."""
        if self.manifest_dir is None or not all(p.packaged for p in self.plugins.values()):
            return None
        import json
        import zlib  # not hashlib, which takes ~8 ms to load: the key is in the file anyway

        key = json.dumps(self._manifest_key()).encode()
        return self.manifest_dir / f"{zlib.crc32(key):08x}-{len(key)}.json"


def _wraps(impl: Any) -> bool:
    return bool(impl.wrapper or impl.hookwrapper)


def _register_argument(registry: Registry, kind: Kind, distribution: str) -> dict[str, Any]:
    """The `register` callback a registration hook gets, for one distribution."""
    if kind.by_type:

        def register_type(cls: Any, name: str | None = None) -> None:
            registry.add(kind.name, name or cls.type_name(), cls, distribution)

        return {"register": register_type}

    def register_named(name: str, value: Any) -> None:
        registry.add(kind.name, name, value, distribution)

    return {"register": register_named}


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# ----- CW_PLUGINS and CW_STRICT_PLUGINS -----------------------------------------------


def plugin_settings(project_dir: str | Path | None = None) -> tuple[set[str] | None, bool]:
    """(allowed distributions or None for all, strict) from CW_PLUGINS and
    CW_STRICT_PLUGINS: the environment first, then `.env` in `project_dir` (default:
    the current folder), as Settings reads them."""
    dotenv = _DotEnv(project_dir)
    raw_strict = _setting("strict_plugins", dotenv)
    strict = parse_bool(raw_strict, "CW_STRICT_PLUGINS") if raw_strict is not None else False
    return _allowed_from_env(project_dir, dotenv), strict


def parse_bool(value: str, setting: str) -> bool:
    """A boolean setting, spelled as pydantic accepts it (1/0, true/false, yes/no,
    on/off, t/f, y/n; any case); anything else is a usage error naming the setting."""
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise UsageError(
        f"invalid setting {setting}={value!r}: not a boolean "
        f"(use 1 or 0, true or false, yes or no, on or off)"
    )


def _allowed_from_env(
    project_dir: str | Path | None = None, dotenv: _DotEnv | None = None
) -> set[str] | None:
    raw = _setting("plugins", dotenv or _DotEnv(project_dir))
    if raw is None:
        return None
    return {_canonical(part) for part in raw.split(",") if part.strip()}


def _setting(name: str, dotenv: _DotEnv) -> str | None:
    """CW_<NAME> from the environment (any case, as pydantic-settings matches), else
    from the .env file."""
    variable = f"CW_{name.upper()}"
    if variable in os.environ:
        return os.environ[variable]
    for key, value in os.environ.items():
        if key.upper() == variable:
            return value
    return dotenv.get(variable.lower())


class _DotEnv:
    """A folder's `.env`, read only if a setting is not in the environment: with
    python-dotenv, as pydantic-settings reads it (quotes, comments, `export`, `${VAR}`)."""

    def __init__(self, folder: str | Path | None):
        self.path = Path(folder or Path.cwd()) / ".env"
        self._values: dict[str, str] | None = None

    def get(self, key: str) -> str | None:
        if self._values is None:
            self._values = self._read()
        return self._values.get(key)

    def _read(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        from dotenv import dotenv_values

        try:
            values = dotenv_values(self.path, encoding="utf-8")
        except UnicodeDecodeError as error:
            raise env_file_not_utf8(self.path, error) from None
        except OSError:
            return {}
        return {key.lower(): value for key, value in values.items() if value is not None}


def env_file_not_utf8(path: Path, error: UnicodeDecodeError) -> UsageError:
    """The one-line error for a .env file that is not UTF-8 text."""
    return UsageError(
        f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
    )


# ----- the manifest for `clockwork plugins` -------------------------------------------

MANIFEST_FORMAT = 1
MANIFESTS_KEPT = 16
RACY_SECONDS = 2  # a file changed this recently may change again within its mtime tick


def manifest_folder() -> Path | None:
    try:
        home = Path(os.environ.get("CW_HOME") or Path.home() / ".clockwork")
    except RuntimeError:  # no home folder to be found
        return None
    return home / "cache" / "plugins"


def _read_manifest(
    path: Path, key: dict[str, Any], distributions: list[str]
) -> dict[str, dict[str, list[str]]] | None:
    """The registered names a fresh manifest holds; None when there is none, it is
    for other plugins, or any file it was built from changed since."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        for file, stamp in data["files"].items():
            if _stamp(os.stat(file)) != stamp:
                return None
        registered = data["registered"]
        if sorted(registered) != sorted(distributions):
            return None
        return {
            name: {
                kind.name: [str(n) for n in registered[name][kind.name]]
                for kind in REGISTRATION_KINDS
            }
            for name in distributions
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, unless a file it depends on changed too recently to trust its
    mtime; keep the newest few manifests. A cache: failing to write is no error."""
    import json

    newest = max((stamp[0] for stamp in data["files"].values()), default=0)
    if newest > time.time_ns() - RACY_SECONDS * 1_000_000_000:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, path)
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[MANIFESTS_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _stamp(stat: os.stat_result) -> list[int]:
    return [stat.st_mtime_ns, stat.st_size]


def _source_files(
    plugins: Iterable[LoadedPlugin], imported: set[str], registry: Registry
) -> dict[str, list[int]] | None:
    """Every file the registrations may depend on, with its mtime and size: the .py
    files of each plugin module's package, the modules defining what was registered
    (and their base classes), and every module imported while the hooks ran. None
    when a plugin's or a registered value's module has no file to check (a zip, say):
    then there is no telling whether it changed, so no manifest."""
    required: list[Any] = []
    files: set[str] = set()
    for loaded in plugins:
        # The package the plugin module is in (a module of its own: just that one).
        package = sys.modules.get(loaded.module.rpartition(".")[0] or loaded.module)
        required.append(sys.modules.get(loaded.module))
        for folder in getattr(package, "__path__", ()):
            files.update(str(file) for file in Path(folder).rglob("*.py"))
    for table in registry.tables.values():
        for registration in table.values():
            owners = getattr(registration.value, "__mro__", (registration.value,))
            required.extend(
                sys.modules.get(owner.__module__)
                for owner in owners
                if isinstance(getattr(owner, "__module__", None), str)
            )
    found: dict[str, list[int]] = {}
    for module in required:
        file = getattr(module, "__file__", None)
        if module is None or file is None:
            if module is not None and module.__name__ == "builtins":
                continue  # object, str, ...: part of the interpreter
            return None
        try:
            found[str(file)] = _stamp(os.stat(file))
        except OSError:
            return None
    files.update(
        str(file) for name in imported if (file := getattr(sys.modules.get(name), "__file__", None))
    )
    for file in sorted(files - set(found)):
        try:
            found[file] = _stamp(os.stat(file))
        except OSError:
            continue  # a frozen or zipped module of the standard library
    return found


# ----- distributions ------------------------------------------------------------------


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _name_and_version(entry_point: Any) -> tuple[str, str]:
    """The distribution behind an entry point and its version."""
    dist = entry_point.dist
    if dist is None:
        return entry_point.module, ""
    name, version = _header(dist)
    return name or dist.name, version


def _header(dist: Any) -> tuple[str, str]:
    """Name and version from the top of a distribution's metadata. `dist.name` and
    `dist.version` would load the email parser: ~10 ms of every start-up."""
    header = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").split("\n\n")[0]
    found = {"name": "", "version": ""}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in found and value.strip() and not found[key.strip().lower()]:
            found[key.strip().lower()] = value.strip()
    return found["name"], found["version"]


def _version_of(distribution: str) -> str:
    try:
        dist = importlib_metadata.distribution(distribution)
    except importlib_metadata.PackageNotFoundError:
        return ""
    return _header(dist)[1] or dist.version


def installed_clockwork_distributions() -> dict[str, str]:
    """Every installed distribution that is Clockwork or plugs into it, with its version."""
    found: dict[str, str] = {}
    for dist in importlib_metadata.distributions():
        name = dist.metadata["Name"] or ""
        is_plugin = any(ep.group == ENTRY_POINT_GROUP for ep in dist.entry_points)
        if name.lower().startswith("clockwork-") or is_plugin:
            found.setdefault(name, dist.version)
    return dict(sorted(found.items()))


def foreign_distributions() -> dict[str, str]:
    """Installed distributions that take Clockwork's names on PyPI but are other
    projects, each with what to do: PyPI's `clockwork` (a time toolkit with a module of
    the same name) and a `clockwork-cli` that is not Clockwork's (an activity tracker
    with a `clockwork` command of its own)."""
    found: dict[str, str] = {}
    for dist in importlib_metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        requires = " ".join(dist.requires or []).lower()
        if name == "clockwork":
            found[f"clockwork {dist.version}"] = (
                "an unrelated project that also installs a `clockwork` module and can "
                "shadow clockwork-core's: `pip uninstall clockwork`"
            )
        elif name == "clockwork-cli" and "clockwork-core" not in requires:
            found[f"clockwork-cli {dist.version}"] = (
                "not Clockwork's CLI but an unrelated project of that name on PyPI: "
                "uninstall it and install Clockwork's from its repository"
            )
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


def get_plugin_host(project_dir: str | Path | None = None) -> PluginHost:
    """The process-wide plugin host, loaded on first use; `project_dir` is the folder
    whose `.env` may set CW_PLUGINS / CW_STRICT_PLUGINS (default: the current one)."""
    global _host
    if _host is None:
        _host = PluginHost.from_environment(project_dir=project_dir)
    return _host


def set_plugin_host(host: PluginHost | None) -> None:
    """Replace (or with None, forget) the process-wide host; tests use this."""
    global _host
    _host = host
