"""Drive the Pulumi engine through the Automation API.

State lives in the project folder by default (`file://<project>/.clockwork/state`),
so nobody needs a Pulumi Cloud login; the engine's work files sit beside it in
`.clockwork/workspace`. The Pulumi CLI is the one `clockwork setup` installed into
Clockwork's folder, else the one on PATH; without it every engine call fails with one
line saying so. Every program is inline (the Automation API serves it from this
process), so no Pulumi language host is needed. Calls block: run them off any event
loop (`clockwork.blocking.run_blocking`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .engine_setup import EngineHome
from .errors import ClockworkError, EngineMissingError
from .settings import Settings

Action = Literal["up", "preview", "destroy"]
INSTALL_HINT = "run `clockwork setup` or install Pulumi (https://www.pulumi.com/docs/install/)"
# Clockwork runs every operation as an inline program: destroy and refresh of inline
# programs need the CLI's --client flag, added in 3.181.
MIN_CLI_VERSION = "3.181.0"


def find_pulumi_cli() -> Path | None:
    """The `pulumi` executable Clockwork would use: the one `clockwork setup` installed
    (the pinned version, with the plugins setup put beside it), else the one on PATH,
    as the exact file found there (an asdf or mise shim works too)."""
    own = EngineHome.default().cli
    if own.is_file() and os.access(own, os.X_OK):
        return own
    on_path = shutil.which("pulumi")
    return Path(on_path) if on_path else None


def require_pulumi_cli() -> Path:
    found = find_pulumi_cli()
    if found is None:
        raise EngineMissingError(f"the Pulumi CLI is not installed: {INSTALL_HINT}")
    return found


def usable_pulumi_cli() -> Path | None:
    """The CLI `find_pulumi_cli` finds, when it runs and is new enough; else None."""
    found = find_pulumi_cli()
    if found is None:
        return None
    try:
        cli_version(found)
    except EngineMissingError:
        return None
    return found


@functools.lru_cache(maxsize=8)
def cli_version(cli: Path) -> str:
    """`pulumi version` of `cli`, without the leading v; a CLI that does not answer, or
    is older than Clockwork needs, is one clear error."""
    from semver import VersionInfo

    try:
        output = subprocess.run(
            [str(cli), "version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            check=True,
        ).stdout.strip()
        version = VersionInfo.parse(output.removeprefix("v"))
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        raise EngineMissingError(
            f"{cli} is not a working Pulumi CLI ({type(error).__name__}): {INSTALL_HINT}"
        ) from None
    if version < VersionInfo.parse(MIN_CLI_VERSION):
        raise EngineMissingError(
            f"the Pulumi CLI at {cli} is version {version}; Clockwork needs {MIN_CLI_VERSION} or "
            f"newer: {INSTALL_HINT}"
        )
    return str(version)


def pulumi_command(cli: Path) -> Any:
    """The Automation API's command object for exactly `cli` (its own constructor
    assumes a `<root>/bin/pulumi` layout, which shims and unpacked archives lack)."""
    from pulumi.automation import PulumiCommand
    from semver import VersionInfo

    class ExactPulumiCommand(PulumiCommand):
        def __init__(self) -> None:  # the version was checked by cli_version
            self.command = str(cli)
            self.version = VersionInfo.parse(cli_version(cli))

    return ExactPulumiCommand()


# ----- where state goes --------------------------------------------------------------


def project_name_for(directory: Path, settings: Settings) -> str:
    """Pulumi project name: the setting; else the one recorded in the project's
    `.clockwork/project.json`, so a project moved or renamed with its state keeps its
    stack; else (a new project, or a copy whose original is still in place) the
    folder's name plus a hash of its path, so two folders never share a stack."""
    if settings.project_name:
        return settings.project_name
    recorded = recorded_identity(directory)
    if recorded is not None:
        name, path = recorded
        if path == directory.resolve() or not _still_holds(path, name):
            return name  # this folder, or moved here: the original is gone
    # Pulumi allows at most 100 characters: a long folder name is cut short.
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.name).strip("-")[:80] or "project"
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


