"""`clockwork assert` checks what `apply` deployed, with the values the AI chose (from
the cache, never a new model call), and `offline` runs call no model at all."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from clockwork import ClockworkError, hookimpl, pipeline
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.pipeline import RunOptions
from clockwork.testing import plugin_host


class NamingCompleter:
    """Stands in for the model: names the file and writes it; counts its calls."""

    calls: ClassVar[list[str]] = []

    def __init__(self, settings: Any):
        pass

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        NamingCompleter.calls.append(request.resource.description or "")
        values = {"name": "chosen-by-ai.txt", "content": "hello\n"}
        return CompletionOutcome(
            {k: v for k, v in values.items() if k in request.output_type.model_fields},
            model_calls=1,
        )


class NamingPlugin:
    @hookimpl
    def register_completers(self, register):
        register("naming", NamingCompleter)


@pytest.fixture(autouse=True)
def naming(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    clean_env.setenv("CW_COMPLETER", "naming")
    NamingCompleter.calls = []
    with plugin_host(NamingPlugin(), entry_points=True):
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileContentMatchesAssert, FileExistsAssert, FileResource

        notes = FileResource(description="notes for the team",
                             assertions=[FileExistsAssert(),
                                         FileContentMatchesAssert(pattern="hello")])
    """)
    )
    return tmp_path


@pytest.mark.pulumi_cli
def test_assert_after_apply_checks_the_ai_named_file_without_a_model_call(project: Path) -> None:
    """Before: assert ran without completion, so the resource had no name."""
    pipeline.apply(project / "main.py")
    assert (project / "chosen-by-ai.txt").read_text() == "hello\n"
    assert len(NamingCompleter.calls) == 1

    report = pipeline.check(project / "main.py")
    assert report.success, report.to_dict()
    assert report.passed == 2
    assert len(NamingCompleter.calls) == 1  # the cache answered; the model was not asked
    pipeline.destroy(project / "main.py")


def test_assert_on_a_project_never_completed_fails_naming_it_without_a_model_call(
    project: Path, no_pulumi_cli: Path
) -> None:
    with pytest.raises(ClockworkError) as caught:
        pipeline.check(project / "main.py")
    assert "FileResource" in str(caught.value) and "name" in str(caught.value)
    assert "offline" in str(caught.value)
    assert NamingCompleter.calls == []
    assert not (project / ".clockwork" / "state").exists()  # nothing deployed


def test_an_offline_plan_names_what_would_need_the_model_and_calls_nothing(
    project: Path, no_pulumi_cli: Path
) -> None:
    with pytest.raises(ClockworkError) as caught:
        pipeline.plan(project / "main.py", RunOptions(offline=True))
    assert caught.value.exit_code == 1
    assert "(fields: name, directory, content, mode)" in str(caught.value)
    assert NamingCompleter.calls == []
    assert not (project / ".clockwork" / "state").exists()  # nothing deployed

    pipeline.plan(project / "main.py")  # with the model: cached from now on
    again = pipeline.plan(project / "main.py", RunOptions(offline=True))
    assert again.project.resources[0].name == "chosen-by-ai.txt"
    assert len(NamingCompleter.calls) == 1


@pytest.mark.parametrize(
    "command", ["plan", "show", pytest.param("apply", marks=pytest.mark.pulumi_cli)]
)
def test_offline_on_the_command_line_fails_naming_what_needs_the_model(
    project: Path, command: str
) -> None:
    from click.testing import CliRunner

    from clockwork_cli.main import build_cli

    extra = ["--yes"] if command == "apply" else []
    result = CliRunner().invoke(
        build_cli(), [command, str(project / "main.py"), "--offline", *extra]
    )
    assert result.exit_code == 1, result.output
    assert "could not complete FileResource" in result.stderr
    assert "(fields: name, directory, content, mode)" in result.stderr
    assert NamingCompleter.calls == []
    assert not (project / ".clockwork" / "state").exists()  # nothing deployed


@pytest.mark.parametrize("code", ["0", "3", "'bye'"])
@pytest.mark.parametrize(
    "command", [["plan"], ["plan", "--json"], ["show"], ["assert"], ["assert", "--json"]]
)
def test_a_main_py_that_exits_is_an_error_with_file_and_line(
    tmp_path: Path, no_pulumi_cli: Path, command: list[str], code: str
) -> None:
    """Before: sys.exit(0) made plan, show and assert exit 0 with empty output."""
    from click.testing import CliRunner

    from clockwork_cli.main import build_cli

    main = tmp_path / "main.py"
    main.write_text(f"import sys\n\nsys.exit({code})\n")
    result = CliRunner().invoke(build_cli(), [*command, str(main)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {main}:3: main.py called sys.exit({code}); a project may not exit"
    )
    assert result.stdout == ""


def test_an_answer_that_fails_a_project_check_is_not_cached(
    tmp_path: Path, no_pulumi_cli: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Before: the clashing name was cached before the uniqueness check, so every later
    run failed with zero model calls until `cache clear`."""
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource

        mine = FileResource(name="chosen-by-ai.txt", description="the user's", content="x")
        notes = FileResource(description="notes for the team")
    """)
    )
    with pytest.raises(ClockworkError, match="chosen-by-ai.txt"):
        pipeline.plan(tmp_path / "main.py")  # the model's name clashes with the user's
    assert len(NamingCompleter.calls) == 1
    with pytest.raises(ClockworkError, match="chosen-by-ai.txt"):
        pipeline.plan(tmp_path / "main.py")
    assert len(NamingCompleter.calls) == 2  # asked again: nothing stale came back
