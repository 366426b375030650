"""The pipeline, in order: load → complete → compile → deploy.

Each step is one function; the workflows `plan`, `apply`, `destroy` and `check`
(for `clockwork assert`) string them together. Nothing here knows a resource type:
types, completers and compilers all come from plugins.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .blocking import run_blocking
from .checks import AssertReport, run_assertions
from .dynamic import check_providers_importable
from .engine import (
    IDENTITIES_OUTPUT,
    Action,
    EngineResult,
    StackTarget,
    open_stack,
    record_deployed,
    require_pulumi_cli,
    run_engine,
)
from .errors import EngineMissingError, UsageError
from .folders import FORCE_ENV, project_folder
from .graph import check_unique_names
from .loader import Project, load_project
from .lockfile import lock_exists
from .plugins import PluginHost, get_plugin_host
from .policies import active_policies, enforce_policies
from .repair import RepairResult, RepairRound, ai_values, field_changes, split_failures
from .settings import Settings, get_settings
from .workdirs import Cleanup, record_dirs_to_create, remove_created_dirs

OnEvent = Callable[[Any], None]


@dataclass
class RunOptions:
    """Choices of one run, mostly from the command line."""

    use_cache: bool = True
    on_completion_progress: Callable[..., None] | None = None
    on_engine_event: OnEvent | None = None
    force: bool = False  # providers may delete what they would keep (see folders.FORCE_ENV)
    offline: bool = False  # values from the cache only; a needed model call fails
    refresh: bool = True  # read the real state of what is deployed first (drift)
    # declared_key -> the checks its last values failed (`apply --repair`), or none
    # (`lock --update`): asked again, past the lock and the cache
    reask: Mapping[str, Sequence[str]] | None = None
    # Write clockwork.lock; None: as the workflow does (apply writes, the others read).
    write_lock: bool | None = None

    def target(self, directory: Path, settings: Settings) -> StackTarget:
        target = StackTarget.for_project(directory, settings)
        if self.force:
            target.env[FORCE_ENV] = "1"
        return target


# ----- the four steps ---------------------------------------------------------------------


def load(main_path: str | Path | None, host: PluginHost | None = None) -> Project:
    # The project's .env may choose the plugins (CW_PLUGINS), when none are loaded yet.
    host = host or get_plugin_host(project_dir_of(main_path))
    return load_project(main_path, registry=host.registry)


def complete(
    project: Project, settings: Settings, options: RunOptions, host: PluginHost | None = None
) -> Any:
    """Let the AI fill what the user left open, then judge the result with the
    policies (whatever the values came from: the model, the lock, the cache). A project
    with nothing to fill never touches the completer (no API key or model needed);
    with a clockwork.lock it still runs, so the lock's entries for what main.py now
    sets drop out."""
    registry = (host or get_plugin_host()).registry
    report = None
    something_to_fill = any(resource.needs_completion() for resource in project.resources)
    if something_to_fill or lock_exists(project.directory):
        from .completion import complete_project  # pydantic-ai loads only when needed

        report = complete_project(
            project,
            settings,
            use_cache=options.use_cache,
            progress=options.on_completion_progress,
            registry=registry,
            offline=options.offline,
            store=False,
            reask=options.reask,
            write_lock=bool(options.write_lock),
        )
        check_unique_names(project.resources)  # names the AI chose must not clash either
    enforce_policies(project.resources, settings, registry, project.directory)
    if report is not None:
        report.store()  # only what passed the project's checks comes back next time
    return report


def compile_program(
    project: Project, settings: Settings, host: PluginHost | None = None
) -> Callable[[], None]:
    host = host or get_plugin_host()
    compilers = host.registry.compilers
    if settings.compiler not in compilers:
        known = ", ".join(sorted(compilers)) or "none"
        raise UsageError(f"unknown compiler {settings.compiler!r} (installed: {known})")
    program = compilers[settings.compiler].value(settings).build_program(project.resources)
    return _exporting_summary(program, project)


def deploy(
    project: Project,
    program: Callable[[], None],
    settings: Settings,
    action: Action,
    options: RunOptions,
) -> EngineResult:
    target = options.target(project.directory, settings)

    def run() -> EngineResult:
        stack = open_stack(target, program)
        return run_engine(
            action,
            stack,
            options.on_engine_event,
            log_dir=project.directory,
            refresh=options.refresh,
        )

    return run_blocking(run)  # the Automation API runs its own loop: never inside ours


def _exporting_summary(program: Callable[[], None], project: Project) -> Callable[[], None]:
    """The program, plus a stack output listing what Clockwork deployed."""

    def program_with_summary() -> None:
        import pulumi

        program()
        pulumi.export(
            "clockwork",
            {
                "project_dir": str(project.directory),
                "resources": [
                    {"name": r.name, "type": r.type_name(), "ai_filled": sorted(r.ai_filled_fields)}
                    for r in project.resources
                ],
            },
        )

    return program_with_summary


# ----- workflows --------------------------------------------------------------------------


@dataclass
class PlanResult:
    project: Project
    completion: Any
    registered: list[Any]  # Pulumi resources the program registers (in-process evaluation)
    preview: EngineResult | None = None
    preview_skipped: str | None = None
    policies: dict[str, list[str]] | None = None  # the rules that ran, and those off

    def to_dict(self) -> dict[str, Any]:
        return {
            "main": str(self.project.main_path),
            "policies": self.policies,
            "resources": [describe_resource(r) for r in self.project.resources],
            "pulumi_resources": [
                {
                    "type": r.type,
                    "name": r.name,
                    "urn": r.urn,
                    "parent": r.parent,
                    "dependencies": r.dependencies,
                }
                for r in self.registered
            ],
            "preview": None if self.preview is None else engine_report(self.preview, self.project),
            "preview_skipped": self.preview_skipped,
            "completion": getattr(self.completion, "to_dict", lambda: None)(),
            "lock": lock_report(self.completion),
        }


def lock_report(completion: Any) -> dict[str, Any] | None:
    """How the run changes (plan: would change) clockwork.lock; None: no lock is used."""
    session = getattr(completion, "lock", None)
    return None if session is None else session.changes().to_dict()


def engine_report(result: EngineResult, project: Project | None = None) -> dict[str, Any]:
    """An engine run as a report: counts, and per resource what changed, property by
    property (`ai_filled`: the properties whose value the AI chose), and drift."""
    ai_filled = {r.name: r.ai_filled_fields for r in project.resources} if project else {}
    steps = []
    for step in result.steps:
        entry = step.to_dict()
        entry["ai_filled"] = sorted(set(step.properties) & set(ai_filled.get(step.name, ())))
        steps.append(entry)
    return {
        "changes": result.changes,
        "summary": result.summary(),
        "pending": result.pending,
        "steps": steps,
        "drift": [d.to_dict() for d in result.drift],
    }


def describe_resource(resource: Any) -> dict[str, Any]:
    fields = resource.shown_fields()
    return {
        "name": resource.name,
        "type": resource.type_name(),
        "parent": resource.parent.name if resource.parent is not None else None,
        "connects_to": [peer.name for peer in resource.connected],
        "fields": fields,
        "ai_filled": sorted(resource.ai_filled_fields),
        "assertions": [check.describe() for check in resource.assertions],
    }


def evaluated(
    main_path: str | Path | None, options: RunOptions, settings: Settings | None
) -> tuple[PlanResult, Callable[[], None], Settings]:
    """Load, complete, compile, and evaluate the program in-process under Pulumi's mock
    runtime: what plan shows and what apply checks before the engine runs."""
    project = load(main_path)
    settings = settings or get_settings(project.directory)
    completion = complete(project, settings, options)
    program = compile_program(project, settings)
    from .simulate import run_under_mocks

    result = PlanResult(project, completion, run_under_mocks(program, preview=True))
    result.policies = policy_summary(settings)
    check_providers_importable(result.registered)
    return result, program, settings


def policy_summary(settings: Settings, host: PluginHost | None = None) -> dict[str, list[str]]:
    """Which policies judged the run, and which CW_POLICIES_OFF switched off."""
    on, off = active_policies((host or get_plugin_host()).registry, settings)
    return {"ran": list(on), "off": off}


def plan(
    main_path: str | Path | None,
    options: RunOptions | None = None,
    settings: Settings | None = None,
) -> PlanResult:
    """Load, complete and compile; evaluate the program in-process under Pulumi's mock
    runtime; then preview against the stack's state when the Pulumi CLI is there."""
    options = options or RunOptions()
    result, program, settings = evaluated(main_path, options, settings)
    project = result.project
    try:
        require_pulumi_cli()
        require_engine_plugins(result.registered)
    except EngineMissingError as missing:
        result.preview_skipped = f"preview against the stack's state skipped: {missing}"
        return result
    warn_if_secrets_unprotected(options.target(project.directory, settings), result.registered)
    result.preview = deploy(project, program, settings, "preview", options)
    return result


