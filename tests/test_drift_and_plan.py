"""Drift and planned changes through the real Pulumi engine (marked `pulumi_cli`):
plan and apply read the real state first, plan shows each change property by
property with the AI's values marked, and `plan --exit-code` is a drift check."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork import hookimpl
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork

pytestmark = pytest.mark.pulumi_cli


class ContentCompleter:
    """Stands in for the model: fills `content` (the only open field)."""

    content = "written by the model\n"

    def __init__(self, settings: Any):
        pass

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        return CompletionOutcome({"content": ContentCompleter.content}, model_calls=1)


class ContentCompleterPlugin:
    @hookimpl
    def register_completers(self, register):
        register("content", ContentCompleter)


@pytest.fixture(autouse=True)
def installed_plugins(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    clean_env.setenv("CW_COMPLETER", "content")
    with plugin_host(ContentCompleterPlugin(), entry_points=True):
        yield


def plan_json(main: str, *extra: str, code: int = 0) -> dict[str, Any]:
    return json.loads(clockwork("plan", main, "--json", *extra, code=code).stdout)["preview"]


TWO_FILES = """
    from clockwork_files import FileResource

    kept = FileResource(name="kept.txt", description="d", content="kept\\n")
    notes = FileResource(name="notes.txt", description="team notes")  # the AI writes it
"""


@pytest.fixture
def deployed(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(TWO_FILES))
    clockwork("apply", str(project / "main.py"), "--yes")
    assert (project / "notes.txt").read_text() == ContentCompleter.content
    return project


def test_a_file_deleted_by_hand_is_drift_and_apply_creates_it_again(deployed: Path) -> None:
    """Before: nothing refreshed, so apply said "no changes" and the file stayed gone."""
    main = str(deployed / "main.py")
    assert plan_json(main, "--exit-code")["pending"] is False  # exit 0: nothing to do
    (deployed / "kept.txt").unlink()

    preview = plan_json(main, "--exit-code", code=3)
    assert preview["drift"] == [
        {
            "name": "kept.txt",
            "type": "pulumi-python:dynamic/clockwork:File",
            "gone": True,
            "properties": [],
        }
    ]
    assert [(s["name"], s["op"]) for s in preview["steps"]] == [("kept.txt", "create")]
    text = clockwork("plan", main, code=0).stdout
    assert "drift: kept.txt: gone (deleted outside Clockwork; it will be created again)" in text

    assert plan_json(main, "--no-refresh")["pending"] is False  # the state alone is stale

    applied = json.loads(clockwork("apply", main, "--yes", "--json").stdout)
    assert applied["changes"].get("create") == 1
    assert (deployed / "kept.txt").read_text() == "kept\n"


def test_a_file_edited_by_hand_is_drift_shown_with_old_and_new(deployed: Path) -> None:
    main = str(deployed / "main.py")
    (deployed / "kept.txt").write_text("edited by hand\n")

    preview = plan_json(main)
    assert preview["drift"][0]["name"] == "kept.txt"
    assert preview["drift"][0]["properties"] == ["content"]
    (step,) = preview["steps"]
    assert step["op"] == "update"
    assert step["properties"]["content"] == {"old": "edited by hand\n", "new": "kept\n"}

    clockwork("apply", main, "--yes")
    assert (deployed / "kept.txt").read_text() == "kept\n"


def test_plan_shows_a_change_per_property_with_the_ais_values_marked(deployed: Path) -> None:
    main = str(deployed / "main.py")
    ContentCompleter.content = "rewritten by the model\n"
    try:  # --no-cache: the cache would give the model's first answer again
        result = json.loads(clockwork("plan", main, "--json", "--no-cache").stdout)
        text = clockwork("plan", main, "--no-cache").stdout
    finally:
        ContentCompleter.content = "written by the model\n"
    (step,) = result["preview"]["steps"]
    assert (step["name"], step["op"]) == ("notes.txt", "update")
    assert step["properties"] == {
        "content": {"old": "written by the model\n", "new": "rewritten by the model\n"}
    }
    assert step["ai_filled"] == ["content"]
    assert '    content: "written by the model\\n" → "rewritten by the model\\n"  [AI]' in text
