"""Assertions about git clones; a relative dest or local URL is taken from the project."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from clockwork import Assertion, AssertionFailed, Resource

from . import git
from .resource import GitRepoResource
from .specs import LOCAL_PREFIXES, BranchName, RepoUrl, redacted, same_remote


def _project_dir(resource: Resource | None) -> Path:
    return resource.project_dir if resource is not None else Path.cwd()


class GitRepoClonedAssert(Assertion):
    """dest is a git clone of repo_url with branch checked out. Each value defaults to
    the GitRepoResource the assertion is attached to."""

    dest: str | None = None
    repo_url: RepoUrl | None = None
    branch: BranchName | None = None
    timeout_seconds: float = Field(15.0, gt=0)

    def describe(self) -> str:
        """As core describes it, with a token or password in repo_url masked."""
        shown = (
            self
            if self.repo_url is None
            else self.model_copy(update={"repo_url": redacted(self.repo_url)})
        )
        return Assertion.describe(shown)

    def _dest(self, resource: Resource | None) -> Path:
        if self.dest is not None:
            path = Path(self.dest).expanduser()
            return path if path.is_absolute() else _project_dir(resource) / path
        if isinstance(resource, GitRepoResource):
            return resource.resolved_dest()
        raise AssertionFailed("no dest given and the resource is not a GitRepoResource")

    def _url(self, resource: Resource | None) -> str | None:
        if self.repo_url is not None:
            if not self.repo_url.startswith(LOCAL_PREFIXES):
                return self.repo_url
            path = Path(self.repo_url).expanduser()
            return os.path.normpath(path if path.is_absolute() else _project_dir(resource) / path)
        if isinstance(resource, GitRepoResource) and resource.repo_url is not None:
            return resource.clone_url()
        return None

    def _branch(self, resource: Resource | None) -> str | None:
        if self.branch is not None:
            return self.branch
        return resource.branch if isinstance(resource, GitRepoResource) else None

    def check(self, resource: Resource | None) -> str:
        dest, url, branch = self._dest(resource), self._url(resource), self._branch(resource)
        try:
            return _check_clone(dest, url, branch)
        except git.GitError as error:
            raise AssertionFailed(str(error)) from None


def _check_clone(dest: Path, url: str | None, branch: str | None) -> str:
    if not dest.exists():
        raise AssertionFailed(f"{dest} does not exist")
    if not git.is_clone_root(dest):
        raise AssertionFailed(f"{dest} is not a git clone")
    remote = git.origin_url(dest)
    if url is not None and (remote is None or not same_remote(remote, url)):
        found = redacted(remote) if remote else "no remote"
        raise AssertionFailed(f"{dest} is a clone of {found}, not of {redacted(url)}")
    checked_out = git.current_branch(dest)
    if branch is not None and checked_out != branch:
        found = f"branch {checked_out!r}" if checked_out else "a detached HEAD"
        raise AssertionFailed(f"{dest} has {found} checked out, not {branch!r}")
    commit = (git.head_commit(dest) or "no commit")[:12]
    shown = redacted(remote) if remote else "no remote"
    return f"{dest} is a clone of {shown} at {checked_out or 'detached HEAD'} ({commit})"
