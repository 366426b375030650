"""Defects of the deploy path that only a real Pulumi engine shows, each driven through
it (marked `pulumi_cli`: CI runs them with CW_REQUIRE_PULUMI=1, so they cannot skip).

Each test names what went wrong before its fix.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

import clockwork_files.plugin
from clockwork import ClockworkError, ProjectError, pipeline
from clockwork.engine import EngineFailure, find_pulumi_cli
from clockwork.engine_setup import EngineHome
from clockwork.folders import make_parents, remove_empty_folders
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork


@pytest.fixture(autouse=True)
def files_plugin(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        yield


def project_with(tmp_path: Path, source: str, name: str = "project") -> Path:
    project = tmp_path / name
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(source))
    return project


def clockwork(*args: str) -> Result:
    return run_clockwork(*args, code=None)  # the tests check the exit status themselves


TWO_FILES = """
    from clockwork_files import FileResource

    taken = FileResource(name="taken.txt", description="d", content="new\\n")
    fine = FileResource(name="fine.txt", description="d", content="ok\\n")
"""


@pytest.mark.pulumi_cli
def test_a_failed_resource_shows_resource_operation_and_reason(tmp_path: Path) -> None:
    """Before: every failure read `pulumi up failed: stderr:` (CommandError has no
    .stderr, the reasons are in diagnostic events)."""
    project = project_with(tmp_path, TWO_FILES)
    (project / "taken.txt").write_text("the user's\n")

    result = clockwork("apply", str(project / "main.py"), "--yes")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    log = project / ".clockwork" / "logs" / "engine.log"
    assert f"error: pulumi up failed (full output: {log})" in lines
    assert (
        "  taken.txt (pulumi-python:dynamic/clockwork:File) create: FileExistsError: "
        f"{project / 'taken.txt'} already exists and Clockwork did not create it; move it "
        "away or choose another path"
    ) in lines
    assert not any("Traceback" in line or "stderr:" in line for line in lines)
    assert "Traceback (most recent call last)" in log.read_text()  # the full text is kept
    assert (project / "taken.txt").read_text() == "the user's\n"


@pytest.mark.pulumi_cli
def test_an_error_in_to_pulumi_stops_apply_before_the_engine_creates_anything(
    tmp_path: Path,
) -> None:
    """Before: apply did not evaluate the program first, so `first` was created by the
    engine and then the program failed inside it."""
    project = project_with(
        tmp_path,
        """
        from clockwork import Resource
        from clockwork_files import FileResource

        class Broken(Resource):
            def to_pulumi(self, opts=None):
                raise ValueError("this resource cannot compile")

        first = FileResource(name="first.txt", description="d", content="1\\n")
        broken = Broken(name="broken", description="d").connect(first)
    """,
    )
    with pytest.raises(ClockworkError) as caught:
        pipeline.apply(project / "main.py")
    assert "this resource cannot compile" in str(caught.value)
    assert not (project / "first.txt").exists()
    assert not (project / ".clockwork" / "state").exists()


@pytest.mark.pulumi_cli
def test_state_stays_in_the_project_whatever_pulumi_backend_url_says(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Before: a PULUMI_BACKEND_URL in the shell won over the project's backend."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean_env.setenv("PULUMI_BACKEND_URL", elsewhere.as_uri())
    project = project_with(
        tmp_path,
        "from clockwork_files import FileResource\n"
        'f = FileResource(name="a.txt", description="d", '
        'content="a")\n',
    )
    pipeline.apply(project / "main.py")
    assert list(elsewhere.iterdir()) == []
    assert any((project / ".clockwork" / "state").rglob("*.json"))
    pipeline.destroy(project / "main.py")
    assert not (project / "a.txt").exists()


@pytest.mark.pulumi_cli
def test_a_relative_file_backend_is_the_projects_and_runs_leave_no_temp_dirs(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Before: a relative file:// URL resolved against a new temp dir on every run, and
    every run left a temp work dir (workspace file, passphrase salt) behind."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    clean_env.setattr(tempfile, "tempdir", str(temp))
    project = project_with(
        tmp_path,
        "from clockwork_files import FileResource\n"
        'f = FileResource(name="a.txt", description="d", '
        'content="a")\n',
    )
    (project / ".env").write_text("CW_BACKEND_URL=file://state-here\n")
    pipeline.apply(project / "main.py")
    again = pipeline.apply(project / "main.py")
    assert again.engine is not None and again.engine.changes.get("same", 0) >= 1
    assert any((project / "state-here").rglob("*.json"))
    assert (project / ".clockwork" / "workspace" / "Pulumi.yaml").is_file()
    assert list(temp.iterdir()) == []
    pipeline.destroy(project / "main.py")


@pytest.mark.pulumi_cli
def test_a_pulumi_reached_through_a_version_manager_shim_deploys(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Before: Clockwork assumed `<root>/bin/pulumi` and crashed on asdf/mise shims."""
    real = find_pulumi_cli()
    assert real is not None
    shims = tmp_path / "shims"
    shims.mkdir()
    for tool in ("pulumi", "pulumi-resource-pulumi-python"):
        shim = shims / tool
        shim.write_text(f'#!/bin/sh\nexec "{real.parent / tool}" "$@"\n')
        shim.chmod(0o755)
    clean_env.setenv("CW_HOME", str(tmp_path / "no-clockwork-engine-here"))
    clean_env.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    assert find_pulumi_cli() == shims / "pulumi"
    project = project_with(
        tmp_path,
        "from clockwork_files import FileResource\n"
        'f = FileResource(name="a.txt", description="d", '
        'content="a")\n',
    )
    pipeline.apply(project / "main.py")
    assert (project / "a.txt").read_text() == "a"
    pipeline.destroy(project / "main.py")


