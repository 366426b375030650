"""`clockwork plan | apply | destroy | assert | setup` on real projects, without the Pulumi
CLI (it cannot be installed here): run in-process with click's CliRunner, and Ctrl-C
through the installed console script in a subprocess.

Every test runs under a plugin host holding core's built-ins, the files plugin and a
deterministic completer registered inline (`CW_COMPLETER=canned`), so no model is ever
called and installed plugins cannot change the outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

import clockwork_files.plugin
from clockwork import hookimpl
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.testing import plugin_host
from clockwork.workdirs import read_created_dirs, record_dirs_to_create
from clockwork_cli.main import build_cli
from clockwork_files import FileResource

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "files" / "main.py"
FILE_TYPE = "pulumi-python:dynamic/clockwork:File"
MISSING_CLI = (
    "the Pulumi CLI is not installed: run `clockwork setup` or install Pulumi "
    "(https://www.pulumi.com/docs/install/)"
)
CLOCKWORK_SCRIPT = Path(sys.executable).parent / "clockwork"

# One file the AI has to finish: content, directory and mode are left open.
AI_MAIN_PY = textwrap.dedent("""\
    from clockwork_files import FileResource

    notes = FileResource(name="notes.txt", description="Notes for the team")
""")
AI_VALUES = {"content": "remember the milk\n", "directory": "docs", "mode": "640"}


class CannedCompleter:
    """A third-party completer: fixed values, and a record of every call."""

    created: ClassVar[int] = 0
    calls: ClassVar[list[str]] = []

    def __init__(self, settings: Any):
        CannedCompleter.created += 1

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        CannedCompleter.calls.append(request.resource.name)
        return CompletionOutcome(
            {name: AI_VALUES[name] for name in request.output_type.model_fields}, model_calls=1
        )


class CannedCompleterPlugin:
    @hookimpl
    def register_completers(self, register):
        register("canned", CannedCompleter)


@pytest.fixture(autouse=True)
def environment(no_pulumi_cli: Path, clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    """No Pulumi CLI, no CW_* variables but the completer, the files plugin loaded."""
    clean_env.setenv("CW_COMPLETER", "canned")
    CannedCompleter.created = 0
    CannedCompleter.calls = []
    with plugin_host(clockwork_files.plugin, CannedCompleterPlugin()):
        yield


def clockwork(*args: str) -> Result:
    result = CliRunner().invoke(build_cli(), list(args), prog_name="clockwork")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a bug: show its traceback
    return result


def files_in(folder: Path) -> list[str]:
    """Everything in `folder` but Clockwork's own `.clockwork/` folder."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if ".clockwork" not in p.relative_to(folder).parts
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """examples/files: two files in site/, grouped in a BlankResource; no AI needed."""
    project = tmp_path / "example"
    project.mkdir()
    shutil.copy(EXAMPLE, project / "main.py")
    return project / "main.py"


@pytest.fixture
def ai_project(tmp_path: Path) -> Path:
    project = tmp_path / "ai"
    project.mkdir()
    (project / "main.py").write_text(AI_MAIN_PY)
    return project / "main.py"


def assert_one_error_line(result: Result, text: str) -> None:
    assert result.stderr == f"error: {text}\n"
    assert "Traceback" not in result.output


# ----- plan -------------------------------------------------------------------------------


def test_plan_shows_resources_what_they_register_and_that_the_preview_was_skipped(
    example: Path,
) -> None:
    result = clockwork("plan", str(example))

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "BlankResource 'site'" in out
    assert "FileResource 'README.md'  (in site)" in out
    assert "FileResource 'site.conf'  (in site)" in out
    assert '  mode         "0600"' in out
    assert "  connects to: README.md" in out
    assert "Pulumi resources the program registers (3):" in out
    assert "  + clockwork:composite:BlankResource  site\n" in out
    assert f"  + {FILE_TYPE}  README.md  in site\n" in out
    assert f"  + {FILE_TYPE}  site.conf  in site\n" in out
    assert f"preview against the stack's state skipped: {MISSING_CLI}\n" in out
    assert "[AI]" not in out  # nothing was completed


