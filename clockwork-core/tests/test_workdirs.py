"""Folders Clockwork creates for a project, and their careful removal on destroy.

Every safety test snapshots the whole temporary tree (project and surroundings) and
checks that nothing outside the recorded, removable folders disappeared.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import clockwork_files.plugin
from clockwork import Resource
from clockwork.pipeline import load
from clockwork.testing import plugin_host
from clockwork.workdirs import (
    manifest_path,
    read_created_dirs,
    record_dirs_to_create,
    remove_created_dirs,
)


class Workdir(Resource):
    """A resource that works in the folders it is given."""

    folders: list[str] = []

    def working_directories(self) -> list[Path]:
        return [Path(folder) for folder in self.folders]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "main.py").write_text("# the user's project\n")
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A neighbour of the project with an empty folder and a file: must never change."""
    folder = tmp_path / "outside"
    (folder / "empty").mkdir(parents=True)
    (folder / "keep.txt").write_text("not Clockwork's\n")
    return folder


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home folder outside the project: only the home rule keeps it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def tree(root: Path) -> set[str]:
    """Every path under `root` (not following symlinks), the manifest left out."""
    found = {str(root)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.join(folder, name))
    return {p for p in found if not p.endswith(("manifest.json", "manifest.tmp"))}


def write_manifest(project: Path, entries: list[str]) -> None:
    path = manifest_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"created_dirs": entries}))


# ----- recording ----------------------------------------------------------------------------


def test_records_only_missing_folders_and_their_missing_parents(project: Path) -> None:
    (project / "a").mkdir()
    recorded = record_dirs_to_create(
        project,
        [
            Workdir(
                name="w", folders=[str(project / "a" / "b" / "c"), str(project / "a"), str(project)]
            )
        ],
    )
    assert recorded == [str(project / "a" / "b"), str(project / "a" / "b" / "c")]
    assert read_created_dirs(project) == recorded


def test_recording_merges_with_earlier_records(project: Path) -> None:
    record_dirs_to_create(project, [Workdir(name="w", folders=[str(project / "one")])])
    record_dirs_to_create(project, [Workdir(name="w", folders=[str(project / "two" / "x")])])
    again = record_dirs_to_create(project, [Workdir(name="w", folders=[str(project / "one")])])
    assert again == [str(project / "one"), str(project / "two"), str(project / "two" / "x")]