IDENTITY_FILE = Path(".clockwork") / "project.json"


def recorded_identity(directory: Path) -> tuple[str, Path] | None:
    """The project name and folder recorded by the last engine run, if readable."""
    try:
        data = json.loads((directory / IDENTITY_FILE).read_text(encoding="utf-8"))
        return str(data["project_name"]), Path(data["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _still_holds(path: Path, name: str) -> bool:
    """Whether the project recorded at `path` is still there: then this is a copy."""
    found = recorded_identity(path)
    return found is not None and found[0] == name


IDENTITIES_OUTPUT = "clockwork_identities"  # stack output: identity -> URN, per resource


def deployed_file(directory: Path, stack: str) -> Path:
    return directory.resolve() / ".clockwork" / "deployed" / f"{stack}.json"


def read_deployed(directory: Path, stack: str) -> dict[str, str]:
    """What each resource (by `identity()`) was last deployed as: its URN."""
    try:
        data = json.loads(deployed_file(directory, stack).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_deployed(directory: Path, stack: str, identities: Any) -> None:
    """Keep the URNs a successful deploy exported (see compiler.IDENTITIES_OUTPUT)."""
    target = deployed_file(directory, stack)
    if not isinstance(identities, dict) or not identities:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(identities, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def record_identity(directory: Path, project_name: str) -> None:
    """Write down which stack this folder deploys to (see project_name_for)."""
    target = directory.resolve() / IDENTITY_FILE
    data = {"project_name": project_name, "path": str(directory.resolve())}
    if recorded_identity(directory) != (project_name, directory.resolve()):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def backend_url_for(directory: Path, settings: Settings) -> str:
    """CW_BACKEND_URL as given (s3://, azblob://, https://api.pulumi.com …), else a
    file backend inside the project's .clockwork folder. A relative file:// URL is
    the project's: it is made absolute here, not left to whichever folder the engine
    runs in."""
    url = settings.backend_url
    if not url:
        return (directory.resolve() / ".clockwork" / "state").as_uri()
    if url.startswith("file://"):
        path, _, query = url.removeprefix("file://").partition("?")
        if path and not path.startswith(("/", "~")):
            absolute = (directory.resolve() / urllib.parse.unquote(path)).as_uri()
            return absolute + (f"?{query}" if query else "")
    return url


def local_state_folder(backend_url: str) -> Path | None:
    """The folder of a file:// backend, read as Pulumi reads it (query dropped, ~
    expanded, %-escapes decoded: a project in "My Projects" has "My%20Projects" in its
    URL); None for any other backend."""
    if not backend_url.startswith("file://"):
        return None
    path = urllib.parse.unquote(backend_url.removeprefix("file://").split("?")[0])
    return Path(path).expanduser().absolute()


def workspace_folder(directory: Path) -> Path:
    """One stable folder per project for the engine's Pulumi.yaml and stack settings
    (the Automation API would make a new temporary one on every run)."""
    return directory.resolve() / ".clockwork" / "workspace"


@dataclass
class StackTarget:
    directory: Path
    project_name: str
    stack_name: str
    backend_url: str
    env: dict[str, str] = field(repr=False)  # may hold the passphrase: never printed
    secrets_unprotected: bool = False  # no passphrase configured: state secrets in the clear
    record_identity: bool = True  # the name is Clockwork's (not CW_PROJECT_NAME): keep it

    @classmethod
    def for_project(cls, directory: Path, settings: Settings) -> StackTarget:
        backend_url = backend_url_for(directory, settings)
        env = engine_environment(backend_url, directory)
        passphrase = settings.pulumi_config_passphrase
        unprotected = False
        if passphrase is not None:
            env["PULUMI_CONFIG_PASSPHRASE"] = passphrase.get_secret_value()
        elif not os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
            # Pulumi refuses to open a stack without one; the user chose none, so
            # secrets in the state are only encoded, not protected (warned about).
            env["PULUMI_CONFIG_PASSPHRASE"] = ""
            unprotected = True
        return cls(
            directory,
            project_name_for(directory, settings),
            settings.stack,
            backend_url,
            env,
            unprotected,
            not settings.project_name,
        )


def engine_environment(backend_url: str, project_dir: Path) -> dict[str, str]:
    """What every engine run gets, whatever the user's shell holds: the state where
    Clockwork put it (a PULUMI_BACKEND_URL from the shell would send it elsewhere),
    plugins from Clockwork's PULUMI_HOME and never downloaded mid-run, and dynamic
    providers run by this very interpreter, whose environment has Clockwork's code,
    with the project folder importable (a provider in a module beside main.py)."""
    home = EngineHome.default()
    python_path = os.pathsep.join(
        p for p in (str(project_dir.resolve()), os.environ.get("PYTHONPATH", "")) if p
    )
    return {
        "PYTHONPATH": python_path,
        "PULUMI_BACKEND_URL": backend_url,
        "PULUMI_HOME": str(home.pulumi_home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        # The launcher prefers a virtualenv named by these over PULUMI_PYTHON_CMD.
        "PULUMI_RUNTIME_VIRTUALENV": "",
        "PULUMI_RUNTIME_TOOLCHAIN": "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


# ----- running the engine ---------------------------------------------------------------


@dataclass
class EngineResult:
    action: Action
    changes: dict[str, int]  # op -> count, e.g. {"create": 2, "same": 1}
    duration_seconds: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[ResourceChange] = field(default_factory=list)  # what changed, per resource
    drift: list[Drift] = field(default_factory=list)  # what changed outside Clockwork

    @property
    def pending(self) -> bool:
        return any(n for op, n in self.changes.items() if op != "same")

    def summary(self) -> str:
        signs = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "same": "="}
        parts = [f"{signs.get(op, '')}{count} {op}" for op, count in self.changes.items() if count]
        took = f" in {self.duration_seconds:.0f}s" if self.duration_seconds is not None else ""
        return (", ".join(parts) or "no changes") + took


def open_stack(target: StackTarget, program: Callable[[], None]) -> Any:
    """Create or select the stack, with state where `target` says."""
    cli = require_pulumi_cli()
    command = pulumi_command(cli)
    from pulumi import automation as auto

    state_folder = local_state_folder(target.backend_url)
    if state_folder is not None:
        state_folder.mkdir(parents=True, exist_ok=True)
    work_dir = workspace_folder(target.directory)
    work_dir.mkdir(parents=True, exist_ok=True)
    if target.record_identity:
        record_identity(target.directory, target.project_name)
    settings = auto.ProjectSettings(
        name=target.project_name,
        runtime="python",
        backend=auto.ProjectBackend(url=target.backend_url),
    )
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir),
        project_settings=settings,
        env_vars=target.env,
        pulumi_command=command,
    )
    try:
        return auto.create_or_select_stack(
            target.stack_name, project_name=target.project_name, program=program, opts=options
        )
    except auto.CommandError as error:
        raise EngineFailure.of(
            f"cannot open stack {target.stack_name}", error, [], target.directory
        ) from None


def run_engine(
    action: Action,
    stack: Any,
    on_event: Callable[[Any], None] | None = None,
    *,
    preview_only: bool = False,
    refresh: bool = False,
    log_dir: Path | None = None,
) -> EngineResult:
    """Run `up`, `preview` or `destroy` on an open stack; a failure becomes an
    EngineFailure naming each failed resource and why. `preview_only` with destroy
    lists what would go without touching anything."""
    from pulumi import automation as auto

    watcher = EngineWatcher(on_event)
    try:
        if action == "up":
            result = stack.up(on_event=watcher, refresh=refresh or None)
            return _from_update(action, result.summary, result.outputs, watcher)
        if action == "destroy":
            if preview_only:
                # A preview-only destroy returns the stack's LAST update summary, not
                # what would go: that is in the preview's summary event.
                stack.destroy(on_event=watcher, preview_only=True)
                return watcher.result(action, watcher.last_changes())
            result = stack.destroy(on_event=watcher)
            return _from_update(action, result.summary, {}, watcher)
        result = stack.preview(on_event=watcher, refresh=refresh or None)
        return watcher.result(action, dict(result.change_summary or {}))
    except auto.ConcurrentUpdateError:
        raise ClockworkError(
            f"stack {stack.name} is locked by another run: wait for it to finish, or if it "
            "crashed, remove the lock with `pulumi cancel`"
        ) from None
    except auto.CommandError as error:
        failure = EngineFailure.of(f"pulumi {action} failed", error, watcher.errors, log_dir)
        # What did happen before the failure: it is in the state, and the next run
        # goes on from there.
        failure.done = [
            change
            for change in watcher.changes.values()
            if change.name not in {step.resource for step in failure.steps}
        ]
        raise failure from None


def _from_update(
    action: Action, summary: Any, outputs: Any, watcher: EngineWatcher
) -> EngineResult:
    duration = None
    if summary.end_time and summary.start_time:
        duration = (summary.end_time - summary.start_time).total_seconds()
    values = {key: output.value for key, output in (outputs or {}).items()}
    return watcher.result(
        action, dict(summary.resource_changes or {}), duration_seconds=duration, outputs=values
    )


# ----- why the engine failed ------------------------------------------------------------------


@dataclass
class FailedStep:
    """One reason the engine gave: which resource, doing what, and the message."""

    resource: str  # the resource's name, or "program" for errors outside any resource
    type: str
    op: str
    message: str

    def line(self) -> str:
        what = f"{self.resource} ({self.type})" if self.type else self.resource
        doing = f" {self.op}" if self.op else ""
        return f"{what}{doing}: {self.message}"


class EngineWatcher:
    """Passes engine events on, keeping what a report needs: the error diagnostics
    (the reasons are there, not in the CommandError, which only carries the CLI's
    output), each resource's change property by property, drift found by a refresh,
    and the last summary."""

    def __init__(self, on_event: Callable[[Any], None] | None):
        self.on_event = on_event
        self.errors: list[FailedStep] = []
        self.summaries: list[Any] = []
        self.ops: dict[str, str] = {}
        self.changes: dict[str, ResourceChange] = {}  # by URN, in the engine's order
        self.drift: dict[str, Drift] = {}

    def __call__(self, event: Any) -> None:
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None:
            self.ops[pre.metadata.urn] = str(getattr(pre.metadata.op, "value", pre.metadata.op))
        finished = getattr(event, "res_outputs_event", None)
        if finished is not None and not finished.metadata.type.startswith(ENGINE_OWN_TYPES):
            self._record(finished.metadata)
        diagnostic = getattr(event, "diagnostic_event", None)
        if diagnostic is not None and diagnostic.severity == "error":
            self.errors.append(self._failed_step(diagnostic))
        summary = getattr(event, "summary_event", None)
        if summary is not None:
            self.summaries.append(summary)
        if self.on_event is not None:
            self.on_event(event)

    def _failed_step(self, diagnostic: Any) -> FailedStep:
        urn = diagnostic.urn or ""
        message = reason_of(diagnostic.message)
        if not urn or urn.split("::")[-2].endswith("pulumi:pulumi:Stack"):
            return FailedStep("program", "", "", message)
        return FailedStep(
            urn.rsplit("::", 1)[-1],
            urn.split("::")[-2].split("$")[-1],
            display_op(self.ops.get(urn, "")),
            message,
        )

    def last_changes(self) -> dict[str, int]:
        return dict(self.summaries[-1].resource_changes or {}) if self.summaries else {}

    def _record(self, meta: Any) -> None:
        op = display_op(str(getattr(meta.op, "value", meta.op)))
        name, urn = meta.urn.rsplit("::", 1)[-1], meta.urn
        old_inputs = state_values(meta.old)
        new_inputs = dict(meta.new.inputs or {}) if meta.new is not None else {}
        if op == "refresh":
            drift = drift_of(name, meta)
            if drift is not None:
                self.drift[urn] = drift
        elif op in ("create", "update", "delete", "replace"):
            properties = changed_properties(
                old_inputs if op != "create" else {}, new_inputs if op != "delete" else {}
            )
            known = self.changes.get(urn)
            if known is not None:  # a replace comes as several steps: one change
                properties = {**known.properties, **properties}
            self.changes[urn] = ResourceChange(name, meta.type, op, properties)

    def result(self, action: Action, changes: dict[str, int], **extra: Any) -> EngineResult:
        return EngineResult(
            action,
            changes,
            steps=list(self.changes.values()),
            drift=list(self.drift.values()),
            **extra,
        )


# The stack and default providers: Pulumi's bookkeeping, not the user's resources.
ENGINE_OWN_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")


@dataclass
class ResourceChange:
    """What the engine did, or would do, to one resource: old → new per property."""

    name: str
    type: str
    op: str  # create, update, delete, replace
    properties: dict[str, tuple[Any, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "op": self.op,
            "properties": {
                k: {"old": old, "new": new} for k, (old, new) in self.properties.items()
            },
        }


@dataclass
class Drift:
    """A deployed resource that changed outside Clockwork, as a refresh read it."""

    name: str
    type: str
    gone: bool
    properties: list[str]

    def line(self) -> str:
        if self.gone:
            return f"{self.name}: gone (deleted outside Clockwork; it will be created again)"
        return f"{self.name}: {', '.join(self.properties)} changed outside Clockwork"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "gone": self.gone,
            "properties": self.properties,
        }


def state_values(state: Any) -> dict[str, Any]:
    """A resource's inputs as they stand in the state: where the provider reports an
    input among its outputs (refreshed, say), that value."""
    if state is None:
        return {}
    inputs, outputs = dict(state.inputs or {}), dict(state.outputs or {})
    return {key: outputs.get(key, value) for key, value in inputs.items()}


def changed_properties(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The inputs that differ; engine-internal ones (`__provider`) left out."""
    keys = [k for k in {**old, **new} if not k.startswith("__")]
    return {k: (old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)}


def drift_of(name: str, meta: Any) -> Drift | None:
    """From a refresh step: what the real resource differs in from the state."""
    if meta.old is None:
        return None
    if meta.new is None:
        return Drift(name, meta.type, True, [])
    before, after = dict(meta.old.outputs or {}), dict(meta.new.outputs or {})
    inputs = [k for k in (meta.old.inputs or {}) if not k.startswith("__")]
    changed = [k for k in inputs if not same_value(before.get(k), after.get(k))]
    return Drift(name, meta.type, False, changed) if changed else None


_ZEROS: tuple[Any, ...] = (0, False, "", [], {})


def same_value(before: Any, after: Any) -> bool:
    """Equal, where an unset value (None) and its type's zero are one: a provider built
    on Terraform reads back `0` or `false` for what create left unset (a container's
    `gwPriority`, a mount's `readOnly`), which is no change made outside Clockwork."""
    if before is None or after is None:
        other = after if before is None else before
        return other is None or any(other == zero and type(other) is type(zero) for zero in _ZEROS)
    if isinstance(before, dict) and isinstance(after, dict):
        return all(same_value(before.get(k), after.get(k)) for k in before.keys() | after.keys())
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(map(same_value, before, after))
    return bool(before == after)


def reason_of(message: str) -> str:
    """One line of an engine message: the exception at the end of a provider's
    traceback, else the first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "failed (no message)"
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1]
    return lines[0]


def display_op(op: str) -> str:
    """The engine's step names as a user reads them (a replacement is one replace)."""
    return {
        "create-replacement": "replace",
        "delete-replaced": "replace",
        "replace": "replace",
        "discard": "delete",
        "read-replacement": "replace",
    }.get(op, op)


class EngineFailure(ClockworkError):
    """The engine failed: `steps` are its reasons, `log` the full output on disk."""

    def __init__(self, headline: str, steps: list[FailedStep], log: Path | None, full_text: str):
        self.steps = steps
        self.log = log
        self.full_text = full_text
        self.done: list[ResourceChange] = []  # finished before the failure
        self.headline = headline + (f" (full output: {log})" if log is not None else "")
        shown = "; ".join(step.line() for step in steps) if steps else _tail(full_text)
        super().__init__(f"{self.headline}: {shown}")

    @classmethod
    def of(
        cls, headline: str, error: BaseException, steps: list[FailedStep], log_dir: Path | None
    ) -> EngineFailure:
        full_text = str(error)
        log = None
        if log_dir is not None:
            log = log_dir / ".clockwork" / "logs" / "engine.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(full_text, encoding="utf-8")
        return cls(headline, _unique(steps), log, full_text)

    def lines(self) -> list[str]:
        """One line per failed resource, then one per change done before the failure
        (kept in the state: `apply` again goes on from there)."""
        done = {
            "create": "created",
            "update": "updated",
            "delete": "deleted",
            "replace": "replaced",
        }
        return [step.line() for step in self.steps] + [
            f"{done.get(change.op, change.op)}: {change.name} ({change.type})"
            for change in self.done
        ]


# What the stack itself says after a resource failed: the resource's line says why.
ENGINE_ECHOES = (
    "update failed",
    "preview failed",
    "destroy failed",
    "refresh failed",
    "Resource monitor has terminated, shutting down",
)


def _unique(steps: list[FailedStep]) -> list[FailedStep]:
    seen: dict[tuple[str, str], FailedStep] = {}
    for step in steps:
        seen.setdefault((step.resource, step.message), step)
    reasons = list(seen.values())
    if any(step.resource != "program" for step in reasons):
        reasons = [
            step
            for step in reasons
            if step.resource != "program" or step.message not in ENGINE_ECHOES
        ]
    return reasons


def _tail(text: str) -> str:
    """The last line of the CLI's own output that says something, when no diagnostic
    event arrived (the CLI failed before the engine started)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for label in ("stdout:", "stderr:"):
        lines = [line.removeprefix(label).strip() for line in lines]
    meaningful = [line for line in lines if line and not line.startswith("code:")]
    return (meaningful or ["no output"])[-1].removeprefix("error: ")


# ----- what the engine is doing, from its event stream ------------------------------------


@dataclass
class Step:
    """One resource's progress in an engine run, read from a Pulumi engine event."""

    urn: str
    name: str
    type: str
    op: str  # create, update, delete, replace, same, refresh, read …
    status: str  # running | done | failed
    message: str = ""


def step_from_event(event: Any) -> Step | None:
    """The resource step an event reports, or None for events about no resource
    (prelude, stdout, summary, diagnostics without a URN). In a preview (a dry run)
    a finished step is "planned": nothing was done."""
    for attribute, status in (
        ("resource_pre_event", "running"),
        ("res_outputs_event", "done"),
        ("res_op_failed_event", "failed"),
    ):
        payload = getattr(event, attribute, None)
        if payload is not None:
            meta = payload.metadata
            if getattr(payload, "planning", None):
                status = "planning" if status == "running" else "planned"
            op = display_op(str(getattr(meta.op, "value", meta.op)))
            return Step(meta.urn, meta.urn.rsplit("::", 1)[-1], meta.type, op, status)
    diagnostic = getattr(event, "diagnostic_event", None)
    if diagnostic is not None and diagnostic.urn and diagnostic.severity == "error":
        urn = diagnostic.urn
        return Step(
            urn,
            urn.rsplit("::", 1)[-1],
            urn.split("::")[-2].split("$")[-1],
            "",
            "failed",
            reason_of(diagnostic.message),
        )
    return None
