"""`clockwork show` and `clockwork cache`, run in-process with click's CliRunner, with a
deterministic third-party completer instead of a model."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from clockwork import hookimpl
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.testing import plugin_host
from clockwork_cli.main import build_cli

MAIN_PY = textwrap.dedent("""\
    from pydantic import Field
    from clockwork import Resource

    class Service(Resource):
        image: str | None = Field(None, description="Container image.")
        port: int | None = None

    db = Service(name="db", description="Postgres", port=5432)
    web = Service(name="web", description="Front end", image="nginx:1.27", port=80)
""")


class TeamImageCompleter:
    """Fills every image with the model's name: no network, same answer every time."""

    def __init__(self, settings):
        self.model = settings.model

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        return CompletionOutcome({"image": f"{self.model}:1"}, model_calls=1)


class TeamImagePlugin:
    @hookimpl
    def register_completers(self, register):
        register("team", TeamImageCompleter)


@pytest.fixture
def project(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(MAIN_PY)
    with plugin_host(TeamImagePlugin()):
        yield tmp_path


def clockwork(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(), list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def show_json(project: Path, *options: str) -> dict:
    code, out, err = clockwork(
        "show", str(project / "main.py"), "--completer", "team", "--json", *options
    )
    assert code == 0, err
    return json.loads(out)


def test_show_json_gives_fields_and_what_the_ai_filled(project):
    shown = show_json(project, "--model", "acme")

    db, web = shown["resources"]
    assert db["fields"]["image"] == "acme:1" and db["ai_filled"] == ["image"]
    assert db["fields"]["port"] == 5432
    assert web["fields"]["image"] == "nginx:1.27" and web["ai_filled"] == []
    assert shown["completion"]["model_calls"] == 1


def test_show_marks_ai_filled_fields(project):
    code, out, _ = clockwork(
        "show", str(project / "main.py"), "--completer", "team", "--model", "acme"
    )

    assert code == 0
    db_block, web_block = out.split("Service 'web'")
    assert db_block.splitlines()[0] == "Service 'db'"
    assert '  image        "acme:1"  [AI]' in db_block.splitlines()
    assert "  port         5432" in db_block.splitlines()
    assert '  image        "nginx:1.27"' in web_block.splitlines()
    assert "[AI]" not in web_block
    assert out.rstrip().endswith("completed by the model: 1 (1 calls); from the cache: 0")


def test_show_tells_the_output_mode_configured_and_the_one_auto_remembered(project):
    shown = show_json(project)  # auto, against the default (hosted) server: tool first

    assert shown["output_mode"] == {"configured": "auto", "remembered": "tool"}
    assert shown["completion"]["resources"][0]["output_mode"] == "tool"
    code, out, _ = clockwork("show", str(project / "main.py"), "--completer", "team")
    assert code == 0
    assert "output mode: auto, using tool (remembered for this server and model)" in out
    code, out, _ = clockwork(
        "show", str(project / "main.py"), "--completer", "team", "--output-mode", "prompted"
    )
    assert "output mode: prompted" in out.splitlines()


def test_show_one_resource_by_name(project, monkeypatch):
    monkeypatch.chdir(project)

    code, out, _ = clockwork("show", "db", "--completer", "team", "--json")

    assert code == 0
    assert [r["name"] for r in json.loads(out)["resources"]] == ["db"]


def test_show_an_unknown_resource_is_an_error_before_any_completion(project):
    code, _, err = clockwork("show", str(project / "main.py"), "nope", "--completer", "nope")

    assert code == 2
    assert "error: no resource named 'nope'" in err


def test_an_unknown_completer_is_an_error_line(project):
    code, out, err = clockwork("show", str(project / "main.py"), "--completer", "nope")

    assert code == 2
    assert out == ""
    assert err.startswith("error: could not complete Service 'db'")
    assert "unknown completer 'nope'" in err


def test_second_show_comes_from_the_cache_and_cache_stats_counts_it(project):
    show_json(project)
    again = show_json(project)

    assert again["completion"]["model_calls"] == 0
    assert again["completion"]["cache_hits"] == 1
    code, out, _ = clockwork("cache", "stats", str(project), "--json")
    stats = json.loads(out)
    assert code == 0
    assert (stats["entries"], stats["hits"], stats["misses"]) == (1, 1, 1)
    assert stats["path"] == str(project / ".clockwork" / "cache" / "completions.sqlite3")


def test_the_model_option_is_part_of_the_cache_key(project):
    show_json(project, "--model", "one")
    changed = show_json(project, "--model", "two")

    assert changed["resources"][0]["fields"]["image"] == "two:1"
    assert changed["completion"]["model_calls"] == 1


def test_no_cache_neither_reads_nor_writes_the_cache(project):
    show_json(project)
    fresh = show_json(project, "--no-cache")

    assert fresh["completion"]["model_calls"] == 1
    code, out, _ = clockwork("cache", "stats", str(project), "--json")
    assert json.loads(out)["entries"] == 1


def test_cache_clear_empties_the_cache(project):
    show_json(project)

    code, out, _ = clockwork("cache", "clear", str(project / "main.py"))
    assert code == 0 and out.strip() == "removed 1 cached completion"
    code, out, _ = clockwork("cache", "stats", str(project))
    assert "entries: 0" in out


def test_cache_stats_text_of_a_project_without_a_cache(project):
    code, out, _ = clockwork("cache", "stats", str(project))

    assert code == 0
    assert "entries: 0" in out and "size:    0 B" in out
    assert not (project / ".clockwork").exists()


# Imports the CLI and the completion module, and completes a fully specified project
# with core's own completer selected: none of that may load pydantic-ai.
def test_start_up_and_a_fully_specified_project_never_import_pydantic_ai(tmp_path):
    script = textwrap.dedent(f"""\
        import sys
        import clockwork_cli.main
        from clockwork.completion import complete_project
        from clockwork.loader import load_project
        from clockwork.settings import Settings
        (main := __import__("pathlib").Path({str(tmp_path)!r}) / "main.py").write_text(
            "from clockwork import BlankResource\\nsite = BlankResource(name='site')\\n")
        report = complete_project(load_project(main), Settings(_env_file=None))
        print(report.model_calls, "pydantic_ai" in sys.modules)
    """)

    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )

    assert result.stdout.split() == ["0", "False"]


@pytest.mark.parametrize("command", [["show"], ["cache", "stats"], ["cache", "clear"]])
def test_an_invalid_setting_is_one_error_line(project, clean_env, fresh_settings, command):
    clean_env.setenv("CW_COMPLETION_CONCURRENCY", "0")

    code, out, err = clockwork(*command, str(project / "main.py"))

    assert code == 2
    assert out == ""
    assert err == (
        f"error: invalid setting (environment or {project / '.env'}): "
        "CW_COMPLETION_CONCURRENCY: Input should be greater than or equal to 1\n"
    )


# ----- cache commands: a corrupt cache, a mistyped PROJECT --------------------------------


def corrupt_cache(project: Path) -> Path:
    path = project / ".clockwork" / "cache" / "completions.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n definitely not SQLite")
    return path


