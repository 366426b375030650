"""Case-only renames on a real case-insensitive file system, through the real Pulumi
engine (marked `pulumi_cli`): `Readme.md` → `README.md` (or a clone folder `Repo` →
`repo`) names the same entry there, so the engine's replace (create the new spelling,
which finds the old file, then delete the old spelling) used to delete it.

The file system is FAT, mounted through FUSE (`fusefat`) on a folder of the project:
case-insensitive and case-preserving, as macOS and Windows are by default. Without
FUSE the tests skip, unless CW_REQUIRE_CASEFOLD=1 (CI), where they fail."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from clockwork.spelling import on_disk_spelling, respelled_on_disk, same_entry_respelled
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork
from clockwork_files.provider import FileProvider
from clockwork_git.testing import isolate_git_config


@pytest.fixture(autouse=True)
def installed_plugins(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    with plugin_host(entry_points=True):
        yield


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CW_REQUIRE_CASEFOLD") == "1":
        pytest.fail(f"CW_REQUIRE_CASEFOLD=1, but {reason}")
    pytest.skip(reason)


def need(packages: str, *tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        unavailable(f"no {', '.join(missing)} here (apt-get install {packages})")
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        unavailable("/dev/fuse is not usable here")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True)


def disk_image(tmp_path: Path, make: str) -> tuple[Path, Path]:
    """A fresh file system image (`make`: its mkfs), and `<tmp>/project/data` to mount it on."""
    image, mount_point = tmp_path / "disk.img", tmp_path / "project" / "data"
    mount_point.mkdir(parents=True)
    with image.open("wb") as handle:
        handle.truncate(32 * 1024 * 1024)
    subprocess.run([make, str(image)], check=True, capture_output=True)
    return image, mount_point


@contextlib.contextmanager
def mounted(mount_point: Path, *command: str) -> Iterator[None]:
    """`command … mount_point` mounts a FUSE file system there until the block ends."""
    done = run(*command, str(mount_point))
    if done.returncode != 0 or not os.path.ismount(mount_point):
        unavailable(f"{command[0]} could not mount {command[-1]}: {done.stderr.strip()}")
    try:
        yield
    finally:
        if run("fusermount", "-u", str(mount_point)).returncode != 0:
            run("fusermount", "-u", "-z", str(mount_point))  # still busy: detached when free


@pytest.fixture
def fat(tmp_path: Path) -> Iterator[Path]:
    """`<tmp>/project/data`, a fresh FAT file system (fusefat): case-insensitive, and no
    Unix permissions at all (chmod fails)."""
    need("fusefat dosfstools", "mkfs.vfat", "fusefat", "fusermount")
    image, mount_point = disk_image(tmp_path, "mkfs.vfat")
    with mounted(mount_point, "fusefat", "-o", "rw+", str(image)):
        yield mount_point


@pytest.fixture
def exfat(tmp_path: Path) -> Iterator[Path]:
    """`<tmp>/project/data`, a fresh exFAT file system (exfat-fuse, on a loop device):
    case-insensitive, and chmod is accepted (git needs that; FAT's refusal fails it)."""
    need("exfat-fuse exfatprogs", "mkfs.exfat", "mount.exfat-fuse", "losetup", "fusermount")
    image, mount_point = disk_image(tmp_path, "mkfs.exfat")
    attached = run("losetup", "--find", "--show", str(image))
    if attached.returncode != 0:
        unavailable(f"no loop device for exfat-fuse: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        with mounted(mount_point, "mount.exfat-fuse", device):
            yield mount_point
    finally:
        run("losetup", "--detach", device)


# ----- the file system decides (no engine) --------------------------------------------------


def test_spellings_are_one_entry_only_where_the_file_system_says_so(
    fat: Path, tmp_path: Path
) -> None:
    (fat / "Docs").mkdir()
    (fat / "Docs" / "Readme.md").write_text("x")
    assert same_entry_respelled(fat / "Docs" / "Readme.md", fat / "docs" / "README.md")
    assert on_disk_spelling(fat / "DOCS" / "readme.md", below=fat) == fat / "Docs" / "Readme.md"
    assert respelled_on_disk(fat / "Docs" / "README.md")
    assert not respelled_on_disk(fat / "Docs" / "Readme.md")
    assert not same_entry_respelled(fat / "Docs" / "Readme.md", fat / "Docs" / "Other.md")

    sensitive = tmp_path / "ext"  # the ordinary disk: two names, two files
    sensitive.mkdir()
    (sensitive / "Readme.md").write_text("x")
    assert not same_entry_respelled(sensitive / "Readme.md", sensitive / "README.md")
    (sensitive / "README.md").write_text("y")
    assert not same_entry_respelled(sensitive / "Readme.md", sensitive / "README.md")
    assert not respelled_on_disk(sensitive / "README.md")


def test_without_an_alias_the_old_spellings_delete_keeps_the_file(fat: Path) -> None:
    """No deploy record (no alias): the new resource adopts the file under its
    spelling, and the old one's delete leaves it."""
    claims = fat.parent / ".clockwork" / "claims"
    provider = FileProvider()

    def props(path: Path, claimant: str) -> dict[str, Any]:
        return {
            "path": str(path),
            "content": "# hi\n",
            "mode": None,
            "__claimant": claimant,
            "__claims_dir": str(claims),
        }

    old = props(fat / "Readme.md", "FileResource:readme")
    old_state = provider.create(old).outs
    new_state = provider.create(props(fat / "README.md", "FileResource:README")).outs
    assert listed(fat) == ["README.md"] and new_state["adopted"] is False  # Clockwork's

    provider.delete(str(fat / "Readme.md"), old_state)
    assert listed(fat) == ["README.md"]
    provider.delete(str(fat / "README.md"), new_state)
    assert listed(fat) == [] and not claims.exists()


def write_main(project: Path, source: str) -> str:
    (project / "main.py").write_text(textwrap.dedent(source))
    return str(project / "main.py")


def file_main(name: str, path: str, content: str) -> str:
    return f"""
        from clockwork_files import FileResource

        readme = FileResource(name={name!r}, path={path!r}, description="d",
                              content={content!r})
    """


def listed(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def steps(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [step["op"] for step in json.loads(result.stdout)["steps"]]


@pytest.mark.pulumi_cli
@pytest.mark.parametrize(
    ("new_name", "new_content"),
    [
        ("readme", "# hello\n"),  # only the spelling of the path
        ("README", "# hello\n"),  # the resource renamed too: another URN
        ("readme", "# hello, again\n"),  # and new content
        ("README", "# hello, again\n"),
    ],
)
def test_a_case_only_rename_of_a_file_keeps_it(fat: Path, new_name: str, new_content: str) -> None:
    """Before: the file was gone after the apply (created, then deleted by the old URN)."""
    project = fat.parent
    main = write_main(project, file_main("readme", "data/Readme.md", "# hello\n"))
    clockwork("apply", main, "--yes")
    assert listed(fat) == ["Readme.md"]
    assert (fat / "README.md").exists()  # the same file: case-insensitive

    write_main(project, file_main(new_name, "data/README.md", new_content))
    clockwork("plan", main)
    clockwork("apply", main, "--yes")

    assert listed(fat) == ["README.md"]
    assert (fat / "README.md").read_text() == new_content
    assert steps(clockwork("apply", main, "--yes", "--json")) == []  # nothing left to do

    clockwork("destroy", main, "--yes")  # still Clockwork's
    assert listed(fat) == []
    assert not (project / ".clockwork" / "claims").exists()


@pytest.mark.pulumi_cli
def test_the_users_file_respelled_is_still_never_deleted(fat: Path) -> None:
    """The user's file, adopted (byte-identical), is kept by destroy under either spelling;
    a resource asking for it under another spelling at first does not respell it."""
    project = fat.parent
    (fat / "Notes.md").write_text("mine\n")
    main = write_main(project, file_main("notes", "data/NOTES.md", "mine\n"))
    clockwork("apply", main, "--yes")
    assert listed(fat) == ["Notes.md"]

    write_main(project, file_main("notes", "data/notes.md", "mine\n"))
    clockwork("apply", main, "--yes")  # the user changed the spelling: it follows
    assert listed(fat) == ["notes.md"]
    clockwork("destroy", main, "--yes")
    assert listed(fat) == ["notes.md"]
    assert (fat / "notes.md").read_text() == "mine\n"


@pytest.mark.pulumi_cli
def test_a_mode_on_a_file_system_without_permissions_is_a_clear_error(
    fat: Path,
) -> None:
    """No mode asked: FAT's refusal of chmod is no error (above). A mode asked: it is."""
    project = fat.parent
    main = write_main(
        project,
        """
        from clockwork_files import FileResource

        run = FileResource(name="run", path="data/run.sh", description="d",
                           content="echo hi\\n", mode="755")
        """,
    )
    failed = clockwork("apply", main, "--yes", code=1)
    assert "data/run.sh" in failed.stderr and "mode 0755" in failed.stderr
    assert listed(fat) == []


# ----- git clones ---------------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Path:
    """A bare repository with one commit on `main`; git reads no config of the user's."""
    isolate_git_config(clean_env, tmp_path)
    bare, work = tmp_path / "remote.git", tmp_path / "remote-work"
    git("init", "--quiet", "--bare", str(bare))
    git("clone", "--quiet", str(bare), str(work))
    (work / "README.md").write_text("upstream\n")
    git("add", "README.md", cwd=work)
    git("commit", "--quiet", "-m", "first", cwd=work)
    git("push", "--quiet", "origin", "HEAD:main", cwd=work)
    return bare


def clone_main(name: str, dest: str, url: Path) -> str:
    return f"""
        from clockwork_git import GitRepoResource

        repo = GitRepoResource(name={name!r}, repo_url={str(url)!r}, dest={dest!r})
    """


@pytest.mark.pulumi_cli
@pytest.mark.parametrize("new_name", ["repo", "Repo"])  # the resource renamed too, or not
def test_a_case_only_rename_of_a_clone_folder_keeps_it(
    exfat: Path, remote: Path, new_name: str
) -> None:
    project = exfat.parent
    main = write_main(project, clone_main("repo", "data/Repo", remote))
    clockwork("apply", main, "--yes")
    assert listed(exfat) == ["Repo"]
    (exfat / "Repo" / "NOTES.txt").write_text("the user's, untracked\n")

    write_main(project, clone_main(new_name, "data/repo", remote))
    clockwork("apply", main, "--yes")

    assert listed(exfat) == ["repo"]
    clone = exfat / "repo"
    assert (clone / "README.md").read_text() == "upstream\n"
    assert (clone / "NOTES.txt").read_text() == "the user's, untracked\n"  # never re-cloned
    assert steps(clockwork("apply", main, "--yes", "--json")) == []

    (clone / "NOTES.txt").unlink()
    clockwork("destroy", main, "--yes")  # Clockwork's clone: removed
    assert listed(exfat) == []
