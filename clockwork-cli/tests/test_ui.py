"""clockwork_cli.ui: the engine's view fed with real Pulumi engine events, completion
progress off a terminal, and the plan and assert reports drawn from real pipeline
results."""

from __future__ import annotations

import io
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent
from rich.console import Console

import clockwork_files.plugin
from clockwork import hookimpl, pipeline
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.engine import Step, step_from_event
from clockwork.testing import plugin_host
from clockwork_cli.ui import (
    CompletionProgress,
    EngineView,
    SetupProgress,
    print_assert_report,
    print_engine_report,
    print_plan,
    print_resources,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "files" / "main.py"
FILE_TYPE = "pulumi-python:dynamic/clockwork:File"
STACK = "urn:pulumi:dev::demo-1234abcd::"
COMPOSITE = "clockwork:composite:BlankResource"


def urn(name: str, type_: str = FILE_TYPE, parent: str | None = COMPOSITE) -> str:
    qualified = f"{parent}${type_}" if parent else type_
    return f"{STACK}{qualified}::{name}"


def metadata(op: str, name: str, type_: str = FILE_TYPE) -> dict[str, Any]:
    return {
        "op": op,
        "urn": urn(name, type_),
        "type": type_,
        "provider": f"{STACK}pulumi:providers:pulumi-python::default",
    }


def event(sequence: int = 1, **payload: Any) -> EngineEvent:
    """An engine event parsed by Pulumi's own code from its JSON form."""
    return EngineEvent.from_json({"sequence": sequence, "timestamp": 1700000000, **payload})


def pre(op: str, name: str, type_: str = FILE_TYPE) -> EngineEvent:
    return event(resourcePreEvent={"metadata": metadata(op, name, type_), "planning": False})


def outputs(op: str, name: str, type_: str = FILE_TYPE) -> EngineEvent:
    return event(resOutputsEvent={"metadata": metadata(op, name, type_)})


def op_failed(op: str, name: str) -> EngineEvent:
    return event(resOpFailedEvent={"metadata": metadata(op, name), "status": 1, "steps": 1})


def diagnostic(message: str, severity: str = "error", name: str | None = None) -> EngineEvent:
    data: dict[str, Any] = {"message": message, "color": "never", "severity": severity}
    if name is not None:
        data["urn"] = urn(name)
    return event(diagnosticEvent=data)


PRELUDE = event(preludeEvent={"config": {}})
SUMMARY = event(
    summaryEvent={
        "maybeCorrupt": False,
        "durationSeconds": 2,
        "resourceChanges": {"create": 1},
        "PolicyPacks": {},
    }
)
STDOUT = event(stdoutEvent={"message": "Updating (dev):", "color": "never"})
CANCEL = event(cancelEvent={})


def plain_console(width: int = 80) -> tuple[Console, io.StringIO]:
    """What stderr looks like when it is not a terminal (a CI log, a pipe)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=False, width=width, highlight=False, emoji=False, markup=False
    )
    assert not console.is_terminal
    return console, buffer


# ----- step_from_event --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "op", "status"),
    [
        (pre("create", "README.md"), "create", "running"),
        (outputs("create", "README.md"), "create", "done"),
        (outputs("update", "README.md"), "update", "done"),
        (pre("delete", "README.md"), "delete", "running"),
        (outputs("replace", "README.md"), "replace", "done"),
        (outputs("same", "README.md"), "same", "done"),
        (op_failed("create", "README.md"), "create", "failed"),
    ],
)
def test_step_events_become_steps(made: EngineEvent, op: str, status: str) -> None:
    assert step_from_event(made) == Step(urn("README.md"), "README.md", FILE_TYPE, op, status)


def test_an_error_diagnostic_about_a_resource_is_a_failed_step_with_its_message() -> None:
    step = step_from_event(diagnostic("  error: /srv/x already exists\n", name="README.md"))

    assert step == Step(
        urn("README.md"), "README.md", FILE_TYPE, "", "failed", "error: /srv/x already exists"
    )


def test_a_composite_s_urn_gives_its_own_type() -> None:
    made = pre("create", "site", COMPOSITE)
    assert made.resource_pre_event is not None
    made.resource_pre_event.metadata.urn = urn("site", COMPOSITE, parent="pulumi:pulumi:Stack")

    step = step_from_event(made)

    assert step is not None and (step.name, step.type) == ("site", COMPOSITE)


@pytest.mark.parametrize(
    "made",
    [
        PRELUDE,
        SUMMARY,
        STDOUT,
        CANCEL,
        diagnostic("warning: deprecated", severity="warning", name="README.md"),
        diagnostic("some output", severity="info#err", name="README.md"),
        diagnostic("error: the program failed"),  # about no resource
    ],
    ids=["prelude", "summary", "stdout", "cancel", "warning", "info-err", "no-urn"],
)
def test_events_about_no_resource_step_are_none(made: EngineEvent) -> None:
    assert step_from_event(made) is None


# ----- EngineView off a terminal ----------------------------------------------------------


def feed(view: EngineView, *events: EngineEvent) -> None:
    for made in events:
        view.on_event(made)


def test_engine_view_prints_a_line_per_finished_step_and_skips_same_ones() -> None:
    console, buffer = plain_console()

    with EngineView("clockwork apply (dev)", console) as view:
        assert view.live is None  # no live table off a terminal
        feed(
            view,
            PRELUDE,
            STDOUT,
            pre("same", "site", COMPOSITE),
            outputs("same", "site", COMPOSITE),
            pre("create", "README.md"),
            outputs("create", "README.md"),
            pre("update", "site.conf"),
            outputs("update", "site.conf"),
            pre("delete", "old.txt"),
            outputs("delete", "old.txt"),
            pre("replace", "moved.txt"),
            outputs("replace", "moved.txt"),
            SUMMARY,
        )

    assert buffer.getvalue().splitlines() == [
        f"+ {FILE_TYPE} README.md done",
        f"~ {FILE_TYPE} site.conf done",
        f"- {FILE_TYPE} old.txt done",
        f"+- {FILE_TYPE} moved.txt done",
    ]
    assert urn("site", COMPOSITE) not in view.steps  # a "same" step is not even kept


def test_engine_view_failed_step_carries_the_diagnostic_once() -> None:
    """Pulumi reports a failure as an error diagnostic, then a resOpFailedEvent."""
    console, buffer = plain_console()

    with EngineView("clockwork apply (dev)", console) as view:
        feed(
            view,
            pre("create", "README.md"),
            diagnostic(
                "error: /srv/README.md already exists and Clockwork did not create it\n",
                name="README.md",
            ),
            op_failed("create", "README.md"),
            SUMMARY,
        )

    assert buffer.getvalue().splitlines() == [
        f"+ {FILE_TYPE} README.md failed: error: /srv/README.md already exists and "
        "Clockwork did not create it",
    ]
    step = view.steps[urn("README.md")]
    assert (step.op, step.status) == ("create", "failed")
    assert step.message.startswith("error: /srv/README.md already exists")


def test_engine_view_failure_without_a_diagnostic() -> None:
    console, buffer = plain_console()

    with EngineView("clockwork destroy (dev)", console) as view:
        feed(view, pre("delete", "README.md"), op_failed("delete", "README.md"))

    assert buffer.getvalue() == f"- {FILE_TYPE} README.md failed\n"


def test_engine_view_failed_same_step_is_shown() -> None:
    console, buffer = plain_console()

    with EngineView("clockwork apply (dev)", console) as view:
        feed(view, pre("same", "README.md"), op_failed("same", "README.md"))

    assert buffer.getvalue() == f"  {FILE_TYPE} README.md failed\n"


def test_engine_view_keeps_a_long_line_on_one_line() -> None:
    console, buffer = plain_console(width=40)
    name = "a-rather-long-file-name-for-a-narrow-log.txt"

    with EngineView("clockwork apply (dev)", console) as view:
        feed(view, pre("create", name), outputs("create", name))

    assert buffer.getvalue() == f"+ {FILE_TYPE} {name} done\n"


def test_engine_view_on_a_terminal_draws_a_table_with_the_failure() -> None:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        width=200,
        highlight=False,
        emoji=False,
        markup=False,
        color_system=None,
    )

    with EngineView("clockwork apply (dev)", console) as view:
        assert view.live is None  # nothing drawn until the engine starts: a prompt may come
        assert buffer.getvalue() == ""
        feed(
            view,
            pre("create", "README.md"),
            outputs("create", "README.md"),
            pre("create", "site.conf"),
            diagnostic("error: disk full\n", name="site.conf"),
            op_failed("create", "site.conf"),
        )
        assert view.live is not None

    drawn = buffer.getvalue()
    assert "clockwork apply (dev)" in drawn
    assert "done" in drawn
    assert "failed: error: disk full" in drawn.rsplit("clockwork apply (dev)", 1)[-1]


# ----- CompletionProgress -----------------------------------------------------------------


def test_completion_progress_draws_nothing_off_a_terminal() -> None:
    console, buffer = plain_console()
    progress = CompletionProgress(console)

    class Named:
        display_name = "notes.txt"

    for status in ("started", "completed", "cached", "failed"):
        progress(Named(), status)
    progress.close()

    assert progress.status is None
    assert buffer.getvalue() == ""


# ----- reports from real pipeline results -------------------------------------------------


class CannedCompleter:
    def __init__(self, settings: Any):
        pass

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        values = {"content": "hello\n", "directory": "docs", "mode": "600"}
        return CompletionOutcome({k: values[k] for k in request.output_type.model_fields}, 1)


class CannedPlugin:
    @hookimpl
    def register_completers(self, register):
        register("canned", CannedCompleter)


@pytest.fixture(autouse=True)
def host(no_pulumi_cli: Path, clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    clean_env.setenv("CW_COMPLETER", "canned")
    with plugin_host(clockwork_files.plugin, CannedPlugin()):
        yield


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "main.py")
    return tmp_path / "main.py"


def test_print_plan_of_a_real_plan(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    print_plan(pipeline.plan(example).to_dict())

    out = capsys.readouterr().out
    assert out.startswith("BlankResource 'site'\n  name         \"site\"\n")
    assert "FileResource 'site.conf'  (in site)\n" in out
    assert "  connects to: README.md\n" in out
    assert "  path" not in out  # None fields are left out
    assert (
        "Pulumi resources the program registers (3):\n"
        "  + clockwork:composite:BlankResource  site\n"
        f"  + {FILE_TYPE}  README.md  in site\n"
        f"  + {FILE_TYPE}  site.conf  in site\n"
    ) in out
    assert out.endswith(
        "preview against the stack's state skipped: the Pulumi CLI is not "
        "installed: run `clockwork setup` or install Pulumi "
        "(https://www.pulumi.com/docs/install/)\n"
    )


def test_print_plan_marks_ai_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""\
        from clockwork_files import FileResource

        hello = FileResource(name="hello.txt", description="A greeting")
    """)
    )

    plan = pipeline.plan(tmp_path / "main.py", pipeline.RunOptions(use_cache=False)).to_dict()
    print_plan(plan)

    out = capsys.readouterr().out.splitlines()
    assert plan["resources"][0]["ai_filled"] == ["content", "directory", "mode"]
    assert out[:6] == [
        "FileResource 'hello.txt'",
        '  name         "hello.txt"',
        '  description  "A greeting"',
        '  directory    "docs"  [AI]',
        '  content      "hello\\n"  [AI]',
        '  mode         "0600"  [AI]',
    ]


