"""AI completion on the command line: `clockwork show` and `clockwork cache stats|clear`.

`completion_options` is a reusable decorator (`--no-cache`, `--model`, `--completer`,
`--output-mode`) for any command that completes a project, such as plan and apply:
the command receives one `completion: CompletionChoices` argument.

Start-up stays light: Clockwork's loader, completion code and rich load inside the
commands; pydantic-ai only when a resource actually needs the model. Resources are
described and drawn as `plan` does (clockwork.pipeline.describe_resource, ui).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .info_commands import json_option

if TYPE_CHECKING:
    from clockwork.completion import CompletionReport
    from clockwork.settings import Settings

OUTPUT_MODES = ("auto", "tool", "native", "prompted")


# ----- completion options, for any command that completes ---------------------------------


@dataclass(frozen=True)
class CompletionChoices:
    """What the completion options asked for; None means "as the settings say"."""

    no_cache: bool = False
    model: str | None = None
    completer: str | None = None
    output_mode: str | None = None
    offline: bool = False

    @property
    def use_cache(self) -> bool:
        return not self.no_cache

    def settings_for(self, project_dir: Path) -> Settings:
        """The project's settings (CW_* variables, its .env) with these choices on top."""
        settings = project_settings(project_dir)
        chosen = {"model": self.model, "completer": self.completer, "output_mode": self.output_mode}
        changes = {key: value for key, value in chosen.items() if value is not None}
        return settings.model_copy(update=changes) if changes else settings


def project_settings(project_dir: Path) -> Settings:
    """`get_settings`, with an invalid CW_* value (environment or .env) reported as a
    usage error naming the variable, not as a traceback. The value itself is not shown:
    it may be a secret."""
    from pydantic import ValidationError

    from clockwork.errors import UsageError, describe_validation_error
    from clockwork.settings import get_settings

    try:
        return get_settings(project_dir)
    except ValidationError as error:
        # Never the value itself: it may be a secret.
        problems = describe_validation_error(
            error, label=lambda where: f"CW_{where.replace('.', '_').upper()}"
        )
        raise UsageError(
            f"invalid setting (environment or {project_dir / '.env'}): {problems}"
        ) from None


_COMPLETION_OPTIONS = (
    click.option(
        "--no-cache",
        is_flag=True,
        help="Ask the model again: ignore the cache and clockwork.lock (apply and lock "
        "record the new answers).",
    ),
    click.option("--model", metavar="NAME", help="Model that completes resources (CW_MODEL)."),
    click.option(
        "--completer",
        metavar="NAME",
        help="Completer backend (CW_COMPLETER; see `clockwork plugins`).",
    ),
    click.option(
        "--output-mode",
        type=click.Choice(OUTPUT_MODES),
        help="How the model returns values (CW_OUTPUT_MODE).",
    ),
    click.option(
        "--offline",
        is_flag=True,
        help="Call no model: values come from the cache; what would need the model "
        "fails (exit 1), naming the resources and fields. For CI.",
    ),
)


