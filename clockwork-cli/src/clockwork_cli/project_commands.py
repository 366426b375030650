"""Commands that act on a project's main.py: plan, apply, destroy, assert; and setup.

Each runs one workflow of `clockwork.pipeline` and reports it: text and rich views on
a terminal, one JSON document with `--json`. Exit codes: 0 ok, 1 a check failed or
the engine failed, 2 usage (bad file, declined, missing --yes off a terminal).
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from typing import Any

import click

from clockwork.plugins import get_plugin_host

from .completion_commands import CompletionChoices, completion_options, project_settings
from .info_commands import json_option

main_py_argument = click.argument("main_py", default="main.py", required=False)
stack_option = click.option("--stack", metavar="NAME", help="Pulumi stack (CW_STACK, default dev).")
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
force_option = click.option(
    "--force",
    is_flag=True,
    help="Also delete what Clockwork would keep: files edited since deploy, clones with "
    "uncommitted, untracked or unpushed work.",
)


def _settings(main_py: str, completion: CompletionChoices | None, stack: str | None) -> Any:
    from clockwork.pipeline import project_dir_of

    folder = project_dir_of(main_py)
    settings = completion.settings_for(folder) if completion else project_settings(folder)
    return settings.model_copy(update={"stack": stack}) if stack else settings


def _echo_json(data: Any) -> None:
    from clockwork.redaction import redact

    # ASCII-only JSON escapes every control character; secrets are masked in it too.
    click.echo(redact(json.dumps(data, indent=2, default=str)))


def _run_options(
    completion: CompletionChoices | None, on_event: Any = None, force: bool = False
) -> Any:
    from clockwork.pipeline import RunOptions

    from .ui import CompletionProgress

    return RunOptions(
        use_cache=completion.use_cache if completion else True,
        on_completion_progress=CompletionProgress(),
        on_engine_event=on_event,
        force=force,
        offline=completion.offline if completion else False,
    )


EXIT_CHANGES_PENDING = 3
refresh_option = click.option(
    "--refresh/--no-refresh",
    default=True,
    help="Read the real state of what is deployed first, so drift shows (default: on).",
)


@click.command()
@main_py_argument
@stack_option
@refresh_option
@click.option(
    "--exit-code",
    "exit_code",
    is_flag=True,
    help=f"Exit {EXIT_CHANGES_PENDING} when the preview has changes or drift (a drift "
    "check for CI); 0 when there is nothing to do.",
)
@completion_options
@json_option
def plan(
    main_py: str,
    stack: str | None,
    refresh: bool,
    exit_code: bool,
    completion: CompletionChoices,
    as_json: bool,
) -> None:
    """Show what `apply` would deploy: the completed resources (AI-filled fields marked
    [AI]), the Pulumi resources they compile to, and a preview against the stack with
    each resource's changes, property by property, and drift."""
    from clockwork import pipeline

    from .ui import print_plan

    options = _run_options(completion)
    options.refresh = refresh
    try:
        result = pipeline.plan(main_py, options, _settings(main_py, completion, stack))
    finally:
        options.on_completion_progress.close()
    if as_json:
        _echo_json(result.to_dict())
    else:
        print_plan(result.to_dict())
    if (
        exit_code
        and result.preview is not None
        and (result.preview.pending or result.preview.drift)
    ):
        sys.exit(EXIT_CHANGES_PENDING)


repair_option = click.option(
    "--repair",
    "repair_rounds",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="After deploying, run the assertions; ask the AI again for each resource whose "
    "AI-filled values fail them (the failures in its prompt), redeploy and check again, "
    "at most N times. Exit 1 naming what still fails (default 0: no checks).",
)


@click.command()
@main_py_argument
@stack_option
@yes_option
@force_option
@refresh_option
@repair_option
@completion_options
@json_option
def apply(
    main_py: str,
    stack: str | None,
    yes: bool,
    force: bool,
    refresh: bool,
    repair_rounds: int,
    completion: CompletionChoices,
    as_json: bool,
) -> None:
    """Complete, compile and deploy the resources declared in MAIN_PY."""
    from clockwork import pipeline

    from .ui import EngineView, echo, print_engine_report, print_lock_changes, print_resources

    if not yes and (as_json or not sys.stdin.isatty()):
        raise click.UsageError("not a terminal to confirm in: pass --yes to deploy")
    if repair_rounds and completion.offline:
        raise click.UsageError("--repair asks the model again: it cannot be --offline")

    def confirm(planned: Any) -> bool:
        report = planned.to_dict()
        print_resources(report["resources"])
        if report["preview"] is not None:
            print_engine_report(report["preview"], "changes")
        return click.confirm("Deploy these changes?", default=False, err=True)

    settings = _settings(main_py, completion, stack)
    with EngineView(f"clockwork apply ({settings.stack})") as view:
        options = _run_options(completion, view.on_event, force)
        options.refresh = refresh
        try:
            if repair_rounds:
                repaired = pipeline.repair(
                    main_py, repair_rounds, options, None if yes else confirm, settings
                )
            else:
                result = pipeline.apply(main_py, options, None if yes else confirm, settings)
        finally:
            options.on_completion_progress.close()
    if repair_rounds:
        _report_repair(repaired, as_json)
        return
    if as_json:
        _echo_json(result.to_dict())
    elif result.engine is None:
        click.echo("nothing deployed", err=True)
    else:
        echo(f"applied: {result.engine.summary()}")
        lock = pipeline.lock_report(result.plan.completion)
        if lock is not None:  # what apply recorded in clockwork.lock
            print_lock_changes(lock)
    if result.engine is None:
        sys.exit(2)