_warned_unprotected: set[Path] = set()


def warn_if_secrets_unprotected(target: StackTarget, registered: list[Any]) -> None:
    """Once per project and run: the program puts secrets into a state that no
    passphrase protects (Pulumi then only encodes them)."""
    from .simulate import holds_secret

    if not target.secrets_unprotected or target.directory in _warned_unprotected:
        return

    # Pulumi marks every dynamic provider's own serialization (`__provider`) secret:
    # only the resources' real inputs say whether the program holds a secret.
    def real_inputs(resource: Any) -> dict[str, Any]:
        return {k: v for k, v in resource.inputs.items() if not k.startswith("__")}

    if any(holds_secret(real_inputs(resource)) for resource in registered):
        _warned_unprotected.add(target.directory)
        logging.getLogger("clockwork.engine").warning(
            "warning: secrets go into the state unprotected: set CW_PULUMI_CONFIG_PASSPHRASE "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE) to encrypt them"
        )


def require_engine_plugins(registered: list[Any], host: PluginHost | None = None) -> None:
    from .engine_setup import missing_engine_plugins

    missing = missing_engine_plugins((r.type for r in registered), host or get_plugin_host())
    if missing:
        raise EngineMissingError(f"{'; '.join(missing)}: run `clockwork setup`")


@dataclass
class ApplyResult:
    plan: PlanResult
    engine: EngineResult | None  # None when the user declined

    def to_dict(self) -> dict[str, Any]:
        data = self.plan.to_dict()
        data["applied"] = self.engine is not None
        if self.engine is not None:
            data["changes"] = self.engine.changes
            data["summary"] = self.engine.summary()
            data["outputs"] = self.engine.outputs
            data["steps"] = engine_report(self.engine, self.plan.project)["steps"]
        return data