MANY_FILES_IN_ONE_NEW_FOLDER = """
    from clockwork_files import FileResource

    files = [FileResource(name=f"f{i}.txt", directory="new/deeper", description="d",
                          content=str(i)) for i in range(16)]
"""


@pytest.mark.pulumi_cli
def test_files_created_in_parallel_share_a_new_folder(tmp_path: Path) -> None:
    """Before: two resources creating the same new folder at once raced
    (FileExistsError in the provider process, which runs creates in parallel)."""
    project = project_with(tmp_path, MANY_FILES_IN_ONE_NEW_FOLDER)
    pipeline.apply(project / "main.py")
    assert sorted(p.name for p in (project / "new" / "deeper").iterdir()) == sorted(
        f"f{i}.txt" for i in range(16)
    )
    pipeline.destroy(project / "main.py")
    assert not (project / "new").exists()


def race_to_make_parents(target: Path, racers: int = 4) -> tuple[list[list[str]], list[str]]:
    """`racers` threads call make_parents(target) at the same moment."""
    start = threading.Barrier(racers)
    made: list[list[str]] = []
    errors: list[str] = []

    def make() -> None:
        start.wait()
        try:
            made.append(make_parents(target))
        except OSError as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=make) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made, errors


def test_make_parents_under_contention_never_fails_and_each_folder_has_one_maker(
    tmp_path: Path,
) -> None:
    for round_ in range(50):
        target = tmp_path / f"r{round_}" / "a" / "b" / "file"
        made, errors = race_to_make_parents(target)
        assert errors == []
        claimed = sorted(folder for folders in made for folder in folders)
        assert claimed == sorted({*claimed})  # no folder claimed twice
        assert set(claimed) == {
            str(target.parent.parent.parent),
            str(target.parent.parent),
            str(target.parent),
        }
        for folders in made:
            remove_empty_folders(folders)


PROVIDER_MODULE = """
    from pulumi.dynamic import CreateResult, Resource, ResourceProvider
    from pathlib import Path

    class MarkerProvider(ResourceProvider):
        def create(self, props):
            Path(props["path"]).write_text("made by a provider of the project's own\\n")
            return CreateResult(props["path"], props)

        def delete(self, id_, props):
            Path(id_).unlink(missing_ok=True)

    class Marker(Resource):
        def __init__(self, name, path, opts=None):
            super().__init__(MarkerProvider(), name, {"path": path}, opts)
"""

OWN_RESOURCE = """
    from clockwork import Resource
    {provider_import}

    class MarkerResource(Resource):
        def to_pulumi(self, opts=None):
            return Marker(self.name, str(self.project_dir / "marker.txt"), opts)

    marker = MarkerResource(name="marker", description="d")
"""


@pytest.mark.pulumi_cli
def test_a_dynamic_provider_beside_main_py_runs_in_the_engines_provider_process(
    tmp_path: Path,
) -> None:
    project = project_with(
        tmp_path, OWN_RESOURCE.format(provider_import="from providers import Marker")
    )
    (project / "providers.py").write_text(textwrap.dedent(PROVIDER_MODULE))
    pipeline.apply(project / "main.py")
    assert (project / "marker.txt").read_text() == "made by a provider of the project's own\n"
    pipeline.destroy(project / "main.py")
    assert not (project / "marker.txt").exists()


