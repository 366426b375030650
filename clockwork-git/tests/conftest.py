"""Fixtures: a real bare git repository with branches `main` and `dev`, and a git
configuration that lets tests commit without touching the user's own."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import clockwork_git.plugin
from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    clockwork_project,
    fresh_settings,
    no_model_requests,
    plugin_host,
    skip_without_pulumi_cli,
)
from clockwork_git.testing import isolate_git_config


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(autouse=True)
def isolated_git_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits work without a global config; the user's config cannot change results."""
    isolate_git_config(monkeypatch, tmp_path_factory.mktemp("gitconfig"))


@dataclass
class Remote:
    """A bare repository and a working clone used to push new commits to it."""

    bare: Path
    work: Path

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def sha(self, branch: str) -> str:
        return git("rev-parse", f"refs/heads/{branch}", cwd=self.bare)

    def push_commit(self, branch: str, file_name: str, text: str = "new\n") -> str:
        if git("symbolic-ref", "--short", "HEAD", cwd=self.work) != branch:
            git("checkout", "--quiet", branch, cwd=self.work)
        (self.work / file_name).write_text(text)
        git("add", file_name, cwd=self.work)
        git("commit", "--quiet", "-m", f"add {file_name}", cwd=self.work)
        git("push", "--quiet", "origin", branch, cwd=self.work)
        return self.sha(branch)


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    bare, work = tmp_path / "remote.git", tmp_path / "remote-work"
    git("-c", "init.defaultBranch=main", "init", "--quiet", "--bare", str(bare))
    git("clone", "--quiet", str(bare), str(work))
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=work)  # the first commit goes to main
    repo = Remote(bare, work)
    repo.push_commit("main", "README.md", "main branch\n")
    git("checkout", "--quiet", "-b", "dev", cwd=work)
    repo.push_commit("dev", "DEV.md", "dev branch\n")
    return repo


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project folder: resources built in a test take it as their project_dir."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def git_plugin() -> Iterator[object]:
    with plugin_host(clockwork_git.plugin, distribution="clockwork-git") as host:
        yield host