def apply(
    main_path: str | Path | None,
    options: RunOptions | None = None,
    confirm: Callable[[PlanResult], bool] | None = None,
    settings: Settings | None = None,
) -> ApplyResult:
    """Load → complete → compile → deploy. `confirm` sees the plan first and may decline."""
    options = options or RunOptions()
    if options.write_lock is None:  # apply records what it deploys (creating the lock)
        options = dataclasses.replace(options, write_lock=True)
    require_pulumi_cli()  # fail before any model call when deploying is impossible anyway
    # Evaluated first, as plan does: an error in a resource's to_pulumi() stops here,
    # before the engine has created anything; so does a plugin the engine would lack.
    planned, program, settings = evaluated(main_path, options, settings)
    project = planned.project
    require_engine_plugins(planned.registered)
    warn_if_secrets_unprotected(options.target(project.directory, settings), planned.registered)
    if confirm is not None:
        # What will change, property by property, is what the user confirms.
        quiet = dataclasses.replace(options, on_engine_event=None)
        planned.preview = deploy(project, program, settings, "preview", quiet)
        if not confirm(planned):
            return ApplyResult(planned, None)
    record_dirs_to_create(project.directory, project.resources)
    engine = deploy(project, program, settings, "up", options)
    # What each resource was deployed as: a rename or move next time keeps it.
    record_deployed(project.directory, settings.stack, engine.outputs.get(IDENTITIES_OUTPUT))
    return ApplyResult(planned, engine)


