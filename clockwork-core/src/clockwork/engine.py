"""Drive the Pulumi engine through the Automation API.

State lives in the project folder by default (`file://<project>/.clockwork/state`),
so nobody needs a Pulumi Cloud login. The Pulumi CLI is found on PATH or in
Clockwork's own folder (`clockwork setup` installs it there); without it every
engine call fails with one line saying so. Calls block: run them off any event loop
(`clockwork.blocking.run_blocking`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ClockworkError, EngineMissingError
from .settings import Settings

Action = Literal["up", "preview", "destroy"]
INSTALL_HINT = "run `clockwork setup` or install Pulumi (https://www.pulumi.com/docs/install/)"


def clockwork_home() -> Path:
    """Clockwork's own folder for tools it installs (CW_HOME, default ~/.clockwork)."""
    return Path(os.environ.get("CW_HOME") or Path.home() / ".clockwork")


def pulumi_root() -> Path:
    return clockwork_home() / "pulumi"


def find_pulumi_cli() -> Path | None:
    """The `pulumi` executable Clockwork would use: PATH first, then Clockwork's folder."""
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path)
    own = pulumi_root() / "bin" / "pulumi"
    return own if own.is_file() and os.access(own, os.X_OK) else None


def require_pulumi_cli() -> Path:
    found = find_pulumi_cli()
    if found is None:
        raise EngineMissingError(f"the Pulumi CLI is not installed: {INSTALL_HINT}")
    return found


def install_pulumi_cli() -> Path:
    """Download the Pulumi CLI into Clockwork's folder (needs internet access)."""
    from pulumi.automation import PulumiCommand

    try:
        PulumiCommand.install(root=str(pulumi_root()))
    except Exception as error:
        raise ClockworkError(
            f"could not install the Pulumi CLI into {pulumi_root()}: {error}"
        ) from None
    return pulumi_root() / "bin" / "pulumi"


# ----- where state goes --------------------------------------------------------------


def project_name_for(directory: Path, settings: Settings) -> str:
    """Pulumi project name: the setting, or the folder's name plus a hash of its path,
    so two projects in folders of the same name never share state."""
    if settings.project_name:
        return settings.project_name
    # Pulumi allows at most 100 characters: a long folder name is cut short.
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.name).strip("-")[:80] or "project"
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


def backend_url_for(directory: Path, settings: Settings) -> str:
    """CW_BACKEND_URL as given (s3://, azblob://, https://api.pulumi.com …), else a
    file backend inside the project's .clockwork folder."""
    if settings.backend_url:
        return settings.backend_url
    return (directory.resolve() / ".clockwork" / "state").as_uri()


def local_state_folder(backend_url: str) -> Path | None:
    """The folder of a file:// backend, read as Pulumi reads it (query dropped, ~
    expanded, %-escapes decoded: a project in "My Projects" has "My%20Projects" in its
    URL); None for any other backend."""
    if not backend_url.startswith("file://"):
        return None
    path = urllib.parse.unquote(backend_url.removeprefix("file://").split("?")[0])
    return Path(path).expanduser().absolute()


@dataclass
class StackTarget:
    directory: Path
    project_name: str
    stack_name: str
    backend_url: str
    env: dict[str, str] = field(repr=False)  # holds the passphrase: never printed

    @classmethod
    def for_project(cls, directory: Path, settings: Settings) -> StackTarget:
        passphrase = settings.pulumi_config_passphrase
        env = {
            # An empty passphrase is valid for a local state folder; users who keep
            # secrets in state set their own.
            "PULUMI_CONFIG_PASSPHRASE": passphrase.get_secret_value() if passphrase else "",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        return cls(directory, project_name_for(directory, settings), settings.stack,
                   backend_url_for(directory, settings), env)


# ----- running the engine ---------------------------------------------------------------


@dataclass
class EngineResult:
    action: Action
    changes: dict[str, int]  # op -> count, e.g. {"create": 2, "same": 1}
    duration_seconds: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        signs = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "same": "="}
        parts = [f"{signs.get(op, '')}{count} {op}" for op, count in self.changes.items() if count]
        took = f" in {self.duration_seconds:.0f}s" if self.duration_seconds is not None else ""
        return (", ".join(parts) or "no changes") + took


