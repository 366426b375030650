"""How work looks on a terminal: completion progress, the engine's live view, setup's
steps, and the plan, show and assert reports. rich is imported here only, by commands
that report.

Where each goes: a report (the `print_*` functions: plan, show, assert; and the
commands' own summaries, such as apply's and destroy's) is the command's result and
goes to stdout, where `--json` puts its JSON instead; progress and live views
(`CompletionProgress`, `EngineView`, `SetupProgress`) go to stderr, so they never mix
with the result, whether it is text or JSON.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from clockwork.redaction import printable

AI_MARK = "[AI]"


def stderr_console() -> Console:
    """For progress and live views."""
    return Console(stderr=True, highlight=False, emoji=False, markup=False)


def stdout_console() -> Console:
    """For reports drawn with rich (tables): the command's result, on stdout."""
    return Console(highlight=False, emoji=False, markup=False)


class CompletionProgress:
    """Callback for the completer: one spinner line saying which resource is being done."""

    def __init__(self, console: Console | None = None):
        self.console = console or stderr_console()
        self.status: Any = None

    def __call__(self, resource: Any, status: str) -> None:
        if not self.console.is_terminal:
            return
        text = f"completing {printable(resource.display_name)}: {status}"
        if self.status is None:
            self.status = self.console.status(text)
            self.status.start()
        else:
            self.status.update(text)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class EngineView:
    """Live table of the resources the Pulumi engine is creating, updating or deleting.

    Pulumi calls `on_event` from its own thread; the table is redrawn under a lock.
    Off a terminal, one line per finished or failed step instead.
    """

    SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "same": " "}

    def __init__(self, title: str, console: Console | None = None):
        self.console = console or stderr_console()
        self.title = title
        self.steps: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.live: Live | None = None

    def __enter__(self) -> EngineView:
        # The live table starts with the engine's first event, not here: before that,
        # apply may still show the plan and ask for confirmation below it.
        return self

    def _start_live(self) -> None:
        if self.live is None and self.console.is_terminal:
            self.live = Live(self._table(), console=self.console, refresh_per_second=8)
            self.live.start()

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.stop()

    def on_event(self, event: Any) -> None:
        from clockwork.engine import ENGINE_OWN_TYPES, step_from_event

        step = step_from_event(event)
        if step is None or (step.op == "same" and step.status != "failed"):
            return
        if step.type.startswith(ENGINE_OWN_TYPES) and step.status != "failed":
            return  # the stack and default providers: Pulumi's bookkeeping, not the user's
        with self.lock:
            known = self.steps.get(step.urn)
            repeated = False
            if known is not None:
                step.op = step.op or known.op  # a diagnostic carries no op: keep the one we saw
                if known.status == step.status == "failed":
                    # The engine sends the error diagnostic, then resOpFailedEvent: keep
                    # the diagnostic's message, and say the same failure once.
                    step.message = step.message or known.message
                    repeated = self._line(step) == self._line(known)
            self.steps[step.urn] = step
            self._start_live()
            if self.live is not None:
                self.live.update(self._table())
            elif step.status != "running" and not repeated:
                self.console.print(self._line(step), soft_wrap=True)  # one line, even in a log

    def _line(self, step: Any) -> str:
        symbol = self.SYMBOLS.get(step.op, step.op)
        detail = f": {step.message}" if step.message else ""
        return printable(f"{symbol} {step.type} {step.name} {step.status}{detail}")

    def _table(self) -> Table:
        table = Table("", "resource", "type", "status", title=self.title, title_justify="left")
        for step in self.steps.values():
            table.add_row(
                printable(self.SYMBOLS.get(step.op, step.op)),
                printable(step.name),
                printable(step.type),
                printable(step.status + (f": {step.message}" if step.message else "")),
            )
        return table


# ----- reports: on stdout -----------------------------------------------------------------


def echo(text: str, *, err: bool = False) -> None:
    """Print one report line: secrets masked, control characters escaped (whatever
    part of it a model wrote)."""
    click.echo(printable(text), err=err)


def print_resources(resources: list[dict[str, Any]]) -> None:
    """Each completed resource with its fields; the AI's values marked [AI]."""
    for resource in resources:
        parent = f"  (in {resource['parent']})" if resource["parent"] else ""
        echo(f"{resource['type']} {resource['name']!r}{parent}")
        fields = {k: v for k, v in resource["fields"].items() if v is not None}
        width = max((len(key) for key in fields), default=0)
        for key, value in fields.items():
            mark = f"  {AI_MARK}" if key in resource["ai_filled"] else ""
            echo(f"  {key:<{width}}  {json.dumps(value, ensure_ascii=False)}{mark}")
        if resource["connects_to"]:
            echo(f"  connects to: {', '.join(map(str, resource['connects_to']))}")
        for check in resource.get("assertions", ()):
            echo(f"  assert {check}")
        click.echo()


def print_plan(plan: dict[str, Any]) -> None:
    print_resources(plan["resources"])
    registered = plan["pulumi_resources"]
    if registered:
        names = {r["urn"]: r["name"] for r in registered if "urn" in r}
        echo(f"Pulumi resources the program registers ({len(registered)}):")
        for resource in registered:
            parent = names.get(resource["parent"], "")
            inside = f"  in {parent}" if parent else ""
            echo(f"  + {resource['type']}  {resource['name']}{inside}")
        click.echo()
    if plan.get("policies"):
        print_policies(plan["policies"])
    if plan.get("lock"):
        print_lock_changes(plan["lock"])
    if plan["preview"] is not None:
        print_engine_report(plan["preview"], "preview against the stack")
    if plan["preview_skipped"]:
        echo(plan["preview_skipped"])