def test_plan_json_has_resources_pulumi_resources_with_parents_and_the_skip(example: Path) -> None:
    result = clockwork("plan", str(example), "--json")

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["main"] == str(example)
    assert [(r["type"], r["name"], r["parent"]) for r in plan["resources"]] == [
        ("BlankResource", "site", None),
        ("FileResource", "README.md", "site"),
        ("FileResource", "site.conf", "site"),
    ]
    conf = plan["resources"][2]
    assert conf["fields"]["content"] == "title = Clockwork demo\nport = 8080\n"
    assert conf["connects_to"] == ["README.md"]
    assert conf["ai_filled"] == []
    assert conf["assertions"] == ["FileContentMatchesAssert(pattern='port = 8080')"]

    registered = {r["name"]: r for r in plan["pulumi_resources"]}
    assert {name: r["type"] for name, r in registered.items()} == {
        "site": "clockwork:composite:BlankResource",
        "README.md": FILE_TYPE,
        "site.conf": FILE_TYPE,
    }
    assert registered["README.md"]["parent"] == registered["site"]["urn"]
    assert registered["site.conf"]["parent"] == registered["site"]["urn"]
    assert registered["site.conf"]["dependencies"] == [registered["README.md"]["urn"]]
    assert plan["preview"] is None
    assert plan["preview_skipped"] == (f"preview against the stack's state skipped: {MISSING_CLI}")
    assert plan["completion"] is None  # fully specified: the completer is never started
    assert CannedCompleter.created == 0


def test_plan_deploys_nothing(example: Path) -> None:
    before = files_in(example.parent)

    assert clockwork("plan", str(example)).exit_code == 0
    assert clockwork("plan", str(example), "--json").exit_code == 0

    assert files_in(example.parent) == before == ["main.py"]
    assert not (example.parent / "site").exists()


def test_plan_marks_the_fields_the_ai_filled(ai_project: Path) -> None:
    result = clockwork("plan", str(ai_project))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    marked = sorted(line.split()[0] for line in lines if line.endswith("  [AI]"))
    assert marked == ["content", "directory", "mode"]
    assert '  content      "remember the milk\\n"  [AI]' in lines
    assert '  name         "notes.txt"' in lines  # the user's: no mark
    assert f"  + {FILE_TYPE}  notes.txt" in lines
    assert CannedCompleter.calls == ["notes.txt"]
    # Nothing deployed: the AI's folder does not exist (the cache may be in .clockwork/).
    assert files_in(ai_project.parent) == ["main.py"]


def test_plan_json_lists_the_ai_filled_fields(ai_project: Path) -> None:
    result = clockwork("plan", str(ai_project), "--json", "--no-cache")

    assert result.exit_code == 0, result.output
    (notes,) = json.loads(result.stdout)["resources"]
    assert notes["ai_filled"] == ["content", "directory", "mode"]
    assert notes["fields"] == {
        "name": "notes.txt",
        "description": "Notes for the team",
        "directory": "docs",
        "content": "remember the milk\n",
        "mode": "0640",
        "path": None,
    }
    assert json.loads(result.stdout)["completion"]["model_calls"] == 1


def test_plan_again_on_an_unchanged_main_py_calls_no_model(ai_project: Path) -> None:
    first = clockwork("plan", str(ai_project), "--json")
    second = clockwork("plan", str(ai_project), "--json")

    assert first.exit_code == second.exit_code == 0, second.output
    assert CannedCompleter.calls == ["notes.txt"]  # once, for the first plan only
    again = json.loads(second.stdout)
    assert again["completion"]["model_calls"] == 0
    assert again["completion"]["cache_hits"] == 1
    assert again["resources"] == json.loads(first.stdout)["resources"]  # [AI] marks kept


def test_no_cache_asks_the_model_again(ai_project: Path) -> None:
    clockwork("plan", str(ai_project))
    clockwork("plan", str(ai_project), "--no-cache")

    assert CannedCompleter.calls == ["notes.txt", "notes.txt"]


# ----- apply ------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_apply_without_the_pulumi_cli_is_one_error_line_before_any_model_call(
    ai_project: Path, extra: list[str]
) -> None:
    result = clockwork("apply", str(ai_project), "--yes", *extra)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert_one_error_line(result, MISSING_CLI)
    assert CannedCompleter.created == 0 and CannedCompleter.calls == []
    assert files_in(ai_project.parent) == ["main.py"]
    assert not (ai_project.parent / ".clockwork").exists()  # not even a manifest