def test_print_assert_report_of_a_real_check(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (example.parent / "site").mkdir()
    (example.parent / "site" / "README.md").write_text("# Clockwork demo\n")

    report = pipeline.check(example).to_dict()
    print_assert_report(report)

    out = capsys.readouterr().out
    assert (report["passed"], report["failed"]) == (2, 1)
    assert out.count("✓") == 2 and out.count("✗") == 1
    assert "site.conf" in out and "cannot read" in out
    assert out.endswith("2 passed, 1 failed, 3 total\n")


def test_print_assert_report_of_nothing_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    print_assert_report({"details": [], "passed": 0, "failed": 0, "total": 0, "interrupted": False})

    assert capsys.readouterr().out == "0 passed, 0 failed, 0 total\n"


def test_print_assert_report_says_when_interrupted(capsys: pytest.CaptureFixture[str]) -> None:
    print_assert_report(
        {
            "details": [
                {
                    "resource": "api",
                    "assertion": "HealthCheck()",
                    "passed": False,
                    "message": "cancelled (interrupted)",
                    "duration_seconds": 0.0,
                    "status": "cancelled",
                }
            ],
            "passed": 0,
            "failed": 1,
            "total": 1,
            "interrupted": True,
        }
    )

    out = capsys.readouterr().out
    assert "cancelled (interrupted)" in out
    assert out.endswith("0 passed, 1 failed, 1 total (interrupted)\n")


# ----- where each goes: reports on stdout, progress on stderr -----------------------------


def test_reports_go_to_stdout_only(capsys: pytest.CaptureFixture[str]) -> None:
    print_resources(
        [
            {
                "type": "FileResource",
                "name": "a.txt",
                "parent": None,
                "fields": {"name": "a.txt"},
                "ai_filled": [],
                "connects_to": [],
            }
        ]
    )
    print_engine_report({"summary": "1 to create", "steps": []}, "preview")
    print_assert_report(
        {
            "details": [
                {
                    "resource": "a.txt",
                    "assertion": "FileExistsAssert()",
                    "passed": True,
                    "message": "exists",
                }
            ],
            "passed": 1,
            "failed": 0,
            "total": 1,
            "interrupted": False,
        }
    )

    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("FileResource 'a.txt'\n")
    assert "preview: 1 to create\n" in out and out.endswith("1 passed, 0 failed, 1 total\n")


def test_progress_and_live_views_go_to_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    with EngineView("clockwork apply (dev)") as view:  # its default console, off a terminal
        feed(view, pre("create", "README.md"), outputs("create", "README.md"))
    with SetupProgress() as progress:
        progress("downloading the Pulumi CLI")
    CompletionProgress().close()

    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"+ {FILE_TYPE} README.md done\ndownloading the Pulumi CLI\n"