def print_policies(policies: dict[str, list[str]]) -> None:
    """Which rules judged the AI's values, and which CW_POLICIES_OFF switched off."""
    echo(f"policies ({len(policies['ran'])}): {', '.join(policies['ran']) or '-'}")
    if policies["off"]:
        echo(f"policies off (CW_POLICIES_OFF): {', '.join(policies['off'])}")
    click.echo()


SIGNS = {"create": "+", "update": "~", "delete": "-", "replace": "+-"}
LOCK_SIGNS = {"added": "+", "updated": "~", "removed": "-"}


def print_lock_changes(lock: dict[str, Any]) -> None:
    """The diff this run makes (plan: would make) to clockwork.lock, value by value,
    with why each entry changed; nothing when the lock stays as it is."""
    changes = lock["changes"]
    if not changes and not lock["not_locked"]:
        return
    counts = {kind: sum(c["change"] == kind for c in changes) for kind in LOCK_SIGNS}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no change"
    verb = "written" if lock["written"] else "would change"
    click.echo(f"{Path(lock['path']).name} ({verb}: {summary}):")
    for change in changes:
        why = f": {'; '.join(change['reasons'])}" if change["reasons"] else ""
        click.echo(f"  {LOCK_SIGNS[change['change']]} {change['key']}{why}")
        before, after = change["before"] or {}, change["after"] or {}
        for field in sorted(set(before) | set(after)):
            old, new = before.get(field), after.get(field)
            if field in before and field in after and old == new:
                continue
            shown = _short(new) if field not in before else f"{_short(old)} → {_short(new)}"
            click.echo(f"      {field}: {shown}")
    for key, why in lock["not_locked"].items():
        click.echo(f"  not locked: {key}: {why}")
    click.echo()


def print_engine_report(report: dict[str, Any], title: str) -> None:
    """Drift first, then each resource's change with old → new per property."""
    for drift in report.get("drift", []):
        what = (
            "gone (deleted outside Clockwork; it will be created again)"
            if drift["gone"]
            else f"{', '.join(drift['properties'])} changed outside Clockwork"
        )
        echo(f"drift: {drift['name']}: {what}")
    for step in report.get("steps", []):
        echo(f"{SIGNS.get(step['op'], step['op'])} {step['name']} ({step['type']}) {step['op']}")
        for key, values in step["properties"].items():
            mark = f"  {AI_MARK}" if key in step.get("ai_filled", ()) else ""
            echo(f"    {key}: {_short(values['old'])} → {_short(values['new'])}{mark}")
    echo(f"{title}: {report['summary']}")


def _short(value: Any, width: int = 60) -> str:
    text = "-" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_assert_report(report: dict[str, Any]) -> None:
    table = Table("", "resource", title_justify="left")
    # Folded, not cut short with "…": off a terminal (80 columns) a failure's path and
    # reason must still be there in full.
    table.add_column("assertion", overflow="fold")
    table.add_column("result", overflow="fold")
    for detail in report["details"]:
        mark = "✓" if detail["passed"] else "✗"
        table.add_row(
            mark,
            printable(detail["resource"]),
            printable(detail["assertion"]),
            printable(detail["message"], multiline=True),
        )
    console = stdout_console()
    if report["details"]:
        console.print(table)
    interrupted = " (interrupted)" if report["interrupted"] else ""
    console.print(
        f"{report['passed']} passed, {report['failed']} failed, "
        f"{report['total']} total{interrupted}"
    )


def print_repair_rounds(repair: dict[str, Any]) -> None:
    """`apply --repair`: per round, what the AI changed (old → new) and each check."""
    for round_ in repair["rounds"]:
        checks = round_["assertions"]
        asked = f" (asked again: {', '.join(round_['reasked'])})" if round_["reasked"] else ""
        click.echo(f"round {round_['round']}{asked}: applied: {round_['deployed']}")
        for change in round_["changes"]:
            click.echo(
                f"  {change['resource']}.{change['field']}: {_short(change['old'])} → "
                f"{_short(change['new'])}  {AI_MARK}"
            )
        for detail in checks["details"]:
            mark = "✓" if detail["passed"] else "✗"
            click.echo(f"  {mark} {detail['resource']}: {detail['assertion']}: {detail['message']}")
        click.echo(
            f"  {checks['passed']} passed, {checks['failed']} failed, {checks['total']} total"
        )
    if repair["success"]:
        click.echo(f"every assertion passes after {len(repair['rounds'])} round(s)")


class SetupProgress:
    """`clockwork setup`'s steps: a spinner with the time spent on the current step
    (a cold build takes minutes), one line per step off a terminal."""

    def __init__(self, console: Console | None = None):
        self.console = console or stderr_console()
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> SetupProgress:
        if self.console.is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.progress.start()
        return self

    def __call__(self, message: str) -> None:
        message = printable(message)
        if self.progress is None:
            self.console.print(message, soft_wrap=True)
            return
        if self.task is not None:
            self.progress.update(self.task, completed=1, total=1)
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task(message, total=None)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            if self.task is not None:
                self.progress.stop_task(self.task)
            self.progress.stop()