def test_a_dynamic_provider_defined_in_main_py_is_refused_before_deploying(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    """Before: it was pickled by reference to a module the provider process cannot
    import, and failed inside the engine."""
    source = textwrap.dedent(PROVIDER_MODULE) + textwrap.dedent(
        OWN_RESOURCE.format(provider_import="")
    )
    project = project_with(tmp_path, source)
    with pytest.raises(ProjectError) as caught:
        pipeline.plan(project / "main.py")
    assert str(caught.value).startswith("marker: its dynamic provider is defined in main.py")
    assert "module beside main.py" in str(caught.value)


@pytest.mark.pulumi_cli
def test_the_live_view_says_planned_for_a_dry_run_and_replace_for_a_replacement(
    tmp_path: Path,
) -> None:
    """Before: a destroy dry run printed `done` for deletes that never happened, and a
    replacement showed the engine's raw create-replacement / delete-replaced."""
    project = project_with(
        tmp_path,
        "from clockwork_files import FileResource\n"
        'f = FileResource(name="a.txt", description="d", '
        'content="a")\n',
    )
    main = str(project / "main.py")
    assert clockwork("apply", main, "--yes").exit_code == 0

    dry = clockwork("destroy", main, "--dry-run")
    assert dry.exit_code == 0
    assert "- pulumi-python:dynamic/clockwork:File a.txt planned" in dry.stderr.splitlines()
    assert " done" not in dry.stderr
    assert (project / "a.txt").exists()

    (project / "main.py").write_text(
        (project / "main.py").read_text().replace('name="a.txt"', 'name="a.txt", directory="moved"')
    )
    moved = clockwork("apply", main, "--yes")
    assert moved.exit_code == 0, moved.output
    assert "+- pulumi-python:dynamic/clockwork:File a.txt done" in moved.stderr.splitlines()
    assert "replacement" not in moved.stderr and "replaced" not in moved.stderr
    assert (project / "moved" / "a.txt").exists() and not (project / "a.txt").exists()
    assert clockwork("destroy", main, "--yes").exit_code == 0


def test_destroy_with_a_cli_too_old_for_inline_programs_says_what_is_needed(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    """Before: the Automation API's InvalidVersionError came out as a traceback."""
    old = EngineHome.default().cli
    old.parent.mkdir(parents=True)
    old.write_text("#!/bin/sh\necho v3.150.0\n")
    old.chmod(0o755)
    project = project_with(tmp_path, "")
    result = clockwork("destroy", str(project / "main.py"), "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: the Pulumi CLI at {old} is version 3.150.0; Clockwork needs 3.181.0 or newer: "
        "run `clockwork setup` or install Pulumi (https://www.pulumi.com/docs/install/)"
    ]


def test_an_engine_failure_without_diagnostics_shows_the_clis_last_words() -> None:
    error = EngineFailure(
        "pulumi up failed",
        [],
        None,
        "\n code: 255\n stdout: \n stderr: error: could not load plugin x\n",
    )
    assert str(error) == "pulumi up failed: could not load plugin x"


ONE_FILE = (
    "from clockwork_files import FileResource\n"
    'f = FileResource(name="a.txt", description="d", content="a")\n'
)


@pytest.mark.pulumi_cli
def test_a_moved_project_keeps_its_stack(tmp_path: Path) -> None:
    """Before: the project name hashed the folder's path, so after a move `destroy`
    found an empty stack and left everything behind."""
    import shutil

    project = project_with(tmp_path, ONE_FILE, name="shop")
    pipeline.apply(project / "main.py")
    moved = tmp_path / "renamed-shop"
    shutil.move(project, moved)

    again = pipeline.apply(moved / "main.py")  # the same stack: the file is found again
    assert again.engine is not None and (moved / "a.txt").read_text() == "a"
    destroyed = pipeline.destroy(moved / "main.py")
    assert destroyed.engine is not None and destroyed.engine.changes.get("delete", 0) >= 1
    assert not (moved / "a.txt").exists()


@pytest.mark.pulumi_cli
def test_a_copied_project_gets_a_stack_of_its_own(tmp_path: Path) -> None:
    import shutil

    from clockwork.engine import project_name_for
    from clockwork.settings import Settings

    original = project_with(tmp_path, ONE_FILE, name="shop")
    pipeline.apply(original / "main.py")
    copy = tmp_path / "shop-copy"
    shutil.copytree(original, copy)
    (copy / "a.txt").unlink()

    none = Settings(_env_file=None)  # type: ignore[call-arg]
    assert project_name_for(copy, none) != project_name_for(original, none)
    pipeline.apply(copy / "main.py")
    assert (copy / "a.txt").read_text() == "a"
    pipeline.destroy(copy / "main.py")
    assert (original / "a.txt").read_text() == "a"  # the original's stack was not touched
    pipeline.destroy(original / "main.py")
    assert not (original / "a.txt").exists()


@pytest.mark.pulumi_cli
def test_a_partial_failure_names_what_was_done_and_apply_again_converges(tmp_path: Path) -> None:
    project = project_with(tmp_path, TWO_FILES)
    blocker = project / "taken.txt"
    blocker.write_text("the user's\n")

    failed = clockwork("apply", str(project / "main.py"), "--yes")
    assert failed.exit_code == 1
    lines = failed.stderr.splitlines()
    failed_line = next(i for i, line in enumerate(lines) if line.startswith("  taken.txt ("))
    assert lines[failed_line + 1] == "  created: fine.txt (pulumi-python:dynamic/clockwork:File)"
    assert (project / "fine.txt").read_text() == "ok\n"

    blocker.unlink()  # the user moves their file away, and runs apply again
    again = clockwork("apply", str(project / "main.py"), "--yes", "--json")
    assert again.exit_code == 0, again.output
    import json

    changes = json.loads(again.stdout)["changes"]
    assert changes.get("create") == 1 and changes.get("same", 0) >= 1
    assert blocker.read_text() == "new\n"
