"""The workflows plan, apply, destroy and check, on FileResource projects in tmp_path.

The Pulumi CLI is made unavailable (`no_pulumi_cli`), whatever the machine has: what
needs the engine must say so in one line, before touching anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import clockwork_files.plugin
from clockwork import pipeline
from clockwork.compiler import COMPOSITE_TYPE, CompileError
from clockwork.errors import EngineMissingError, UsageError
from clockwork.testing import plugin_host
from clockwork.workdirs import read_created_dirs, record_dirs_to_create

FILE_TYPE = "pulumi-python:dynamic/clockwork:File"

SITE = """
from clockwork import BlankResource
from clockwork_files import FileContentMatchesAssert, FileExistsAssert, FileResource

readme = FileResource(
    name="README.md", directory="site/docs", description="front page",
    content="# Hello\\n", assertions=[FileExistsAssert(),
                                     FileContentMatchesAssert(pattern="^# Hello")],
)
config = FileResource(
    name="site.conf", directory="site", description="settings", content="port = 8080\\n",
    mode="600", assertions=[FileExistsAssert()],
).connect(readme)
site = BlankResource(name="site", description="the site").add(readme, config)
"""


@pytest.fixture(autouse=True)
def files_plugin(no_pulumi_cli: Path) -> Iterator[None]:
    """Core plus the files plugin, no entry points scanned; no Pulumi CLI anywhere."""
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        yield


def write_project(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    main = folder / "main.py"
    main.write_text(textwrap.dedent(source))
    return main


def everything_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ----- plan ---------------------------------------------------------------------------------


def test_plan_compiles_in_process_and_skips_the_preview(tmp_path: Path) -> None:
    main = write_project(tmp_path / "project", SITE)
    result = pipeline.plan(main)

    assert [r.name for r in result.project.resources] == ["site", "README.md", "site.conf"]
    assert not any(r.needs_completion() for r in result.project.resources)
    assert result.completion is None  # nothing to complete: the completer never ran

    registered = {r.name: r for r in result.registered}
    assert registered["site"].type == COMPOSITE_TYPE.format("BlankResource")
    assert registered["README.md"].type == FILE_TYPE
    assert registered["site.conf"].type == FILE_TYPE
    assert result.registered.name_of(registered["README.md"].parent) == "site"
    assert result.registered.name_of(registered["site.conf"].parent) == "site"
    assert [result.registered.name_of(u) for u in registered["site.conf"].dependencies] == [
        "README.md"
    ]
    project = tmp_path / "project"
    assert registered["README.md"].inputs["path"] == str(
        project.resolve() / "site" / "docs" / "README.md"
    )
    assert registered["site.conf"].inputs["mode"] == "0600"

    assert result.preview is None
    assert result.preview_skipped is not None
    assert "Pulumi CLI is not installed" in result.preview_skipped
    assert "clockwork setup" in result.preview_skipped

    data = json.loads(json.dumps(result.to_dict()))
    assert data["main"] == str(main.resolve())
    assert [r["name"] for r in data["resources"]] == ["site", "README.md", "site.conf"]
    assert {(r["type"], r["name"]) for r in data["pulumi_resources"]} == {
        (COMPOSITE_TYPE.format("BlankResource"), "site"),
        (FILE_TYPE, "README.md"),
        (FILE_TYPE, "site.conf"),
    }
    assert data["preview"] is None and data["preview_skipped"] == result.preview_skipped
    config = next(r for r in data["resources"] if r["name"] == "site.conf")
    assert config["parent"] == "site" and config["connects_to"] == ["README.md"]
    assert config["assertions"] == ["FileExistsAssert()"]

    # A plan writes nothing: no file, no folder, no state, no manifest.
    assert everything_under(project) == {"main.py"}


def test_a_failing_to_pulumi_names_the_resource_and_deploys_nothing(tmp_path: Path) -> None:
    main = write_project(
        tmp_path / "project",
        """
        from clockwork import Resource
        from clockwork_files import FileResource

        class Exploding(Resource):
            def to_pulumi(self, opts=None):
                raise RuntimeError("the disk is on fire")

        first = FileResource(name="first.txt", description="d", content="x")
        bomb = Exploding(name="bomb")
    """,
    )
    with pytest.raises(CompileError) as caught:
        pipeline.plan(main)
    message = str(caught.value)
    assert "Exploding('bomb')" in message
    assert "to_pulumi() failed: RuntimeError: the disk is on fire" in message
    assert "\n" not in message
    assert everything_under(tmp_path / "project") == {"main.py"}


def test_plan_still_works_after_a_failed_compile(tmp_path: Path) -> None:
    broken = write_project(
        tmp_path / "broken",
        """
        from clockwork import Resource

        class Exploding(Resource):
            def to_pulumi(self, opts=None):
                raise RuntimeError("boom")

        bomb = Exploding(name="bomb")
    """,
    )
    with pytest.raises(CompileError):
        pipeline.plan(broken)
    result = pipeline.plan(write_project(tmp_path / "fine", SITE))
    assert sorted(result.registered.names()) == ["README.md", "site", "site.conf"]


def test_plan_after_asyncio_run_in_the_same_thread(tmp_path: Path) -> None:
    # asyncio.run() (as an async completion would do) leaves the thread without an
    # event loop; Pulumi's mock runtime needs one.
    asyncio.run(asyncio.sleep(0))
    result = pipeline.plan(write_project(tmp_path / "project", SITE))
    assert sorted(result.registered.names()) == ["README.md", "site", "site.conf"]


def test_a_project_with_nothing_to_complete_never_imports_the_completer(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    main = write_project(tmp_path / "project", SITE)
    script = textwrap.dedent("""
        import json, sys
        from clockwork import pipeline

        result = pipeline.plan(sys.argv[1])
        print(json.dumps({
            "pydantic_ai": "pydantic_ai" in sys.modules,
            "completion": "clockwork.completion" in sys.modules,
            "registered": len(result.registered),
            "skipped": result.preview_skipped,
        }))
    """)
    env = {**os.environ, "CW_PLUGINS": "clockwork-files"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(main)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["pydantic_ai"] is False
    assert found["completion"] is False
    assert found["registered"] == 3
    assert "not installed" in found["skipped"]


# ----- apply --------------------------------------------------------------------------------


def test_apply_without_the_cli_fails_before_completion_or_any_write(tmp_path: Path) -> None:
    # The content is left to the AI: reaching completion would import the completer and
    # need a model; failing on the missing CLI first means neither happens.
    main = write_project(
        tmp_path / "project",
        """
        from clockwork_files import FileResource

        notes = FileResource(name="notes.md", directory="docs/new", description="notes")
        from pathlib import Path

        Path(__file__).with_name("main-was-run").touch()
    """,
    )
    before = everything_under(tmp_path)
    with pytest.raises(EngineMissingError) as caught:
        pipeline.apply(main, confirm=lambda planned: pytest.fail("asked to confirm"))
    assert "clockwork setup" in str(caught.value) and "\n" not in str(caught.value)
    assert everything_under(tmp_path) == before  # no manifest, no folder, no state
    assert not (tmp_path / "project" / "main-was-run").exists()  # main.py never even ran


# ----- destroy ------------------------------------------------------------------------------


def deployed_site(tmp_path: Path) -> tuple[Path, list[str]]:
    """A project as a deploy would leave it: folders recorded, then created."""
    main = write_project(tmp_path / "project", SITE)
    project = pipeline.load(main)
    recorded = record_dirs_to_create(project.directory, project.resources)
    for folder in recorded:
        Path(folder).mkdir()
    return main, recorded


def test_destroy_dry_run_without_the_cli_lists_the_folders(tmp_path: Path) -> None:
    main, recorded = deployed_site(tmp_path)
    project = tmp_path / "project"
    assert recorded == [str(project / "site"), str(project / "site" / "docs")]
    before = everything_under(project)

    result = pipeline.destroy(main, dry_run=True)

    assert result.dry_run and result.engine is None
    assert result.engine_skipped is not None
    assert "stack" in result.engine_skipped and "not installed" in result.engine_skipped
    assert result.cleanup.removed == [str(project / "site" / "docs"), str(project / "site")]
    assert result.cleanup.kept == {}
    assert everything_under(project) == before  # nothing removed
    data = json.loads(json.dumps(result.to_dict()))
    assert data["removed_dirs"] == result.cleanup.removed
    assert data["engine_skipped"] == result.engine_skipped and data["changes"] is None


def test_destroy_dry_run_keeping_files_lists_nothing(tmp_path: Path) -> None:
    main, _ = deployed_site(tmp_path)
    result = pipeline.destroy(main, dry_run=True, keep_files=True)
    assert result.cleanup.removed == [] and result.cleanup.kept == {}


def test_destroy_without_the_cli_fails_and_removes_nothing(tmp_path: Path) -> None:
    main, recorded = deployed_site(tmp_path)
    before = everything_under(tmp_path / "project")
    with pytest.raises(EngineMissingError, match="clockwork setup"):
        pipeline.destroy(main)
    assert everything_under(tmp_path / "project") == before
    assert all(Path(folder).is_dir() for folder in recorded)
    assert read_created_dirs(tmp_path / "project") == recorded


def test_destroy_works_when_main_py_no_longer_loads(tmp_path: Path) -> None:
    main, _ = deployed_site(tmp_path)
    main.write_text("this is not python\n")
    result = pipeline.destroy(main, dry_run=True)
    assert len(result.cleanup.removed) == 2


# ----- check --------------------------------------------------------------------------------


def test_check_passes_when_the_files_exist(tmp_path: Path) -> None:
    main = write_project(tmp_path / "project", SITE)
    site = tmp_path / "project" / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "README.md").write_text("# Hello\n")  # as the deploy wrote them
    (site / "site.conf").write_text("port = 8080\n")

    report = pipeline.check(main)

    assert report.success, report.to_dict()
    assert (report.passed, report.failed, report.total) == (3, 0, 3)
    assert {d.resource for d in report.details} == {"README.md", "site.conf"}


def test_check_fails_when_a_file_is_missing_or_wrong(tmp_path: Path) -> None:
    main = write_project(tmp_path / "project", SITE)
    (tmp_path / "project" / "site" / "docs").mkdir(parents=True)
    (tmp_path / "project" / "site" / "docs" / "README.md").write_text("something else\n")

    report = pipeline.check(main)

    assert report.success is False
    assert (report.passed, report.failed, report.total) == (1, 2, 3)
    failed = {(d.resource, d.assertion): d for d in report.details if not d.passed}
    assert "does not exist" in failed[("site.conf", "FileExistsAssert()")].message
    assert (
        "does not match"
        in failed[("README.md", "FileContentMatchesAssert(pattern='^# Hello')")].message
    )


def test_destroy_of_a_mistyped_project_folder_never_falls_back_to_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main, _ = deployed_site(tmp_path)
    monkeypatch.chdir(main.parent)
    before = everything_under(main.parent)

    for typo in ("sitee", main.parent / "sitee"):
        with pytest.raises(UsageError, match="sitee: no such project folder"):
            pipeline.destroy(typo, dry_run=True)

    assert pipeline.project_dir_of(main.parent / "gone.py") == main.parent  # a main.py
    assert everything_under(main.parent) == before