def test_apply_of_a_fully_specified_project_writes_no_file_either(example: Path) -> None:
    result = clockwork("apply", str(example), "--yes")

    assert result.exit_code == 1
    assert_one_error_line(result, MISSING_CLI)
    assert files_in(example.parent) == ["main.py"]


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_apply_off_a_terminal_needs_yes(example: Path, extra: list[str]) -> None:
    result = clockwork("apply", str(example), *extra)

    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: clockwork apply [OPTIONS] [MAIN_PY]\n")
    assert "Error: not a terminal to confirm in: pass --yes to deploy" in result.stderr
    assert CannedCompleter.created == 0


# ----- destroy ----------------------------------------------------------------------------


@pytest.fixture
def applied(example: Path) -> Path:
    """A project as apply leaves it: the manifest lists out/deep, which apply created
    (empty, as if its file had already gone). Returns the created folder."""
    project = example.parent
    report = FileResource(name="report.txt", description="r", directory="out/deep", content="x")
    report.bind_to_project(project)
    assert record_dirs_to_create(project, [report]) == [
        str(project / "out"),
        str(project / "out" / "deep"),
    ]
    (project / "out" / "deep").mkdir(parents=True)
    return project / "out" / "deep"


def test_destroy_dry_run_json_lists_the_folders_and_why_the_stack_is_not(
    example: Path, applied: Path
) -> None:
    result = clockwork("destroy", str(example), "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {
        "project_dir": str(example.parent),
        "dry_run": True,
        "changes": None,
        "engine_skipped": f"the stack's resources are not listed: {MISSING_CLI}",
        "removed_dirs": [str(applied), str(applied.parent)],  # deepest first
        "kept_dirs": {},
    }
    assert applied.is_dir()
    assert read_created_dirs(example.parent) == [str(applied.parent), str(applied)]


def test_destroy_dry_run_text(example: Path, applied: Path) -> None:
    result = clockwork("destroy", str(example), "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"the stack's resources are not listed: {MISSING_CLI}\n"
        f"would remove folder {applied}\n"
        f"would remove folder {applied.parent}\n"
    )
    assert applied.is_dir()


def test_destroy_dry_run_needs_no_loadable_main_py(example: Path, applied: Path) -> None:
    example.write_text("this is not python (\n")

    result = clockwork("destroy", str(example), "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed_dirs"] == [str(applied), str(applied.parent)]


def test_destroy_without_the_pulumi_cli_fails_and_keeps_the_folders(
    example: Path, applied: Path
) -> None:
    result = clockwork("destroy", str(example), "--yes")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert_one_error_line(result, MISSING_CLI)
    assert applied.is_dir()
    assert read_created_dirs(example.parent) == [str(applied.parent), str(applied)]


@pytest.mark.parametrize("extra", [[], ["--json"], ["--keep-files"]])
def test_destroy_off_a_terminal_needs_yes(example: Path, applied: Path, extra: list[str]) -> None:
    result = clockwork("destroy", str(example), *extra)

    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: clockwork destroy [OPTIONS] [MAIN_PY]\n")
    assert "Error: not a terminal to confirm in: pass --yes to destroy" in result.stderr
    assert applied.is_dir()


# ----- assert -----------------------------------------------------------------------------


def write_site(project: Path, *, port: int = 8080) -> None:
    """The files examples/files deploys, written by hand."""
    (project / "site").mkdir()
    (project / "site" / "README.md").write_text("# Clockwork demo\n\nDeployed by Clockwork.\n")
    (project / "site" / "site.conf").write_text(f"title = Clockwork demo\nport = {port}\n")


def squeezed(text: str) -> str:
    return "".join(text.split())


def result_column(table: str) -> str:
    """The text of the table's last column ("result"), whitespace gone: a cell may be
    folded over several lines."""
    cells = [line.split("│")[4] for line in table.splitlines() if line.count("│") == 5]
    return squeezed("".join(cells))


def test_assert_passes_when_the_files_are_there(example: Path) -> None:
    write_site(example.parent)

    result = clockwork("assert", str(example))

    assert result.exit_code == 0, result.output
    assert result.stdout.count("✓") == 3 and "✗" not in result.stdout
    assert "FileExistsAssert()" in result.stdout
    assert result.stdout.endswith("3 passed, 0 failed, 3 total\n")


