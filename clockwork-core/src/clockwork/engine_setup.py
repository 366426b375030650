"""`clockwork setup`: a working Pulumi engine in Clockwork's folder (CW_HOME).

The engine is three parts: the Pulumi CLI, the launcher that starts Python dynamic
providers (files and git deploy through it), and the provider plugins that installed
Clockwork plugins declare (`register_engine_plugins`: docker, command). Each part
comes from the first route that works:

1. already there at the pinned version: nothing is done;
2. the official release, downloaded, where the network allows it;
3. built from source with Go (`go` on PATH) through the Go module proxy: a small
   builder module of ours requires the upstream modules at one version and repeats
   their `replace` lines (`go install module@version` refuses modules that have any).

After setup no deploy downloads anything: engine runs turn automatic plugin
acquisition off (`engine.engine_environment`), so a missing plugin is an error that
names it and the fix.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ClockworkError

# The one pin of the engine. At least the `pulumi` SDK in uv.lock, and past 3.181,
# the first CLI that runs inline programs for destroy and refresh.
PULUMI_VERSION = "3.274.1"
PULUMI_MODULE = "github.com/pulumi/pulumi"
RELEASE_PROBE_URL = "https://get.pulumi.com/releases/sdk/"

Progress = Callable[[str], None]


class SetupError(ClockworkError):
    """No route could install a part of the engine: the message has cause and fix."""


def clockwork_home() -> Path:
    """Clockwork's own folder for tools it installs (CW_HOME, default ~/.clockwork)."""
    return Path(os.environ.get("CW_HOME") or Path.home() / ".clockwork")


@dataclass(frozen=True)
class EngineHome:
    """Where setup puts the engine: one folder per CLI version, one PULUMI_HOME."""

    root: Path

    @classmethod
    def default(cls) -> EngineHome:
        return cls(clockwork_home() / "engine")

    @property
    def bin(self) -> Path:
        return self.root / f"pulumi-v{PULUMI_VERSION}" / "bin"

    @property
    def cli(self) -> Path:
        return self.bin / ("pulumi.exe" if os.name == "nt" else "pulumi")

    @property
    def pulumi_home(self) -> Path:
        """PULUMI_HOME of every engine run: plugins live here, not in ~/.pulumi."""
        return self.root / "home"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def log(self) -> Path:
        return self.root / "setup.log"

    def plugin_dir(self, plugin: EnginePlugin) -> Path:
        return self.pulumi_home / "plugins" / f"{plugin.kind}-{plugin.name}-v{plugin.version}"


# ----- what can be built -------------------------------------------------------------------


@dataclass(frozen=True)
class GoSource:
    """Binaries built from Go modules through a builder module of ours.

    `get` are the `module/package@version` arguments of `go get`; `binaries` the
    packages to build (each binary is named after its package's last element);
    `replaces` the upstream go.mod's replace lines, repeated (`old => new`);
    `prepare(workdir, fetch)` may write local modules a replace line points at (a
    patched copy of an upstream module), with `fetch(module@version)` giving the
    module's folder in the module cache.
    """

    get: tuple[str, ...]
    binaries: tuple[str, ...]
    replaces: tuple[str, ...] = ()
    ldflags: str = ""
    prepare: Callable[[Path, Callable[[str], Path]], None] | None = None
    minutes: int = 10  # about how long a cold build takes on 2 cores


@dataclass(frozen=True)
class EnginePlugin:
    """A Pulumi plugin a Clockwork plugin needs at deploy time (`register_engine_plugins`)."""

    name: str  # e.g. "docker": the binary is pulumi-resource-docker
    version: str  # without a leading v, the version the Python SDK asks for
    source: GoSource | None = None  # how to build it where it cannot be downloaded
    kind: str = "resource"

    @property
    def binary(self) -> str:
        return f"pulumi-{self.kind}-{self.name}"

    @property
    def part_name(self) -> str:
        return f"{self.kind} plugin {self.name}"