def python_runtime() -> dict[str, str] | None:
    """Runtime options naming the virtualenv Clockwork runs in: Pulumi hands them to the
    process that hosts dynamic providers (files, git), which must import our code."""
    if sys.prefix == sys.base_prefix:
        return None  # not in a virtualenv: the interpreter on PATH is the one
    return {"virtualenv": sys.prefix}


def python_environment() -> dict[str, str]:
    """This interpreter's folder first on PATH, for processes the engine starts."""
    path = os.environ.get("PATH", "")
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{path}"}


def open_stack(target: StackTarget, program: Callable[[], None]) -> Any:
    """Create or select the stack, with state where `target` says."""
    cli = require_pulumi_cli()
    from pulumi import automation as auto

    state_folder = local_state_folder(target.backend_url)
    if state_folder is not None:
        state_folder.mkdir(parents=True, exist_ok=True)
    # PulumiCommand runs <root>/bin/pulumi; both PATH installs and ours have that layout.
    command = auto.PulumiCommand(root=str(cli.parent.parent))
    settings = auto.ProjectSettings(
        name=target.project_name, runtime=auto.ProjectRuntimeInfo("python", python_runtime()),
        backend=auto.ProjectBackend(url=target.backend_url),
    )
    options = auto.LocalWorkspaceOptions(
        project_settings=settings, env_vars={**target.env, **python_environment()},
        pulumi_command=command,
    )
    try:
        return auto.create_or_select_stack(
            target.stack_name, project_name=target.project_name, program=program, opts=options
        )
    except auto.CommandError as error:
        raise ClockworkError(
            f"cannot open stack {target.stack_name}: {_last_line(error)}"
        ) from None


def run_engine(action: Action, stack: Any, on_event: Callable[[Any], None] | None = None,
               *, preview_only: bool = False) -> EngineResult:
    """Run `up`, `preview` or `destroy` on an open stack; errors become one line.
    `preview_only` with destroy lists what would go without touching anything."""
    from pulumi import automation as auto

    try:
        if action == "up":
            result = stack.up(on_event=on_event)
            return _from_update(action, result.summary, result.outputs)
        if action == "destroy":
            if preview_only:
                # A preview-only destroy returns the stack's LAST update summary, not
                # what would go: that is in the preview's summary event.
                summaries: list[Any] = []

                def collect(event: Any) -> None:
                    summary = getattr(event, "summary_event", None)
                    if summary is not None:
                        summaries.append(summary)
                    if on_event is not None:
                        on_event(event)

                stack.destroy(on_event=collect, preview_only=True)
                changes = summaries[-1].resource_changes if summaries else {}
                return EngineResult(action, dict(changes or {}))
            result = stack.destroy(on_event=on_event)
            return _from_update(action, result.summary, {})
        result = stack.preview(on_event=on_event)
        return EngineResult(action, dict(result.change_summary or {}))
    except auto.ConcurrentUpdateError:
        raise ClockworkError(
            f"stack {stack.name} is locked by another run: wait for it to finish, or if it "
            "crashed, remove the lock with `pulumi cancel`"
        ) from None
    except auto.CommandError as error:
        raise ClockworkError(f"pulumi {action} failed: {_last_line(error)}") from None


def _from_update(action: Action, summary: Any, outputs: Any) -> EngineResult:
    duration = None
    if summary.end_time and summary.start_time:
        duration = (summary.end_time - summary.start_time).total_seconds()
    values = {key: output.value for key, output in (outputs or {}).items()}
    return EngineResult(action, dict(summary.resource_changes or {}), duration, values)


def _last_line(error: BaseException) -> str:
    text = str(getattr(error, "stderr", "") or error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


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
    (prelude, stdout, summary, diagnostics without a URN)."""
    for attribute, status in (("resource_pre_event", "running"),
                              ("res_outputs_event", "done"),
                              ("res_op_failed_event", "failed")):
        payload = getattr(event, attribute, None)
        if payload is not None:
            meta = payload.metadata
            op = getattr(meta.op, "value", meta.op)
            return Step(meta.urn, meta.urn.rsplit("::", 1)[-1], meta.type, str(op), status)
    diagnostic = getattr(event, "diagnostic_event", None)
    if diagnostic is not None and diagnostic.urn and diagnostic.severity == "error":
        urn = diagnostic.urn
        return Step(urn, urn.rsplit("::", 1)[-1], urn.split("::")[-2].split("$")[-1], "",
                    "failed", diagnostic.message.strip())
    return None
