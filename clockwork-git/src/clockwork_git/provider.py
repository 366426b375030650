"""The Pulumi dynamic provider that clones and updates git repositories.

Safety rules: a dest that already exists is only used when it is an empty folder or
already a clone of the same repository; anything else is refused and left untouched.
On delete, only a clone Clockwork made is removed, and only while it is still a git
work tree whose remote is the repository it was cloned from.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from clockwork.folders import make_parents, remove_empty_folders

from . import git
from .git import BranchNotFoundError, GitError
from .validation import redacted, same_remote

# Outputs next to the inputs (repo_url, dest, branch, pull, present). `branch` is
# overwritten with the branch actually checked out; the one asked for stays in
# `requested_branch` (None: the remote's default branch).
OUTPUT_KEYS = ("commit", "requested_branch", "remote_url", "created", "adopted",
               "kept_folder", "created_dirs")


class DestExistsError(GitError):
    """dest holds something that is not a clone of the repository: left untouched."""


class RefusedDeleteError(GitError):
    """dest is no longer the clone Clockwork made: not deleted."""


# ----- folders ---------------------------------------------------------------------------


def empty_folder(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


# ----- git steps -------------------------------------------------------------------------


def is_clone_of(dest: Path, url: str) -> bool:
    remote = git.origin_url(dest) if git.is_clone_root(dest) else None
    return remote is not None and same_remote(remote, url)


def clone(url: str, dest: Path, branch: str | None) -> None:
    """`git clone [--branch B] -- URL DEST`; a missing branch is reported as such."""
    git.refuse_option_like(url, *([branch] if branch else []))
    shown = redacted(url)
    purpose = f"git clone of {shown} into {dest}"
    if branch and git.remote_branch_commit(url, branch, purpose=purpose) is None:
        raise BranchNotFoundError(
            f"branch {branch!r} does not exist on {shown} (clone into {dest})"
        )
    args = ["clone", "--quiet", *(["--branch", branch] if branch else []), "--", url, str(dest)]
    git.run_git(args, purpose=purpose)


def sync(dest: Path, branch: str | None, pull: bool) -> None:
    """Fetch, check out `branch` (default: the remote's) and fast-forward it when `pull`.

    Fast-forwarding merges the commit just fetched (`merge --ff-only`, what
    `pull --ff-only` does after its fetch) so a pull.rebase setting cannot change it."""
    git.run_git(["fetch", "--quiet", "--prune", "origin"], cwd=dest,
                purpose=f"git fetch in {dest}")
    target = branch or git.remote_default_branch("origin", cwd=dest,
                                                 purpose=f"reading the default branch for {dest}")
    git.refuse_option_like(target)
    if not git.has_ref(dest, f"refs/remotes/origin/{target}"):
        raise BranchNotFoundError(f"branch {target!r} does not exist on the remote of {dest}")
    if git.current_branch(dest) != target:
        # With '--' the name is a branch, never a path; DWIM makes a tracking branch.
        git.run_git(["checkout", "--quiet", target, "--"], cwd=dest,
                    purpose=f"git checkout {target} in {dest}")
    if pull:
        git.run_git(["merge", "--ff-only", "--quiet", f"refs/remotes/origin/{target}"],
                    cwd=dest, purpose=f"fast-forwarding {dest} to origin/{target}")


def observed(dest: Path) -> dict[str, Any]:
    return {"commit": git.head_commit(dest), "branch": git.current_branch(dest),
            "remote_url": git.origin_url(dest)}


# ----- states ----------------------------------------------------------------------------


def absent_state(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "commit": None, "requested_branch": props.get("branch"),
            "remote_url": None, "created": False, "adopted": False, "kept_folder": False,
            "created_dirs": []}


def ensure_clone(props: dict[str, Any]) -> dict[str, Any]:
    """Clone (or adopt an existing clone of the same repository); return the state."""
    dest, url, branch = Path(props["dest"]), props["repo_url"], props.get("branch")
    git.git_executable(f"clone {redacted(url)} into {dest}")
    if is_clone_of(dest, url):
        sync(dest, branch, props.get("pull", True))  # the user's clone: used, never deleted
        return {**absent_state(props), **observed(dest), "adopted": True}
    if dest.exists() or dest.is_symlink():
        if not is_empty_folder(dest):
            raise DestExistsError(
                f"{dest} already exists and is not a clone of {redacted(url)}; Clockwork leaves it "
                "untouched: move it away or choose another dest"
            )
        kept_folder, created_dirs = True, []
    else:
        kept_folder, created_dirs = False, make_parents(dest)
    try:
        clone(url, dest, branch)
    except BaseException:
        undo_folder(dest, kept_folder, created_dirs)
        raise
    return {**absent_state(props), **observed(dest), "created": True,
            "kept_folder": kept_folder, "created_dirs": created_dirs}


def undo_folder(dest: Path, kept_folder: bool, created_dirs: list[str]) -> None:
    """Remove what a clone made: the folder (or its content, when it existed empty)."""
    if kept_folder:
        empty_folder(dest)
    elif dest.exists() and not dest.is_symlink():
        shutil.rmtree(dest)
    remove_empty_folders(created_dirs)


def remove_clone(dest: Path, state: dict[str, Any]) -> None:
    """Delete the clone Clockwork made; refuse when it is not that clone anymore."""
    if not state.get("created"):
        return  # not ours (adopted, pre-existing or never cloned): leave it
    if not dest.exists() and not dest.is_symlink():
        remove_empty_folders(state.get("created_dirs") or [])
        return
    url = state["repo_url"]
    if not is_clone_of(dest, url):
        raise RefusedDeleteError(
            f"refusing to delete {dest}: it is no longer a git clone of {redacted(url)}; "
            "delete or move it yourself"
        )
    undo_folder(dest, bool(state.get("kept_folder")), state.get("created_dirs") or [])


# ----- the provider ----------------------------------------------------------------------


class GitRepoProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        if not props.get("present", True):
            return CreateResult(props["dest"], absent_state(props))  # nothing to do
        return CreateResult(props["dest"], ensure_clone(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("present", True):
            return ReadResult(id_, props)
        dest = Path(id_)
        if not git.is_clone_root(dest):
            return ReadResult(None, {})  # gone: Pulumi will clone it again
        return ReadResult(id_, {**props, **observed(dest)})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in ("repo_url", "dest") if olds.get(key) != news.get(key)]
        if replaces:
            # Same folder: the old clone must go before the new one can be made.
            same_dest = olds.get("dest") == news.get("dest")
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=same_dest)
        return DiffResult(changes=self._needs_update(olds, news), replaces=[])

    def _needs_update(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        if olds.get("requested_branch") != news.get("branch"):
            return True
        if any(olds.get(key) != news.get(key) for key in ("pull", "present")):
            return True
        if not news.get("present", True):
            return False
        wanted = news.get("branch")
        if wanted and olds.get("branch") != wanted:
            return True  # someone checked out another branch since
        return bool(news.get("pull", True)) and remote_moved(olds, news)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        dest = Path(id_)
        if not news.get("present", True):
            remove_clone(dest, olds)
            return UpdateResult(absent_state(news))
        # A clone whose origin is no longer repo_url (the folder was replaced, or its
        # remote re-pointed) is not fetched, checked out or merged into: ensure_clone
        # refuses it untouched, as delete does.
        if not olds.get("present", True) or not is_clone_of(dest, news["repo_url"]):
            return UpdateResult(ensure_clone(news))
        git.git_executable(f"update {dest}")
        sync(dest, news.get("branch"), bool(news.get("pull", True)))
        kept = {key: olds.get(key) for key in ("created", "adopted", "kept_folder",
                                                 "created_dirs")}
        return UpdateResult({**absent_state(news), **kept, **observed(dest)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        remove_clone(Path(id_), props)


def remote_moved(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """The remote branch points elsewhere than the clone's HEAD. When the remote cannot
    be asked, say yes: the update then reports the problem instead of hiding it."""
    url, branch = news["repo_url"], news.get("branch") or olds.get("branch")
    if not branch or not olds.get("commit"):
        return True
    try:
        tip = git.remote_branch_commit(url, branch, purpose=f"checking {url} for new commits")
    except GitError:
        return True
    return tip != olds["commit"]


class GitRepo(Resource, module="clockwork", name="GitRepo"):
    repo_url: pulumi.Output[str]
    dest: pulumi.Output[str]
    branch: pulumi.Output[str]
    pull: pulumi.Output[bool]
    present: pulumi.Output[bool]
    commit: pulumi.Output[str]
    requested_branch: pulumi.Output[str]
    remote_url: pulumi.Output[str]
    created: pulumi.Output[bool]
    adopted: pulumi.Output[bool]
    kept_folder: pulumi.Output[bool]
    created_dirs: pulumi.Output[list]

    def __init__(self, name: str, inputs: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None):
        outputs = dict.fromkeys(OUTPUT_KEYS)
        super().__init__(GitRepoProvider(), name, {**inputs, **outputs}, opts)