def _report_repair(repaired: Any, as_json: bool) -> None:
    """The last deploy, then every round; exit 1 naming what still fails."""
    from clockwork.errors import ClockworkError

    from .ui import print_repair_rounds

    if as_json:
        _echo_json({**repaired.applied.to_dict(), "repair": repaired.to_dict()})
    else:
        print_repair_rounds(repaired.to_dict())
    if repaired.declined:
        click.echo("nothing deployed", err=True)
        sys.exit(2)
    if repaired.interrupted:
        sys.exit(130)
    if not repaired.success:
        raise ClockworkError(repaired.failure_message())


@click.command()
@main_py_argument
@stack_option
@yes_option
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option(
    "--keep-files",
    is_flag=True,
    help="Keep the folders Clockwork created (only the stack is destroyed).",
)
@force_option
@json_option
def destroy(
    main_py: str,
    stack: str | None,
    yes: bool,
    dry_run: bool,
    keep_files: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Destroy what `apply` deployed for MAIN_PY, then the empty folders Clockwork made.

    MAIN_PY is not run: destroy works even when it no longer loads."""
    from clockwork import pipeline

    from .ui import EngineView

    if not (yes or dry_run):
        if as_json or not sys.stdin.isatty():
            raise click.UsageError("not a terminal to confirm in: pass --yes to destroy")
        folder = pipeline.project_dir_of(main_py)
        if not click.confirm(f"Destroy everything deployed from {folder}?", err=True):
            sys.exit(2)
    settings = _settings(main_py, None, stack)
    with EngineView(f"clockwork destroy ({settings.stack})") as view:
        result = pipeline.destroy(
            main_py,
            dry_run=dry_run,
            keep_files=keep_files,
            options=_run_options(None, view.on_event, force),
            settings=settings,
        )
    if as_json:
        _echo_json(result.to_dict())
        return
    _print_destroy(result)


def _print_destroy(result: Any) -> None:
    from .ui import echo

    verb = "would remove" if result.dry_run else "removed"
    if result.engine is not None:
        echo(f"stack: {result.engine.summary()}")
    if result.engine_skipped:
        echo(result.engine_skipped)
    for folder in result.cleanup.removed:
        echo(f"{verb} folder {folder}")
    for folder, why in result.cleanup.kept.items():
        echo(f"kept folder {folder}: {why}")


@click.command("assert")
@main_py_argument
@json_option
def assert_command(main_py: str, as_json: bool) -> None:
    """Run the assertions of the resources in MAIN_PY against what is deployed.
    Exit status 1 when any fails."""
    from clockwork import pipeline

    from .ui import print_assert_report, stderr_console

    console = stderr_console()
    with console.status("running assertions") if console.is_terminal else nullcontext():
        report = pipeline.check(main_py, _settings(main_py, None, None))
    data = report.to_dict()
    if as_json:
        _echo_json(data)
    else:
        print_assert_report(data)
    if report.interrupted:
        sys.exit(130)
    if not report.success:
        sys.exit(1)


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help="Report what is installed and what is missing; "
    "change nothing (exit 1 when something is missing).",
)
@click.option(
    "--from-source",
    is_flag=True,
    help="Build from source with Go even where the release could be downloaded.",
)
@click.argument("main_py", required=False)
@json_option
def setup(main_py: str | None, check: bool, from_source: bool, as_json: bool) -> None:
    """Install the Pulumi engine Clockwork deploys with into ~/.clockwork/engine: the
    CLI, the launcher of Python dynamic providers, and the provider plugins the
    installed Clockwork plugins need (with MAIN_PY: only those its resources need).
    Downloads the official release where it can, else builds from source with Go; a
    second run does nothing."""
    from clockwork import engine_setup
    from clockwork.engine import usable_pulumi_cli

    from .ui import SetupProgress

    plugins = engine_setup.needed_engine_plugins(get_plugin_host())
    if main_py is not None:
        plugins = _plugins_for_project(main_py, plugins)
    home = engine_setup.EngineHome.default()
    cli = usable_pulumi_cli()
    done: list[str] = []
    failed: dict[str, str] = {}
    if not check:
        with SetupProgress() as progress:
            installer = engine_setup.install_engine(
                plugins, cli, progress, home, allow_download=not from_source
            )
        done, failed = installer.done, installer.failed
        cli = usable_pulumi_cli()
    parts = engine_setup.engine_parts(home, plugins, cli)
    if as_json:
        listed = [{**part.to_dict(), "why": failed.get(part.name)} for part in parts]
        _echo_json({"parts": listed, "done": done, "log": str(home.log)})
    else:
        for line in done:
            click.echo(line, err=True)
        for part in parts:
            where = str(part.path) if part.path else f"missing{_why(failed.get(part.name))}"
            version = f" {part.detail}" if part.detail else ""
            click.echo(f"{'✓' if part.installed else '✗'} {part.name}{version}: {where}")
    if not all(part.installed for part in parts):
        sys.exit(1)


def _plugins_for_project(main_py: str, plugins: list[Any]) -> list[Any]:
    """The engine plugins registered by the distributions whose resource types main.py
    uses (main.py is loaded, nothing is completed)."""
    from clockwork import pipeline

    registry = get_plugin_host().registry
    project = pipeline.load(main_py)
    used = {
        registry.resources[r.type_name()].distribution
        for r in project.resources
        if r.type_name() in registry.resources
    }
    wanted = {
        registration.value
        for registration in registry.engine_plugins.values()
        if registration.distribution in used
    }
    return [plugin for plugin in plugins if plugin in wanted]


def _why(reason: str | None) -> str:
    return f": {reason}" if reason else ""


COMMANDS = (apply, plan, destroy, assert_command, setup)