def repair(
    main_path: str | Path | None,
    rounds: int,
    options: RunOptions | None = None,
    confirm: Callable[[PlanResult], bool] | None = None,
    settings: Settings | None = None,
) -> RepairResult:
    """`apply`, then the assertions; while some fail on resources with AI-filled
    fields, ask the model again for those (the failures in their prompts), redeploy and
    check again: at most `rounds` times. Each round reloads main.py, so the user's
    values are the user's again and the last AI values are never taken for them; what
    the new answers pass is stored (cache) by the complete step, as in any run."""
    options = options or RunOptions()
    history: list[RepairRound] = []
    reask: Mapping[str, list[str]] = {}
    before = ai_values([])
    while True:
        applied = apply(main_path, dataclasses.replace(options, reask=reask), confirm, settings)
        if applied.engine is None:  # the user declined this round's deploy
            return RepairResult(history, applied)
        project = applied.plan.project
        checks = run_assertions(
            project.resources,
            concurrency=(settings or get_settings(project.directory)).assert_concurrency,
        )
        now = ai_values(project.resources)
        names = [name for key, (name, _) in now.items() if key in reask]
        changes = field_changes(before, now)
        history.append(
            RepairRound(len(history) + 1, names, changes, checks, applied.engine.summary())
        )
        failures = split_failures(project.resources, checks)
        if checks.success or checks.interrupted or not failures.reask or len(history) > rounds:
            return RepairResult(history, applied, failures)
        reask, before = failures.reask, now


@dataclass
class DestroyResult:
    project_dir: Path
    engine: EngineResult | None
    cleanup: Cleanup
    dry_run: bool
    engine_skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_dir": str(self.project_dir),
            "dry_run": self.dry_run,
            "changes": None if self.engine is None else self.engine.changes,
            "engine_skipped": self.engine_skipped,
            "removed_dirs": self.cleanup.removed,
            "kept_dirs": self.cleanup.kept,
        }


def project_dir_of(main_path: str | Path | None) -> Path:
    """The project folder, without running main.py: destroy must work even when main.py
    no longer loads (the one resolver: `folders.project_folder`)."""
    return project_folder(main_path)


def destroy(
    main_path: str | Path | None,
    *,
    dry_run: bool = False,
    keep_files: bool = False,
    options: RunOptions | None = None,
    settings: Settings | None = None,
) -> DestroyResult:
    """Destroy the stack's resources, then the empty folders Clockwork created."""
    options = options or RunOptions()
    project_dir = project_dir_of(main_path)
    settings = settings or get_settings(project_dir)
    engine: EngineResult | None = None
    skipped = None
    try:
        target = options.target(project_dir, settings)
        engine = run_blocking(
            lambda: run_engine(
                "destroy",
                open_stack(target, lambda: None),
                options.on_engine_event,
                preview_only=dry_run,
                log_dir=project_dir,
            )
        )
    except EngineMissingError as missing:
        if not dry_run:
            raise
        skipped = f"the stack's resources are not listed: {missing}"
    if engine is not None and not dry_run:
        record_deployed(project_dir, settings.stack, {})  # nothing is deployed any more
    cleanup = Cleanup() if keep_files else remove_created_dirs(project_dir, dry_run=dry_run)
    return DestroyResult(project_dir, engine, cleanup, dry_run, skipped)


def check(
    main_path: str | Path | None,
    settings: Settings | None = None,
    progress: Callable[..., None] | None = None,
) -> AssertReport:
    """Run every resource's assertions against what is deployed (no Pulumi needed),
    with the values `apply` deployed: what the AI filled comes from the cache, and the
    model is never asked (a resource never completed fails, naming it)."""
    project = load(main_path)
    settings = settings or get_settings(project.directory)
    complete(project, settings, RunOptions(offline=True))
    return run_assertions(
        project.resources, concurrency=settings.assert_concurrency, progress=progress
    )