def test_cache_clear_removes_a_corrupt_cache_and_says_so(project):
    path = corrupt_cache(project)

    code, out, err = clockwork("cache", "clear", str(project))

    assert (code, err) == (0, "")
    assert out == f"removed the corrupt cache {path} (file is not a database)\n"
    assert not path.exists()
    show_json(project)  # and completion works again, with a fresh cache
    assert path.is_file()


def test_cache_clear_json_of_a_corrupt_cache(project):
    path = corrupt_cache(project)

    code, out, _ = clockwork("cache", "clear", str(project), "--json")

    assert code == 0
    assert json.loads(out) == {"path": str(path), "removed": 0, "corrupt": "file is not a database"}


def test_cache_clear_json_of_a_sound_cache(project):
    show_json(project)

    code, out, _ = clockwork("cache", "clear", str(project), "--json")

    assert code == 0
    assert json.loads(out) == {
        "path": str(project / ".clockwork" / "cache" / "completions.sqlite3"),
        "removed": 1,
        "corrupt": None,
    }


def test_cache_stats_of_a_corrupt_cache_is_one_error_line(project):
    path = corrupt_cache(project)

    code, out, err = clockwork("cache", "stats", str(project))

    assert (code, out) == (2, "")
    assert err == (
        f"error: the completion cache {path} is corrupt (file is not a database): "
        "`clockwork cache clear` removes it (or run with --no-cache)\n"
    )
    assert path.exists()  # stats only looks


@pytest.mark.parametrize("command", ["stats", "clear"])
def test_a_mistyped_project_is_a_usage_error_naming_it(project, command):
    typo = project.parent / "porject"

    code, out, err = clockwork("cache", command, str(typo))

    assert (code, out) == (2, "")
    assert err == f"error: {typo}: no such project folder or main.py\n"


@pytest.mark.parametrize("command", ["stats", "clear"])
def test_a_folder_that_is_no_project_is_a_usage_error(tmp_path, clean_env, command, monkeypatch):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello\n")
    monkeypatch.chdir(folder)

    for target in ([str(folder)], []):  # named, or the current folder by default
        code, out, err = clockwork("cache", command, *target)
        assert (code, out) == (2, "")
        assert err == (
            f"error: {folder}: not a Clockwork project folder (no main.py, no .clockwork)\n"
        )
    code, _, err = clockwork("cache", command, str(folder / "notes.txt"))
    assert code == 2
    assert err == f"error: {folder / 'notes.txt'}: not a project folder or main.py\n"
    assert not (folder / ".clockwork").exists()


def test_a_project_whose_main_py_is_gone_still_has_its_cache_cleared(project):
    show_json(project)
    (project / "main.py").unlink()

    code, out, _ = clockwork("cache", "clear", str(project))

    assert (code, out) == (0, "removed 1 cached completion\n")
