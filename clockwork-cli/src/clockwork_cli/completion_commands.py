"""AI completion on the command line: `clockwork show` and `clockwork cache stats|clear`.

`completion_options` is a reusable decorator (`--no-cache`, `--model`, `--completer`,
`--output-mode`) for any command that completes a project, such as plan and apply:
the command receives one `completion: CompletionChoices` argument.

Start-up stays light: Clockwork's loader, completion code and rich load inside the
commands; pydantic-ai only when a resource actually needs the model.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clockwork.plugins import get_plugin_host

if TYPE_CHECKING:
    from clockwork.completion import CompletionReport
    from clockwork.loader import Project
    from clockwork.resource import Resource
    from clockwork.settings import Settings

OUTPUT_MODES = ("tool", "native", "prompted")
AI_MARK = "[AI]"

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


# ----- completion options, for any command that completes ---------------------------------


@dataclass(frozen=True)
class CompletionChoices:
    """What the completion options asked for; None means "as the settings say"."""

    no_cache: bool = False
    model: str | None = None
    completer: str | None = None
    output_mode: str | None = None

    @property
    def use_cache(self) -> bool:
        return not self.no_cache

    def settings_for(self, project_dir: Path) -> Settings:
        """The project's settings (CW_* variables, its .env) with these choices on top."""
        settings = project_settings(project_dir)
        chosen = {"model": self.model, "completer": self.completer,
                  "output_mode": self.output_mode}
        changes = {key: value for key, value in chosen.items() if value is not None}
        return settings.model_copy(update=changes) if changes else settings


def project_settings(project_dir: Path) -> Settings:
    """`get_settings`, with an invalid CW_* value (environment or .env) reported as a
    usage error naming the variable, not as a traceback. The value itself is not shown:
    it may be a secret."""
    from pydantic import ValidationError

    from clockwork.errors import UsageError
    from clockwork.settings import get_settings

    try:
        return get_settings(project_dir)
    except ValidationError as error:
        problems = "; ".join(
            f"CW_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False)
        )
        raise UsageError(f"invalid setting (environment or {project_dir / '.env'}): "
                         f"{problems}") from None


_COMPLETION_OPTIONS = (
    click.option("--no-cache", is_flag=True, help="Ask the model again; ignore the cache."),
    click.option("--model", metavar="NAME", help="Model that completes resources (CW_MODEL)."),
    click.option("--completer", metavar="NAME",
                 help="Completer backend (CW_COMPLETER; see `clockwork plugins`)."),
    click.option("--output-mode", type=click.Choice(OUTPUT_MODES),
                 help="How the model returns values (CW_OUTPUT_MODE)."),
)


def completion_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the completion options to a click command function; it gets them as
    `completion=CompletionChoices(...)`."""

    @functools.wraps(command)
    def with_choices(*args: Any, no_cache: bool, model: str | None, completer: str | None,
                     output_mode: str | None, **kwargs: Any) -> Any:
        choices = CompletionChoices(no_cache, model, completer, output_mode)
        return command(*args, completion=choices, **kwargs)

    # click lists options in the reverse order of decoration.
    for option in reversed(_COMPLETION_OPTIONS):
        with_choices = option(with_choices)
    return with_choices


def complete_with_progress(project: Project, settings: Settings, *,
                           use_cache: bool = True) -> CompletionReport:
    """Complete `project`, drawing progress on stderr when it is a terminal."""
    from rich.console import Console

    from clockwork.completion import complete_project

    console = Console(stderr=True)
    needing = sum(resource.needs_completion() for resource in project.resources)
    if not console.is_terminal or not needing:
        return complete_project(project, settings, use_cache=use_cache)
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("completing", total=needing)

        def show(resource: Resource, status: str) -> None:
            if status in ("cached", "completed"):
                progress.advance(task)
            progress.update(task, description=f"{resource.display_name}: {status}")

        return complete_project(project, settings, use_cache=use_cache, progress=show)


# ----- clockwork show ---------------------------------------------------------------------


@click.command()
@click.argument("main_py", default="main.py", required=False)
@click.argument("name", required=False)
@completion_options
@json_option
def show(main_py: str, name: str | None, completion: CompletionChoices, as_json: bool) -> None:
    """Complete the resources of MAIN_PY and show their fields; AI-filled ones are marked
    [AI]. With NAME, show only that resource."""
    from clockwork.loader import load_project

    main_py, name = _main_py_and_name(main_py, name)
    project = load_project(main_py, registry=get_plugin_host().registry)
    shown = [project.find(name)] if name else project.resources  # a typo fails before the AI
    settings = completion.settings_for(project.directory)
    report = complete_with_progress(project, settings, use_cache=completion.use_cache)
    if as_json:
        described = {"resources": [describe_resource(r) for r in shown],
                     "completion": report.to_dict()}
        click.echo(json.dumps(described, indent=2))
        return
    for resource in shown:
        print_resource(resource)
    click.echo(completion_summary(report))


def _main_py_and_name(main_py: str, name: str | None) -> tuple[str, str | None]:
    """`clockwork show api` means resource api of ./main.py, when no file is named api."""
    if name is None and not main_py.endswith(".py") and not Path(main_py).exists():
        return "main.py", main_py
    return main_py, name


def shown_fields(resource: Resource) -> dict[str, Any]:
    values = resource.model_dump(mode="json", exclude={"assertions", "connections"})
    return {key: value for key, value in values.items() if value is not None}


def describe_resource(resource: Resource) -> dict[str, Any]:
    return {
        "type": resource.type_name(),
        "name": resource.name,
        "fields": shown_fields(resource),
        "ai_filled": sorted(resource.ai_filled_fields),
    }


def print_resource(resource: Resource) -> None:
    click.echo(f"{resource.type_name()} {resource.display_name!r}")
    fields = shown_fields(resource)
    width = max((len(key) for key in fields), default=0)
    for key, value in fields.items():
        mark = f"  {AI_MARK}" if key in resource.ai_filled_fields else ""
        click.echo(f"  {key:<{width}}  {json.dumps(value, ensure_ascii=False)}{mark}")
    click.echo()


def completion_summary(report: CompletionReport) -> str:
    return (f"completed by the model: {report.completed} "
            f"({report.model_calls} calls); from the cache: {report.cache_hits}")


# ----- clockwork cache --------------------------------------------------------------------


@click.group()
def cache() -> None:
    """Inspect or clear a project's completion cache."""


project_argument = click.argument("project", default=".", required=False)


def cache_of(project: str) -> Any:
    """The cache of the project in folder PROJECT (or of the main.py it names)."""
    from clockwork.cache import CompletionCache, cache_dir_for

    folder = Path(project).expanduser().resolve()
    if folder.is_file():
        folder = folder.parent
    return CompletionCache(cache_dir_for(folder, project_settings(folder)))


@cache.command()
@project_argument
@json_option
def stats(project: str, as_json: bool) -> None:
    """Show entries, hits and misses recorded, and size of PROJECT's cache."""
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
    """Forget every completion cached for PROJECT."""
    store = cache_of(project)
    removed = store.clear()
    if as_json:
        click.echo(json.dumps({"path": str(store.path), "removed": removed}))
    else:
        click.echo(f"removed {removed} cached completion{'s' if removed != 1 else ''}")


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


COMMANDS = (show, cache)