def test_recorded_folders_are_absolute_and_normalised(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    recorded = record_dirs_to_create(project, [Workdir(name="w", folders=["x/../y/z"])])
    assert recorded == [str(project / "y"), str(project / "y" / "z")]


def test_a_resource_without_working_folders_records_nothing(project: Path) -> None:
    assert record_dirs_to_create(project, [Workdir(name="w")]) == []
    assert json.loads(manifest_path(project).read_text()) == {"created_dirs": []}


# ----- removing -----------------------------------------------------------------------------


def test_removes_recorded_empty_folders_deepest_first(project: Path) -> None:
    record_dirs_to_create(
        project, [Workdir(name="w", folders=[str(project / "a" / "b" / "c"), str(project / "x")])]
    )
    for folder in read_created_dirs(project):
        Path(folder).mkdir(exist_ok=True)  # what a deploy would have created
    (project / "x" / "user-notes.txt").write_text("mine\n")

    cleanup = remove_created_dirs(project)

    assert cleanup.removed == [
        str(project / "a" / "b" / "c"),
        str(project / "a" / "b"),
        str(project / "a"),
    ]
    assert cleanup.kept == {str(project / "x"): "not empty"}
    assert not (project / "a").exists()
    assert (project / "x" / "user-notes.txt").read_text() == "mine\n"
    assert read_created_dirs(project) == [str(project / "x")]  # only what stayed


def test_dry_run_lists_without_removing(project: Path) -> None:
    record_dirs_to_create(
        project, [Workdir(name="w", folders=[str(project / "a" / "b"), str(project / "full")])]
    )
    for folder in read_created_dirs(project):
        Path(folder).mkdir(exist_ok=True)
    (project / "full" / "data").write_text("x")
    before, manifest_before = tree(project), manifest_path(project).read_text()

    cleanup = remove_created_dirs(project, dry_run=True)

    # `a` holds only `b`, itself recorded and empty: both count as removable.
    assert cleanup.removed == [str(project / "a" / "b"), str(project / "a")]
    assert cleanup.kept == {str(project / "full"): "not empty"}
    assert tree(project) == before
    assert manifest_path(project).read_text() == manifest_before


def test_a_recorded_folder_already_gone_is_forgotten(project: Path) -> None:
    write_manifest(project, [str(project / "gone")])
    cleanup = remove_created_dirs(project)
    assert cleanup.removed == [] and cleanup.kept == {}
    assert read_created_dirs(project) == []


def test_a_recorded_folder_replaced_by_a_file_is_kept(project: Path) -> None:
    (project / "was-a-folder").write_text("now a file\n")
    write_manifest(project, [str(project / "was-a-folder")])
    cleanup = remove_created_dirs(project)
    assert cleanup.kept == {str(project / "was-a-folder"): "not a folder"}
    assert (project / "was-a-folder").read_text() == "now a file\n"


# ----- safety: what must never be removed ---------------------------------------------------


def assert_nothing_removed(project: Path, entry: str, expected_reason: str, root: Path) -> None:
    """Dry run and real run both keep `entry` for `expected_reason`; nothing under `root`
    (project and its surroundings) disappears."""
    write_manifest(project, [entry])
    before = tree(root)
    for dry_run in (True, False):
        cleanup = remove_created_dirs(project, dry_run=dry_run)
        assert cleanup.removed == [], (dry_run, cleanup)
        assert entry in cleanup.kept, (dry_run, cleanup)
        assert expected_reason in cleanup.kept[entry], cleanup.kept
        assert tree(root) - before == set() and before - tree(root) == set()
    assert read_created_dirs(project) == [entry]  # still listed: never silently dropped
    assert project.is_dir() and (project / "main.py").is_file()


def test_never_removes_the_project_folder(project: Path, tmp_path: Path) -> None:
    assert_nothing_removed(project, str(project), "project folder", tmp_path)


def test_never_removes_a_parent_of_the_project(project: Path, tmp_path: Path) -> None:
    assert_nothing_removed(project, str(project / ".."), "parents", tmp_path)
    assert_nothing_removed(project, str(tmp_path), "parents", tmp_path)


def test_never_removes_the_root(project: Path, tmp_path: Path) -> None:
    assert_nothing_removed(project, "/", "project folder or one of its parents", tmp_path)
    assert Path("/").is_dir()


def test_never_removes_the_home_folder(project: Path, tmp_path: Path, fake_home: Path) -> None:
    home = os.path.expanduser("~")
    assert home == str(fake_home)
    assert_nothing_removed(project, home, "home folder", tmp_path)
    assert fake_home.is_dir()  # empty, yet still there


def test_never_removes_the_real_home_folder(project: Path, tmp_path: Path) -> None:
    home = str(Path.home())
    write_manifest(project, [home])
    cleanup = remove_created_dirs(project)
    assert cleanup.removed == [] and home in cleanup.kept
    assert cleanup.kept[home] != "not empty"  # refused as home, not by luck
    assert Path(home).is_dir()


def test_never_follows_a_symlink_out_of_the_project(
    project: Path, outside: Path, tmp_path: Path
) -> None:
    (project / "link").symlink_to(outside / "empty", target_is_directory=True)
    assert_nothing_removed(project, str(project / "link"), "symlink", tmp_path)
    assert (outside / "empty").is_dir()


def test_never_removes_a_folder_reached_through_a_symlink(
    project: Path, outside: Path, tmp_path: Path
) -> None:
    (outside / "empty" / "inner").mkdir()
    (project / "link").symlink_to(outside / "empty", target_is_directory=True)
    assert_nothing_removed(project, str(project / "link" / "inner"), "symlink", tmp_path)
    assert (outside / "empty" / "inner").is_dir()


def test_never_removes_a_folder_outside_the_project(
    project: Path, outside: Path, tmp_path: Path
) -> None:
    assert_nothing_removed(project, str(outside / "empty"), "outside the project", tmp_path)
    assert (outside / "empty").is_dir()


def test_never_removes_a_relative_entry(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "relative").mkdir()
    monkeypatch.chdir(tmp_path)
    assert_nothing_removed(project, "relative", "not an absolute path", tmp_path)


# ----- safety, end to end with FileResource ---------------------------------------------------


@pytest.fixture
def files_plugin() -> Iterator[None]:
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        yield


def test_file_resources_pointing_anywhere_never_lead_to_removals_outside(
    project: Path, outside: Path, tmp_path: Path, fake_home: Path, files_plugin: None
) -> None:
    (project / "escape").symlink_to(outside / "empty", target_is_directory=True)
    (project / "main.py").write_text(
        textwrap.dedent(f"""
        from clockwork_files import FileResource

        def file(name, **where):
            return FileResource(name=name, description="test", content="x", **where)

        here = file("here.txt", directory=".")
        up = file("up.txt", directory="..")
        root = file("root.txt", directory="/")
        tilde = file("tilde.txt", directory="~")
        escape = file("escape.txt", directory="escape/inner")
        sibling = file("sibling.txt", directory="../sibling-new")
        in_home = file("home.txt", path="~/made-by-deploy/home.txt")
        absolute = file("abs.txt", path={str(outside / "new" / "abs.txt")!r})
        inside = file("inside.txt", directory="site/pages")
    """)
    )
    loaded = load(project / "main.py")
    recorded = record_dirs_to_create(loaded.directory, loaded.resources)

    escape = project / "escape" / "inner"
    assert set(recorded) == {
        str(project / "~"),  # "~" as a directory is a folder named "~" in the project
        str(escape),
        str(tmp_path / "sibling-new"),
        str(fake_home / "made-by-deploy"),
        str(outside / "new"),
        str(project / "site"),
        str(project / "site" / "pages"),
    }
    for folder in recorded:
        Path(folder).mkdir()  # what the deploy would have created
    before = tree(tmp_path)

    cleanup = remove_created_dirs(project)

    assert sorted(cleanup.removed) == sorted(
        [str(project / "~"), str(project / "site"), str(project / "site" / "pages")]
    )
    assert cleanup.kept == {
        str(escape): "reached through a symlink",
        str(tmp_path / "sibling-new"): "outside the project folder",
        str(fake_home / "made-by-deploy"): "outside the project folder",
        str(outside / "new"): "outside the project folder",
    }
    assert before - tree(tmp_path) == set(cleanup.removed)
    assert (outside / "empty" / "inner").is_dir()
    assert (tmp_path / "sibling-new").is_dir()
    assert (fake_home / "made-by-deploy").is_dir()
    assert (outside / "keep.txt").is_file()
    assert project.is_dir() and (project / "main.py").is_file()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"created_dirs": "a"}'])
def test_a_broken_manifest_is_a_clear_error_and_nothing_is_removed(
    tmp_path: Path, text: str
) -> None:
    from clockwork import ClockworkError
    from clockwork.workdirs import manifest_path, remove_created_dirs

    (tmp_path / "made").mkdir()
    manifest_path(tmp_path).parent.mkdir()
    manifest_path(tmp_path).write_text(text)

    with pytest.raises(ClockworkError, match="is not a Clockwork manifest"):
        remove_created_dirs(tmp_path)
    assert (tmp_path / "made").is_dir()
