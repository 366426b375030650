"""`clockwork apply --repair N` through the real Pulumi engine, with file resources and
a scripted model (PydanticAI's FunctionModel, behind core's own pydantic-ai completer)
that reads the failures from its prompt, as a real model would.

Marked `pulumi_cli`: CI runs them with CW_REQUIRE_PULUMI=1, so they cannot skip there.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from clockwork.completion_testing import ScriptedModel
from clockwork_cli.testing import run_clockwork

pytestmark = pytest.mark.pulumi_cli

FAILED_SECTION = "Your previous choice failed these checks"


def greeting_answer(model: ScriptedModel) -> Any:
    """Writes "welcome" first; once its prompt says the content must match /^hello/,
    writes a greeting that does."""

    def answer(name: str | None, attempt: int) -> Mapping[str, Any]:
        told = "does not match /^hello/" in model.calls[-1].prompt
        content = "hello, visitor\n" if told else "welcome\n"
        return {"directory": ".", "content": content, "mode": "644"}

    return answer


def stubborn_answer(name: str | None, attempt: int) -> Mapping[str, Any]:
    return {"directory": ".", "content": "welcome\n", "mode": "644"}


def write_project(folder: Path, source: str) -> Path:
    folder.mkdir(exist_ok=True)
    main = folder / "main.py"
    main.write_text(textwrap.dedent(source))
    return main


GREETING = """
    from clockwork_files import FileContentMatchesAssert, FileResource

    greeting = FileResource(
        name="greeting.txt",
        description="a greeting for visitors",
        assertions=[FileContentMatchesAssert(pattern="^hello")],
    )
"""

USERS_TOO = (
    GREETING
    + """
    notes = FileResource(
        name="notes.txt",
        description="the user's notes",
        content="nothing here\\n",
        assertions=[FileContentMatchesAssert(pattern="^todo")],
    )