def test_assert_json_when_all_pass(example: Path) -> None:
    write_site(example.parent)

    result = clockwork("assert", str(example), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (
        report["success"],
        report["passed"],
        report["failed"],
        report["total"],
        report["interrupted"],
    ) == (True, 3, 0, 3, False)
    assert [(d["resource"], d["assertion"], d["status"]) for d in report["details"]] == [
        ("README.md", "FileExistsAssert()", "passed"),
        ("README.md", "FileContentMatchesAssert(pattern='^# Clockwork demo')", "passed"),
        ("site.conf", "FileContentMatchesAssert(pattern='port = 8080')", "passed"),
    ]
    readme = example.parent / "site" / "README.md"
    assert report["details"][0]["message"] == f"{readme} exists"


def test_assert_failing_is_exit_1_with_the_failure(example: Path) -> None:
    write_site(example.parent, port=9090)
    conf = example.parent / "site" / "site.conf"

    result = clockwork("assert", str(example))

    assert result.exit_code == 1
    assert result.stdout.count("✓") == 2 and result.stdout.count("✗") == 1
    # The whole message, even off a terminal (80 columns) and with a long tmp path.
    assert squeezed(f"{conf} does not match /port = 8080/") in result_column(result.stdout)
    assert result.stdout.endswith("2 passed, 1 failed, 3 total\n")


def test_assert_json_lists_the_failure(example: Path) -> None:
    write_site(example.parent, port=9090)
    conf = example.parent / "site" / "site.conf"

    result = clockwork("assert", str(example), "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["success"], report["passed"], report["failed"]) == (False, 2, 1)
    failed = [d for d in report["details"] if not d["passed"]]
    assert failed == [
        {
            "resource": "site.conf",
            "assertion": "FileContentMatchesAssert(pattern='port = 8080')",
            "passed": False,
            "message": f"{conf} does not match /port = 8080/",
            "duration_seconds": failed[0]["duration_seconds"],
            "status": "failed",
        }
    ]


def test_assert_needs_no_pulumi_cli_and_deploys_nothing(example: Path) -> None:
    result = clockwork("assert", str(example), "--json")

    assert result.exit_code == 1  # nothing deployed: every check fails
    assert json.loads(result.stdout)["failed"] == 3
    assert "Pulumi" not in result.output
    assert files_in(example.parent) == ["main.py"]


HANGING_MAIN_PY = """\
import time
from pathlib import Path

from clockwork import Assertion, Resource


class SleepsAssert(Assertion):
    timeout_seconds: float = 60

    def check(self, resource):
        Path({started!r}).touch()
        time.sleep(60)
        return "woke up"


class Thing(Resource):
    pass


thing = Thing(name="thing", description="waits forever", assertions=[SleepsAssert()])
"""


# Ctrl-C must reach the command even when pytest runs with SIGINT ignored (a background
# job inherits that, and Python then never raises KeyboardInterrupt).
RESET_SIGINT_AND_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


@pytest.mark.skipif(not CLOCKWORK_SCRIPT.is_file(), reason="no clockwork console script")
def test_ctrl_c_cancels_the_assertions_with_exit_130(tmp_path: Path) -> None:
    started = tmp_path / "started"
    (tmp_path / "main.py").write_text(HANGING_MAIN_PY.format(started=str(started)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RESET_SIGINT_AND_EXEC,
            str(CLOCKWORK_SCRIPT),
            "assert",
            str(tmp_path / "main.py"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), process.communicate(timeout=5)
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130, err
    assert time.monotonic() - interrupted < 10
    assert "SleepsAssert()" in out and "cancelled (interrupted)" in out
    assert "0 passed, 1 failed, 1 total (interrupted)" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


# ----- setup ------------------------------------------------------------------------------


@pytest.fixture
def fake_pulumi_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Pulumi installation first on PATH: a `pulumi` that answers a new enough
    version, and the dynamic-provider launcher beside it. It only tests discovery:
    setup must not install when one is found."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pulumi = bin_dir / "pulumi"
    pulumi.write_text("#!/bin/sh\necho 'v3.274.1'\n")
    pulumi.chmod(0o755)
    (bin_dir / "pulumi-resource-pulumi-python").write_text("#!/bin/sh\nexit 1\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return pulumi


def test_setup_json_finds_a_pulumi_cli_on_path(
    fake_pulumi_on_path: Path, no_pulumi_cli: Path
) -> None:
    result = clockwork("setup", "--json")

    assert result.exit_code == 0, result.output
    parts = {part["name"]: part for part in json.loads(result.stdout)["parts"]}
    assert parts["pulumi CLI"]["path"] == str(fake_pulumi_on_path)
    assert parts["python dynamic-provider launcher"]["installed"]
    assert json.loads(result.stdout)["done"] == []
    assert result.stderr == ""  # nothing installed, nothing said
    assert list(no_pulumi_cli.iterdir()) == []  # nothing put into CW_HOME


def test_setup_text_says_where_it_found_it(fake_pulumi_on_path: Path) -> None:
    result = clockwork("setup")

    assert result.exit_code == 0, result.output
    assert f"✓ pulumi CLI: {fake_pulumi_on_path}\n" in result.stdout


def test_setup_check_lists_what_is_missing_and_changes_nothing(no_pulumi_cli: Path) -> None:
    result = clockwork("setup", "--check")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "✗ pulumi CLI: missing",
        "✗ python dynamic-provider launcher: missing",
    ]
    assert list(no_pulumi_cli.iterdir()) == []


def test_setup_with_no_route_says_the_cause_and_the_fix_and_fails(no_pulumi_cli: Path) -> None:
    # PATH is an empty folder: no `go`; downloads are off.
    result = clockwork("setup", "--from-source")

    assert result.exit_code == 1
    missing_cli = result.stdout.splitlines()[0]
    assert missing_cli.startswith("✗ pulumi CLI: missing: ")
    assert "no `go` on PATH" in missing_cli and "install Go" in missing_cli


# ----- exit codes for a broken or missing main.py -----------------------------------------


@pytest.mark.parametrize("command", [["plan"], ["plan", "--json"], ["assert"]])
def test_a_syntax_error_in_main_py_is_exit_2_with_file_and_line(
    tmp_path: Path, command: list[str]
) -> None:
    main = tmp_path / "main.py"
    main.write_text("from clockwork_files import FileResource\n\nnotes = FileResource(\n")

    result = clockwork(*command, str(main))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {main}:3: syntax error")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["plan"], ["assert"], ["apply", "--yes"]])
def test_a_missing_main_py_is_exit_2(
    tmp_path: Path, command: list[str], fake_pulumi_on_path: Path
) -> None:
    """With a `pulumi` on PATH, apply gets as far as loading main.py (and no further)."""
    result = clockwork(*command, str(tmp_path / "main.py"))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "main.py: no such file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["plan"], ["destroy", "--dry-run"]])
def test_a_missing_project_folder_is_exit_2(tmp_path: Path, command: list[str]) -> None:
    result = clockwork(*command, str(tmp_path / "nowhere" / "main.py"))

    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'nowhere'}: no such project folder\n"


@pytest.mark.parametrize(
    "command",
    [["plan"], ["plan", "--json"], ["assert"], ["destroy", "--dry-run"], ["apply", "--yes"]],
)
def test_an_invalid_setting_is_exit_2_naming_the_variable(
    example: Path, command: list[str], clean_env: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    (example.parent / ".env").write_text("CW_OUTPUT_MODE=telepathy\n")

    result = clockwork(*command, str(example))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid setting")
    assert "CW_OUTPUT_MODE: Input should be 'auto', 'tool', 'native' or 'prompted'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_setup_for_a_project_names_only_the_engine_plugins_its_resources_need(
    tmp_path: Path, fake_pulumi_on_path: Path
) -> None:
    import clockwork_apple.plugin

    apple = tmp_path / "apple"
    apple.mkdir()
    (apple / "main.py").write_text(
        "from clockwork_apple import AppleContainerResource\n"
        "web = AppleContainerResource(name='web', image='nginx:1.27')\n"
    )
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files") as host:
        host.register(clockwork_apple.plugin, distribution="clockwork-apple")
        for_files = clockwork("setup", "--check", str(EXAMPLE))
        for_apple = clockwork("setup", "--check", str(apple / "main.py"))
    assert for_files.exit_code == 0, for_files.output
    assert "plugin" not in for_files.stdout.replace("dynamic-provider", "")
    assert for_apple.exit_code == 1
    assert for_apple.stdout.splitlines()[-1] == "✗ resource plugin command 1.2.1: missing"
