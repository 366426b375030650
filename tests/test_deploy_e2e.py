"""The examples deployed through the real Pulumi engine, as a user runs them.

Each example is copied into a temporary project and driven through the `clockwork`
command: apply, assert, plan (no changes), one field changed and applied (an update in
place), destroy (nothing Clockwork made is left, every file of the user's is kept).
Plugins come from the installed entry points. Marked `pulumi_cli`: CI runs them with
CW_REQUIRE_PULUMI=1, so they cannot skip there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork.engine_setup import EngineHome, EnginePlugin, sdk_plugin
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.pulumi_cli


@pytest.fixture(autouse=True)
def installed_plugins(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    with plugin_host(entry_points=True):
        yield


def clockwork_json(*args: str, code: int = 0) -> dict[str, Any]:
    return json.loads(clockwork(*args, "--json", code=code).stdout)


def changed(changes: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in changes.items() if n and op != "same"}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the project but Clockwork's own folder, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".clockwork" not in p.relative_to(folder).parts
    }


def copy_example(name: str, into: Path) -> Path:
    project = into / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "mine.txt").write_text("the user's own file\n")
    return project


def deploy_cycle(project: Path, edit: tuple[str, str], made: list[Path]) -> None:
    """apply → assert → plan (no changes) → edit → apply (update) → destroy."""
    main = str(project / "main.py")
    users_files = snapshot(project)

    applied = clockwork_json("apply", main, "--yes")
    assert applied["changes"].get("create", 0) >= len(made)
    assert all(path.exists() for path in made)
    assert clockwork_json("assert", main)["failed"] == 0

    planned = clockwork_json("plan", main)
    assert changed(planned["preview"]["changes"]) == {}, planned["preview"]

    old, new = edit
    source = (project / "main.py").read_text()
    assert old in source
    (project / "main.py").write_text(source.replace(old, new))
    updated = clockwork_json("apply", main, "--yes")
    assert changed(updated["changes"]) == {"update": 1}, updated["changes"]
    assert clockwork_json("assert", main)["failed"] == 0

    destroyed = clockwork_json("destroy", main, "--yes")
    assert destroyed["changes"].get("delete", 0) >= len(made)
    assert not any(path.exists() or path.is_symlink() for path in made)
    users_files["main.py"] = (project / "main.py").read_bytes()  # the edit was the user's
    assert snapshot(project) == users_files


def test_files_example_through_the_real_engine(tmp_path: Path) -> None:
    project = copy_example("files", tmp_path)
    site = project / "site"
    deploy_cycle(
        project, ("port = 8080", "port = 9090"), [site / "README.md", site / "site.conf", site]
    )
    # The changed content was written in place, and the whole folder went on destroy.
    assert not site.exists()


@pytest.fixture
def local_remote(tmp_path: Path) -> Path:
    """A bare repository with one commit on `master`, standing in for GitHub."""
    work = tmp_path / "upstream-work"
    work.mkdir()

    def git(*args: str, cwd: Path = work) -> None:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    git("init", "-q", "-b", "master")
    (work / "README.md").write_text("# fastapi stand-in\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "one")
    bare = tmp_path / "fastapi.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def test_git_files_example_through_the_real_engine(tmp_path: Path, local_remote: Path) -> None:
    project = copy_example("git-files", tmp_path)
    main = project / "main.py"
    main.write_text(
        main.read_text().replace("https://github.com/fastapi/fastapi.git", local_remote.as_uri())
    )
    clone = project / "vendor" / "fastapi"
    deploy_cycle(
        project,
        ("for reading its source.", "for reading its code."),
        [clone / "README.md", project / "VENDORED.md", project / "vendor"],
    )


def docker_plugin() -> EnginePlugin:
    return sdk_plugin("pulumi_docker")


def test_a_docker_project_without_its_plugin_fails_naming_it_before_deploying(
    tmp_path: Path,
) -> None:
    plugin = docker_plugin()
    if (EngineHome.default().plugin_dir(plugin) / plugin.binary).is_file():
        pytest.skip("the docker plugin is installed here")
    project = copy_example("webapp", tmp_path)
    result = clockwork("apply", str(project / "main.py"), "--yes", code=1)
    assert (
        f"the Pulumi resource plugin docker {plugin.version} (clockwork-docker) is not "
        "installed: run `clockwork setup`" in result.stderr
    )
    assert not (project / ".clockwork" / "state").exists()  # nothing was deployed
    planned = clockwork_json("plan", str(project / "main.py"))  # plan still shows it all
    assert "docker 5.2.0" in planned["preview_skipped"] and planned["pulumi_resources"]