def completion_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the completion options to a click command function; it gets them as
    `completion=CompletionChoices(...)`."""

    @functools.wraps(command)
    def with_choices(
        *args: Any,
        no_cache: bool,
        model: str | None,
        completer: str | None,
        output_mode: str | None,
        offline: bool,
        **kwargs: Any,
    ) -> Any:
        choices = CompletionChoices(no_cache, model, completer, output_mode, offline)
        return command(*args, completion=choices, **kwargs)

    # click lists options in the reverse order of decoration.
    for option in reversed(_COMPLETION_OPTIONS):
        with_choices = option(with_choices)
    return with_choices


# ----- clockwork show ---------------------------------------------------------------------


@click.command()
@click.argument("main_py", default="main.py", required=False)
@click.argument("name", required=False)
@completion_options
@json_option
def show(main_py: str, name: str | None, completion: CompletionChoices, as_json: bool) -> None:
    """Complete the resources of MAIN_PY and show their fields; AI-filled ones are marked
    [AI]. With NAME, show only that resource."""
    from clockwork import pipeline
    from clockwork.output_modes import ModePlan, mode_line

    from .ui import CompletionProgress, print_resources

    main_py, name = _main_py_and_name(main_py, name)
    project = pipeline.load(main_py)
    shown = [project.find(name)] if name else project.resources  # a typo fails before the AI
    settings = completion.settings_for(project.directory)
    progress = CompletionProgress()
    options = pipeline.RunOptions(
        use_cache=completion.use_cache, on_completion_progress=progress, offline=completion.offline
    )
    try:
        # The pipeline's step, with its checks (names the AI chose must not clash).
        report = pipeline.complete(project, settings, options)
    finally:
        progress.close()
    described = [pipeline.describe_resource(resource) for resource in shown]
    completed = report.to_dict() if report is not None else None
    # Read after completing: what auto found this run is what it remembers now.
    mode = ModePlan.for_project(project.directory, settings).describe()
    if as_json:
        from clockwork.redaction import redact

        shown_json = {"resources": described, "completion": completed, "output_mode": mode}
        click.echo(redact(json.dumps(shown_json, indent=2)))
        return
    print_resources(described)
    click.echo(mode_line(mode))
    if report is not None:
        click.echo(completion_summary(report))


def _main_py_and_name(main_py: str, name: str | None) -> tuple[str, str | None]:
    """`clockwork show api` means resource api of ./main.py, when no file is named api."""
    if name is None and not main_py.endswith(".py") and not Path(main_py).exists():
        return "main.py", main_py
    return main_py, name


def completion_summary(report: CompletionReport) -> str:
    return (
        f"completed by the model: {report.completed} "
        f"({report.model_calls} calls); from the cache: {report.cache_hits}"
        + (f"; from clockwork.lock: {report.lock_hits}" if report.lock_hits else "")
    )


# ----- clockwork cache --------------------------------------------------------------------


@click.group()
def cache() -> None:
    """Inspect or clear a project's completion cache."""


project_argument = click.argument("project", default=".", required=False)


def cache_of(project: str) -> Any:
    """The cache of the project in folder PROJECT (or of the main.py it names)."""
    from clockwork.cache import CompletionCache, cache_dir_for

    folder = project_folder(project)
    return CompletionCache(cache_dir_for(folder, project_settings(folder)))


def project_folder(project: str) -> Path:
    """The project folder PROJECT names: a folder with a main.py or a `.clockwork`
    folder (a project that has run), or a .py file in one. Anything else is a mistyped
    PROJECT, a usage error naming it, never an empty cache to report on or clear."""
    from clockwork.folders import project_folder as resolve

    return resolve(project, existing_project=True)


@cache.command()
@project_argument
@json_option
def stats(project: str, as_json: bool) -> None:
    """Show entries, hits and misses recorded, and size of PROJECT's cache (PROJECT: a
    project folder or its main.py; default: the current folder)."""
    found = cache_of(project).stats()
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2))
        return
    click.echo(f"cache:   {found.path}")
    click.echo(f"entries: {found.entries}")
    click.echo(f"hits:    {found.hits}")
    click.echo(f"misses:  {found.misses}")
    click.echo(f"size:    {human_size(found.size_bytes)}")


@cache.command()
@project_argument
@json_option
def clear(project: str, as_json: bool) -> None:
    """Forget every completion cached for PROJECT (a project folder or its main.py;
    default: the current folder). A corrupt cache file is removed."""
    cleared = cache_of(project).clear_all()
    if as_json:
        click.echo(json.dumps(cleared.to_dict()))  # path, removed, corrupt (null: it was not)
    elif cleared.corrupt is not None:
        click.echo(f"removed the corrupt cache {cleared.path} ({cleared.corrupt})")
    else:
        removed = cleared.removed
        click.echo(f"removed {removed} cached completion{'s' if removed != 1 else ''}")


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


COMMANDS = (show, cache)