"""
)


def apply_json(main: Path, *args: str, code: int = 0) -> tuple[dict[str, Any], str]:
    result = run_clockwork("apply", str(main), "--yes", "--json", *args, code=code)
    return json.loads(result.stdout), result.stderr


def test_content_that_fails_its_check_is_rewritten_and_passes_in_round_two(
    tmp_path: Path, use_scripted_model: Any
) -> None:
    model = use_scripted_model(ScriptedModel({}))
    model.answers = {"greeting.txt": greeting_answer(model)}
    main = write_project(tmp_path / "project", GREETING)

    report, _ = apply_json(main, "--repair", "3")

    rounds = report["repair"]["rounds"]
    assert [r["assertions"]["success"] for r in rounds] == [False, True]
    assert rounds[0]["reasked"] == [] and rounds[1]["reasked"] == ["greeting.txt"]
    assert {
        "resource": "greeting.txt",
        "field": "content",
        "old": "welcome\n",
        "new": "hello, visitor\n",
        "ai_filled": True,
    } in rounds[1]["changes"]
    assert [c["field"] for c in rounds[1]["changes"]] == ["content"]  # the rest stayed
    assert "does not match /^hello/" in rounds[0]["assertions"]["details"][0]["message"]
    assert report["repair"]["success"] is True
    assert (main.parent / "greeting.txt").read_text() == "hello, visitor\n"

    first, second = model.calls_for("greeting.txt")
    assert FAILED_SECTION not in first.prompt
    assert FAILED_SECTION in second.prompt
    assert 'you chose {"content": "welcome\\n"' in second.prompt
    # The user's values are the user's, every round; the last AI values never join them.
    assert first.request is not None and second.request is not None
    assert second.request.context.user_fields == first.request.context.user_fields
    assert "content" not in second.request.context.user_fields

    # The repaired values are what clockwork.lock records, for a teammate or CI ...
    lock = json.loads((main.parent / "clockwork.lock").read_text())
    [entry] = lock["resources"].values()
    assert entry["values"]["content"] == "hello, visitor\n"
    # ... and what the cache keeps: no model call from here on.
    checked = json.loads(run_clockwork("assert", str(main), "--json").stdout)
    assert checked["success"] and checked["passed"] == 1
    again, _ = apply_json(main)
    assert {op: n for op, n in again["changes"].items() if op != "same" and n} == {}
    assert len(model.calls) == 2
    run_clockwork("destroy", str(main), "--yes")


def test_a_failing_resource_without_ai_fields_is_the_users_and_never_asked(
    tmp_path: Path, use_scripted_model: Any
) -> None:
    model = use_scripted_model(ScriptedModel({}))
    model.answers = {"greeting.txt": greeting_answer(model)}
    main = write_project(tmp_path / "project", USERS_TOO)

    report, stderr = apply_json(main, "--repair", "3", code=1)

    rounds = report["repair"]["rounds"]
    assert len(rounds) == 2  # the AI's failure repaired in round 2; the user's stays
    assert rounds[1]["reasked"] == ["greeting.txt"]
    assert [d["resource"] for d in report["repair"]["users_to_fix"]] == ["notes.txt"]
    assert report["repair"]["still_failing"] == []
    assert [c.resource for c in model.calls] == ["greeting.txt", "greeting.txt"]
    assert "yours to fix (no AI-filled fields, so never asked again): notes.txt: " in stderr
    assert "does not match /^todo/" in stderr
    assert "still failing after" not in stderr
    run_clockwork("destroy", str(main), "--yes")


def test_only_the_users_failure_stops_at_once_without_a_repair_round(
    tmp_path: Path, use_scripted_model: Any
) -> None:
    model = use_scripted_model(ScriptedModel({}))
    model.answers = {"greeting.txt": greeting_answer(model)}
    main = write_project(tmp_path / "project", USERS_TOO.replace("^hello", "^welcome"))

    result = run_clockwork("apply", str(main), "--yes", "--repair", "3", code=1)

    assert len(model.calls) == 1  # nothing the model could change: no repair round
    lines = result.stdout.splitlines()
    assert lines[0].startswith("round 1: applied: +3 create")  # 2 files and the stack
    assert lines[1:] == [
        '  greeting.txt.content: - → "welcome\\n"  [AI]',
        '  greeting.txt.directory: - → "."  [AI]',
        '  greeting.txt.mode: - → "0644"  [AI]',
        f"  ✓ greeting.txt: FileContentMatchesAssert(pattern='^welcome'): "
        f"{main.parent / 'greeting.txt'} matches /^welcome/",
        f"  ✗ notes.txt: FileContentMatchesAssert(pattern='^todo'): "
        f"{main.parent / 'notes.txt'} does not match /^todo/",
        "  1 passed, 1 failed, 2 total",
    ]
    assert result.stderr.strip().endswith(
        "error: yours to fix (no AI-filled fields, so never asked again): notes.txt: "
        f"FileContentMatchesAssert(pattern='^todo'): {main.parent / 'notes.txt'} "
        "does not match /^todo/"
    )
    run_clockwork("destroy", str(main), "--yes")


def test_at_most_n_repair_rounds_then_exit_one_naming_what_fails(
    tmp_path: Path, use_scripted_model: Any
) -> None:
    model = use_scripted_model(ScriptedModel({"greeting.txt": stubborn_answer}))
    main = write_project(tmp_path / "project", GREETING)

    report, stderr = apply_json(main, "--repair", "2", code=1)

    assert len(report["repair"]["rounds"]) == 3  # the deploy, then 2 repairs
    assert len(model.calls_for("greeting.txt")) == 3  # asked once, then exactly N again
    assert all(not r["assertions"]["success"] for r in report["repair"]["rounds"])
    assert all(r["changes"] == [] for r in report["repair"]["rounds"][1:])
    assert (
        "error: still failing after 2 repair round(s): greeting.txt: "
        "FileContentMatchesAssert(pattern='^hello'): "
    ) in stderr
    run_clockwork("destroy", str(main), "--yes")


def test_repair_offline_is_a_usage_error(tmp_path: Path, use_scripted_model: Any) -> None:
    model = use_scripted_model(ScriptedModel({"greeting.txt": stubborn_answer}))
    main = write_project(tmp_path / "project", GREETING)
    result = run_clockwork("apply", str(main), "--yes", "--repair", "1", "--offline", code=2)
    assert "--repair asks the model again: it cannot be --offline" in result.stderr
    assert model.calls == []