def sdk_plugin(package: str, sources: dict[str, GoSource] | None = None) -> EnginePlugin:
    """The plugin a Pulumi Python SDK package asks the engine for, at the version its
    `pulumi-plugin.json` names (found without importing the SDK, which is heavy);
    `sources` say how to build given versions from source."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ClockworkError(f"the Pulumi SDK package {package} is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    about = json.loads((folder / "pulumi-plugin.json").read_text(encoding="utf-8"))
    version = str(about["version"]).removeprefix("v")
    return EnginePlugin(about["name"], version, (sources or {}).get(version))


def cli_source() -> GoSource:
    version = f"v{PULUMI_VERSION}"
    return GoSource(
        get=(f"{PULUMI_MODULE}/pkg/v3/cmd/pulumi@{version}", f"{PULUMI_MODULE}/sdk/v3@{version}"),
        binaries=(f"{PULUMI_MODULE}/pkg/v3/cmd/pulumi",),
        # pkg/v3's own go.mod replaces these; a builder module must say so itself.
        replaces=(
            "github.com/atotto/clipboard => "
            "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
        ),
        ldflags=f"-s -w -X {PULUMI_MODULE}/sdk/v3/go/common/version.Version={version}",
        minutes=12,
    )


# ----- what is there -----------------------------------------------------------------------


@dataclass
class Part:
    """One part of the engine and whether it is installed."""

    name: str
    path: Path | None
    detail: str = ""

    @property
    def installed(self) -> bool:
        return self.path is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "installed": self.installed,
            "path": None if self.path is None else str(self.path),
            "detail": self.detail,
        }


def launchers_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("pulumi-resource-pulumi-python*"))


def engine_parts(home: EngineHome, plugins: Iterable[EnginePlugin], cli: Path | None) -> list[Part]:
    """The CLI, the dynamic-provider launcher beside it, and each needed plugin."""
    parts = [Part("pulumi CLI", cli, PULUMI_VERSION if cli == home.cli else "")]
    launcher = launchers_in(cli.parent)[:1] if cli is not None else []
    parts.append(Part("python dynamic-provider launcher", launcher[0] if launcher else None))
    for plugin in plugins:
        binary = home.plugin_dir(plugin) / plugin.binary
        parts.append(Part(plugin.part_name, binary if binary.is_file() else None, plugin.version))
    return parts


# ----- doing it ----------------------------------------------------------------------------


@dataclass
class Installer:
    """Runs the routes for each missing part, logging every command's output."""

    home: EngineHome
    progress: Progress = lambda message: None
    allow_download: bool = True
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # part name -> why

    def run(
        self, command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> str:
        self.home.root.mkdir(parents=True, exist_ok=True)
        with self.home.log.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            result = subprocess.run(
                command,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
            log.write(result.stdout)
        if result.returncode != 0:
            raise SetupError(
                f"`{Path(command[0]).name} {command[1]}` failed: "
                f"{failure_line(result.stdout, result.returncode)}"
                f" (full output in {self.home.log})"
            )
        return result.stdout

    # ----- the CLI ---------------------------------------------------------------------

    def install_cli(self) -> Path:
        if self.home.cli.is_file():
            return self.home.cli
        why_not = self.why_no_download
        if why_not is None:
            self.progress(f"downloading the Pulumi CLI {PULUMI_VERSION}")
            return self.download_cli()
        self.progress(f"no download ({why_not}): building from source")
        built = self.go_build("pulumi", cli_source())
        self.home.bin.mkdir(parents=True, exist_ok=True)
        self.install_launchers()
        shutil.move(str(built / self.home.cli.name), self.home.cli)
        self.done.append(f"built the Pulumi CLI {PULUMI_VERSION} from source")
        return self.home.cli

    @functools.cached_property
    def why_no_download(self) -> str | None:
        """Why the official release cannot be downloaded here, or None when it can
        (asked once per setup)."""
        if not self.allow_download:
            return "downloads turned off"
        import urllib.request  # not at import: plugin listings load this module

        try:
            with urllib.request.urlopen(RELEASE_PROBE_URL, timeout=10):
                return None
        except Exception as error:  # noqa: BLE001 (any failure means: use another route)
            return f"get.pulumi.com unreachable: {type(error).__name__}"

    def download_cli(self) -> Path:
        from pulumi.automation import PulumiCommand
        from semver import VersionInfo

        root = self.home.bin.parent
        try:
            PulumiCommand.install(root=str(root), version=VersionInfo.parse(PULUMI_VERSION))
        except Exception as error:  # noqa: BLE001
            raise SetupError(f"downloading the Pulumi CLI failed: {error}") from None
        self.done.append(f"downloaded the Pulumi CLI {PULUMI_VERSION}")
        return self.home.cli

    def install_launchers(self) -> None:
        """The dynamic-provider launchers ship in the SDK module, under python/dist."""
        sdk = self.module_dir(
            f"{PULUMI_MODULE}/sdk/v3@v{PULUMI_VERSION}", self.home.build / "pulumi"
        )
        for launcher in launchers_in(sdk / "python" / "dist"):
            if (launcher.suffix == ".cmd") != (os.name == "nt"):
                continue
            target = self.home.bin / launcher.name
            shutil.copyfile(launcher, target)
            target.chmod(0o755)

    # ----- plugins ---------------------------------------------------------------------

    def install_plugin(self, cli: Path, plugin: EnginePlugin) -> None:
        if (self.home.plugin_dir(plugin) / plugin.binary).is_file():
            return
        env = {"PULUMI_HOME": str(self.home.pulumi_home), "PULUMI_SKIP_UPDATE_CHECK": "true"}
        command = [str(cli), "plugin", "install", plugin.kind, plugin.name, plugin.version]
        why_not = self.why_no_download
        if why_not is None:
            self.progress(f"downloading the {plugin.name} plugin {plugin.version}")
            self.run(command, env=env)
            self.done.append(f"downloaded the {plugin.name} plugin {plugin.version}")
            return
        if plugin.source is None:
            raise SetupError(
                f"cannot be downloaded here ({why_not}) and its Clockwork plugin "
                "knows no way to build it from source; install it where "
                f"get.pulumi.com is reachable: `pulumi plugin install {plugin.kind} "
                f"{plugin.name} {plugin.version}` with PULUMI_HOME="
                f"{self.home.pulumi_home}"
            )
        self.progress(f"no download ({why_not}): building the {plugin.name} plugin")
        built = self.go_build(plugin.binary, plugin.source)
        binary = built / (plugin.binary + (".exe" if os.name == "nt" else ""))
        self.run([*command, "--file", str(binary)], env=env)
        self.done.append(f"built the {plugin.name} plugin {plugin.version} from source")

    # ----- Go --------------------------------------------------------------------------

    def go_build(self, name: str, source: GoSource) -> Path:
        """Build `source` in its own builder module; returns the folder of the binaries."""
        go = shutil.which("go")
        if go is None:
            raise SetupError(
                f"cannot install {name}: no download route here and no `go` on "
                "PATH to build it; install Go 1.26 or newer, or Pulumi itself"
            )
        workdir = self.home.build / name
        if workdir.exists():
            shutil.rmtree(workdir)  # a half-done build from before: start clean
        workdir.mkdir(parents=True)
        (workdir / "go.mod").write_text(builder_go_mod(name, source.replaces))
        if source.prepare is not None:
            source.prepare(workdir, lambda spec: self.module_dir(spec, workdir))
        started = time.monotonic()
        self.progress(f"{name}: fetching Go modules")
        self.run([go, "get", *source.get], cwd=workdir, env=go_environment())
        self.progress(
            f"{name}: compiling (about {source.minutes} min on 2 cores, longer "
            f"on a cold Go cache; log: {self.home.log})"
        )
        out = workdir / "bin"
        flags = ["-trimpath", *(["-ldflags", source.ldflags] if source.ldflags else [])]
        self.run(
            [go, "build", *flags, "-o", f"{out}{os.sep}", *source.binaries],
            cwd=workdir,
            env=go_environment(),
        )
        self.progress(f"{name}: built in {(time.monotonic() - started) / 60:.0f} min")
        return out

    def module_dir(self, spec: str, workdir: Path) -> Path:
        """The folder of `module@version` in the Go module cache (downloaded if needed)."""
        workdir.mkdir(parents=True, exist_ok=True)
        go = shutil.which("go") or "go"
        output = self.run([go, "mod", "download", "-json", spec], cwd=workdir, env=go_environment())
        return Path(json.loads(output)["Dir"])


def failure_line(output: str, returncode: int) -> str:
    """The line of a failed command's output that says what failed: go names the
    module in its `go: module@version: …` lines, so the last of those; else the last."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    named = [line for line in lines if line.startswith("go: ")]
    return (named or lines or [f"exit status {returncode}"])[-1]


def builder_go_mod(name: str, replaces: Iterable[str]) -> str:
    lines = [f"module clockwork.invalid/build/{name}", "", "go 1.26", ""]
    lines += [f"replace {line}" for line in replaces]
    return "\n".join(lines) + "\n"


def go_environment() -> dict[str, str]:
    # Modules only from the proxy, built with the Go that is here (no toolchain
    # download), statically, outside any go.work the user may have around.
    return {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOWORK": "off"}


def needed_engine_plugins(host: Any) -> list[EnginePlugin]:
    """The engine plugins the loaded Clockwork plugins registered."""
    return [registration.value for registration in host.registry.engine_plugins.values()]


def missing_engine_plugins(
    resource_types: Iterable[str], host: Any, home: EngineHome | None = None
) -> list[str]:
    """One line for each registered engine plugin that resources of `resource_types`
    (Pulumi type tokens, `docker:index/container:Container`) deploy with but that is
    not installed: with automatic acquisition off, the engine would fail on it."""
    home = home or EngineHome.default()
    packages = {token.split(":", 1)[0] for token in resource_types}
    lines = []
    for registration in host.registry.engine_plugins.values():
        plugin: EnginePlugin = registration.value
        if plugin.name in packages and not (home.plugin_dir(plugin) / plugin.binary).is_file():
            lines.append(
                f"the Pulumi {plugin.kind} plugin {plugin.name} {plugin.version} "
                f"({registration.distribution}) is not installed"
            )
    return lines


def install_engine(
    plugins: Iterable[EnginePlugin],
    cli: Path | None = None,
    progress: Progress | None = None,
    home: EngineHome | None = None,
    *,
    allow_download: bool = True,
) -> Installer:
    """Install every missing part; `cli` is a Pulumi CLI found elsewhere (on PATH)."""
    installer = Installer(
        home or EngineHome.default(), progress or (lambda message: None), allow_download
    )
    try:
        cli = cli or installer.install_cli()
    except SetupError as error:
        installer.failed["pulumi CLI"] = str(error)
        return installer  # without a CLI no plugin can be installed either
    for plugin in plugins:
        try:
            installer.install_plugin(cli, plugin)
        except SetupError as error:
            installer.failed[plugin.part_name] = str(error)
    return installer
