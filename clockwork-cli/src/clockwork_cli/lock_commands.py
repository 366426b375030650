"""`clockwork lock` and `clockwork freeze`: pin what the AI chose, or take it over.

`lock` writes clockwork.lock beside main.py (clockwork.lockfile): every AI-filled
value, reused while its inputs stay the same; `--update NAME…` asks the model again
for those resources only. `freeze` writes the AI-filled values into main.py itself as
keyword arguments (clockwork_cli.freezing, with libcst: imported only here), so the
user owns them; their lock entries go.

Exit codes: 0 done, 1 a value could not be completed or frozen, 2 usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .completion_commands import CompletionChoices, completion_options
from .info_commands import json_option

EXIT_REFUSED = 1


def _main_py_and_names(main_py: str, names: tuple[str, ...]) -> tuple[str, list[str]]:
    """`clockwork lock --update db` means resource db of ./main.py, when no file is
    named db."""
    if not main_py.endswith(".py") and not Path(main_py).exists():
        return "main.py", [main_py, *names]
    return main_py, list(names)


def _complete(project: Any, completion: CompletionChoices, **options: Any) -> Any:
    from clockwork import pipeline

    from .ui import CompletionProgress

    progress = CompletionProgress()
    run = pipeline.RunOptions(
        use_cache=completion.use_cache,
        on_completion_progress=progress,
        offline=completion.offline,
        **options,
    )
    try:
        return pipeline.complete(project, completion.settings_for(project.directory), run)
    finally:
        progress.close()


# ----- clockwork lock ---------------------------------------------------------------------


@click.command("lock")
@click.argument("main_py", default="main.py", required=False)
@click.argument("names", nargs=-1)
@click.option(
    "--update",
    is_flag=True,
    help="Ask the model again for the resources NAME… (their name, or their lock key).",
)
@completion_options
@json_option
def lock(
    main_py: str, names: tuple[str, ...], update: bool, completion: CompletionChoices, as_json: bool
) -> None:
    """Write or update clockwork.lock beside MAIN_PY: every value the AI chose, with
    the model that chose it and a hash of what it saw. Locked values are reused while
    their inputs stay the same; commit the file, and review its diff."""
    from clockwork import pipeline
    from clockwork.errors import UsageError
    from clockwork.lockfile import LockFile, keys_named, lock_path_for

    main_py, wanted = _main_py_and_names(main_py, names)
    if wanted and not update:
        raise UsageError(f"{wanted[0]!r}: resources are named only with --update NAME…")
    if update and not wanted:
        raise UsageError("--update needs the names of the resources to ask again")
    if update and completion.offline:
        raise UsageError("--update asks the model again, which --offline forbids")
    project = pipeline.load(main_py)
    existing = LockFile.load(lock_path_for(project.directory))
    keys = keys_named(project.resources, wanted, existing)
    report = _complete(project, completion, write_lock=True, reask={key: () for key in keys})
    changes = pipeline.lock_report(report)
    if as_json:
        click.echo(json.dumps({"lock": changes, "completion": _dict_of(report)}, indent=2))
        return
    from .ui import print_lock_changes

    if changes is not None and (changes["changes"] or changes["not_locked"]):
        print_lock_changes(changes)
    elif changes is not None and changes["written"]:  # new hashes, the same values
        click.echo(f"{existing.path.name}: written (inputs recorded anew, no value changed)")
    else:
        state = "up to date" if existing.exists else "not needed: the AI fills nothing"
        click.echo(f"{existing.path.name}: {state}")


def _dict_of(report: Any) -> dict[str, Any] | None:
    return None if report is None else report.to_dict()


# ----- clockwork freeze -------------------------------------------------------------------


@click.command()
@click.argument("main_py", default="main.py", required=False)
@click.argument("names", nargs=-1)
@completion_options
@json_option
def freeze(
    main_py: str, names: tuple[str, ...], completion: CompletionChoices, as_json: bool
) -> None:
    """Write the values the AI chose into MAIN_PY as keyword arguments, for every
    resource or those NAME… names: the user takes them over (no more [AI]), and their
    lock entries go. Comments and formatting are kept. Refused, changing nothing, when
    a value has no safe place (a resource built in a loop or a function, or with
    computed arguments)."""
    from clockwork import pipeline
    from clockwork.lockfile import remove_entries

    from .freezing import FreezeRefused, FreezeRequest, freeze_source

    main_py, wanted = _main_py_and_names(main_py, names)
    project = pipeline.load(main_py)
    _complete(project, completion)
    chosen = _resources_to_freeze(project, wanted)
    requests = [
        FreezeRequest(f"{r.type_name()} {r.display_name!r}", r.declared_at, _ai_values(r))
        for r in chosen
    ]
    source = project.main_path.read_text(encoding="utf-8")
    try:
        frozen = freeze_source(source, project.main_path, requests)
    except FreezeRefused as refused:
        _report_refusal(refused.reasons, as_json)
        sys.exit(EXIT_REFUSED)
    if frozen != source:
        project.main_path.write_text(frozen, encoding="utf-8")
        _check_frozen(project.main_path, source, chosen)
    unlocked = remove_entries(project.directory, [r.declared_key for r in chosen])
    done = [{"resource": request.label, "fields": sorted(request.values)} for request in requests]
    if as_json:
        click.echo(json.dumps({"frozen": done, "lock_entries_removed": unlocked}, indent=2))
        return
    for item in done:
        click.echo(f"froze {item['resource']}: {', '.join(item['fields'])}")
    if not done:
        click.echo("nothing to freeze: the AI filled no field")


def _resources_to_freeze(project: Any, names: list[str]) -> list[Any]:
    """The resources with AI-filled values, or those `names` names (by name, or by
    lock key), in project order."""
    from clockwork.errors import UsageError

    if not names:
        return [r for r in project.resources if r.ai_filled_fields]
    chosen: list[Any] = []
    for name in names:
        found = [r for r in project.resources if name in (r.name, r.declared_key)]
        if not found:
            raise UsageError(f"no resource named {name!r} in {project.main_path.name}")
        chosen.extend(r for r in found if r.ai_filled_fields and r not in chosen)
    return chosen


def _ai_values(resource: Any) -> dict[str, Any]:
    """The AI's values as JSON, in the order the type declares its fields."""
    filled = resource.ai_filled_fields
    ordered = [name for name in type(resource).model_fields if name in filled]
    dumped = resource.model_dump(mode="json", include=set(ordered))
    return {name: dumped[name] for name in ordered}


def _check_frozen(main_path: Path, original: str, frozen: list[Any]) -> None:
    """Load the new main.py: each frozen resource must now hold its values as the
    user's. Anything else puts the original back, so a freeze never breaks main.py."""
    from clockwork import pipeline
    from clockwork.errors import ClockworkError

    try:
        project = pipeline.load(main_path)
        for resource in frozen:
            if resource.name is None:
                continue  # nothing to find it by: the libcst edit is all there is
            again = project.find(resource.name)
            values = _ai_values(resource)
            mine = again.model_dump(mode="json", include=set(values))
            if mine != values or not set(values) <= again.model_fields_set:
                raise ClockworkError(
                    f"after freezing, {resource!r} does not read back the same values"
                )
    except ClockworkError as error:
        main_path.write_text(original, encoding="utf-8")
        raise ClockworkError(f"{error}; {main_path.name} is left as it was") from None


def _report_refusal(reasons: dict[str, str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"frozen": [], "refused": reasons}, indent=2))
        return
    for label, why in reasons.items():
        click.echo(f"error: cannot freeze {label}: {why}", err=True)
    click.echo("nothing was changed", err=True)


COMMANDS = (lock, freeze)
