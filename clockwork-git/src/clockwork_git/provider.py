"""The Pulumi dynamic provider that clones and updates git repositories.

Safety rules: a dest that already exists is only used when it is an empty folder or
already a clone of the same repository; anything else is refused and left untouched.
On delete, only a clone Clockwork made is removed, and only while it is still a git
work tree whose remote is the repository it was cloned from, still at the place it was
cloned to (never through a symlink put in its place), and without work that exists
nowhere else (uncommitted changes, untracked files, unpushed commits, stashes) unless
the user asked for it with `--force`. Repository URLs are compared by what they name
(specs.remote_key), never by spelling. A dest changed only in case, on a
case-insensitive file system, is the same folder: renamed in place, never cloned anew
or deleted by its old spelling.
"""

from __future__ import annotations

import os
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

from clockwork.folders import force_requested, make_parents, remove_empty_folders
from clockwork.spelling import respell, respelled_on_disk, same_entry_respelled

from . import git
from .git import BranchNotFoundError, GitError
from .specs import redacted, same_remote

# Outputs next to the inputs (repo_url, dest, branch, pull, present). `branch` is
# overwritten with the branch actually checked out; the one asked for stays in
# `requested_branch` (None: the remote's default branch). `real_dest` is where the
# clone really is (symlinks resolved) when Clockwork made it.
OUTPUT_KEYS = (
    "commit",
    "requested_branch",
    "remote_url",
    "created",
    "adopted",
    "kept_folder",
    "created_dirs",
    "real_dest",
)
# May hold a password or token (https://user:TOKEN@host/...): secret in the state.
SECRET_OUTPUTS = ("repo_url", "remote_url")


class DestExistsError(GitError):
    """dest holds something that is not a clone of the repository: left untouched."""


class RefusedDeleteError(GitError):
    """dest is no longer the clone Clockwork made: not deleted."""


class UnsavedWorkError(RefusedDeleteError):
    """The clone holds work that exists nowhere else: kept (unless forced)."""


# ----- folders ---------------------------------------------------------------------------


def empty_folder(path: Path) -> None:
    """Delete what is inside `path` (never what a symlink in it points to)."""
    if path.is_symlink():
        raise RefusedDeleteError(f"refusing to empty {path}: it is now a symlink")
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


# ----- git steps -------------------------------------------------------------------------


def is_clone_of(dest: Path, url: str) -> bool:
    """dest is the top of a work tree whose origin is the repository `url` names (a
    relative origin is git's, taken from the work tree)."""
    remote = git.origin_url(dest) if git.is_clone_root(dest) else None
    return remote is not None and same_remote(remote, url, base=dest)


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
    git.run_git(["fetch", "--quiet", "--prune", "origin"], cwd=dest, purpose=f"git fetch in {dest}")
    target = branch or git.remote_default_branch(
        "origin", cwd=dest, purpose=f"reading the default branch for {dest}"
    )
    git.refuse_option_like(target)
    if not git.has_ref(dest, f"refs/remotes/origin/{target}"):
        raise BranchNotFoundError(f"branch {target!r} does not exist on the remote of {dest}")
    if git.current_branch(dest) != target:
        # With '--' the name is a branch, never a path; DWIM makes a tracking branch.
        git.run_git(
            ["checkout", "--quiet", target, "--"],
            cwd=dest,
            purpose=f"git checkout {target} in {dest}",
        )
    if pull:
        git.run_git(
            ["merge", "--ff-only", "--quiet", f"refs/remotes/origin/{target}"],
            cwd=dest,
            purpose=f"fast-forwarding {dest} to origin/{target}",
        )


def observed(dest: Path) -> dict[str, Any]:
    return {
        "commit": git.head_commit(dest),
        "branch": git.current_branch(dest),
        "remote_url": git.origin_url(dest),
    }


def unsaved_work(dest: Path) -> str | None:
    """What in the clone exists nowhere else, said in words ('2 uncommitted changes and
    1 unpushed commit'); None when there is nothing. Ignored files do not count."""
    purpose = f"checking {dest} for work that is not pushed"
    status = git.output_of(
        ["status", "--porcelain", "--untracked-files=all"], cwd=dest, purpose=purpose
    ).splitlines()
    untracked = sum(line.startswith("??") for line in status)
    # Commits on no remote-tracking branch: on local branches, or a detached HEAD.
    heads = ["HEAD", "--branches"] if git.head_commit(dest) else ["--branches"]
    unpushed = int(
        git.output_of(
            ["rev-list", "--count", *heads, "--not", "--remotes"], cwd=dest, purpose=purpose
        )
        or 0
    )
    stashes = 0
    if git.has_ref(dest, "refs/stash"):
        stashes = int(
            git.output_of(
                ["rev-list", "--walk-reflogs", "--count", "refs/stash"], cwd=dest, purpose=purpose
            )
            or 0
        )
    found = [
        counted(len(status) - untracked, "uncommitted change"),
        counted(untracked, "untracked file"),
        counted(unpushed, "unpushed commit"),
        counted(stashes, "stash", "stashes"),
    ]
    said = [words for words in found if words]
    if not said:
        return None
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def counted(count: int, one: str, many: str | None = None) -> str:
    if not count:
        return ""
    return f"{count} {one if count == 1 else (many or one + 's')}"


# ----- states ----------------------------------------------------------------------------


def absent_state(props: dict[str, Any]) -> dict[str, Any]:
    return {
        **props,
        "commit": None,
        "requested_branch": props.get("branch"),
        "remote_url": None,
        "created": False,
        "adopted": False,
        "kept_folder": False,
        "created_dirs": [],
        "real_dest": None,
    }


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
    return {
        **absent_state(props),
        **observed(dest),
        "created": True,
        "kept_folder": kept_folder,
        "created_dirs": created_dirs,
        "real_dest": os.path.realpath(dest),
    }


def undo_folder(dest: Path, kept_folder: bool, created_dirs: list[str]) -> None:
    """Remove what a clone made: the folder (or its content, when it existed empty)."""
    if kept_folder:
        empty_folder(dest)
    elif dest.exists() and not dest.is_symlink():
        shutil.rmtree(dest)  # never follows a symlink inside the clone
    remove_empty_folders(created_dirs)  # none when one was replaced by a symlink


def symlink_in_the_way(dest: Path, state: dict[str, Any]) -> str | None:
    """Why deleting dest would reach through a symlink, or None: dest or a folder
    Clockwork made above it is now a link, or dest now resolves elsewhere than where
    it was cloned."""
    for path in [*(Path(folder) for folder in state.get("created_dirs") or []), dest]:
        if path.is_symlink():
            return f"{path} is now a symlink to {os.readlink(path)}"
    real, recorded = os.path.realpath(dest), state.get("real_dest")
    if recorded and real != recorded:
        return f"it now leads to {real} through a symlink, not to {recorded}"
    return None


def remove_clone(dest: Path, state: dict[str, Any]) -> None:
    """Delete the clone Clockwork made; refuse when it is not that clone anymore, or
    when it holds work that exists nowhere else (unless `--force`)."""
    if not state.get("created"):
        return  # not ours (adopted, pre-existing or never cloned): leave it
    created_dirs = state.get("created_dirs") or []
    if not dest.exists() and not dest.is_symlink():
        remove_empty_folders(created_dirs)
        return
    if respelled_on_disk(dest):
        # Renamed since, in case only (a case-insensitive file system): by the
        # resource that holds it now, or by the user. Not the folder cloned here.
        return
    if (link := symlink_in_the_way(dest, state)) is not None:
        raise RefusedDeleteError(
            f"refusing to delete {dest}: {link}; Clockwork never deletes through a "
            "symlink: delete or move it yourself"
        )
    url = state["repo_url"]
    if not is_clone_of(dest, url):
        raise RefusedDeleteError(
            f"refusing to delete {dest}: it is no longer a git clone of {redacted(url)}; "
            "delete or move it yourself"
        )
    if not force_requested() and (work := unsaved_work(dest)) is not None:
        raise UnsavedWorkError(
            f"{dest} has {work}; kept it: commit and push, or run with --force to delete it"
        )
    undo_folder(dest, bool(state.get("kept_folder")), created_dirs)


# ----- the provider ----------------------------------------------------------------------


class GitRepoProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        if not props.get("present", True):
            return CreateResult(props["dest"], absent_state(props))  # nothing to do
        return CreateResult(props["dest"], ensure_clone(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """What is at dest now (refresh): its commit, branch and remote; no id when the
        clone is gone, or dest is no longer a clone of repo_url, so the next apply
        clones it again (or says what is in the way)."""
        if not props.get("present", True):
            return ReadResult(id_, props)  # nothing of ours to look at
        dest = dest_of(id_, props)
        git.git_executable(f"read the state of {dest}")
        if not is_clone_of(dest, props["repo_url"]):
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **observed(dest)})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = []
        if not same_url(olds.get("repo_url"), news.get("repo_url")):
            replaces.append("repo_url")  # another repository; a respelling is an update
        moved = olds.get("dest") != news.get("dest")
        # A case-only change naming the same folder (a case-insensitive file system)
        # is an update that respells it: a replace would adopt the clone under the new
        # spelling, then delete the old spelling, which is that same clone.
        respelled = moved and same_entry_respelled(dest_of(id_, olds), Path(news["dest"]))
        if moved and not respelled:
            replaces.append("dest")
        if replaces:
            # Same folder: the old clone must go before the new one can be made.
            same_dest = "dest" not in replaces
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=same_dest)
        return DiffResult(changes=respelled or self._needs_update(olds, news), replaces=[])

    def _needs_update(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        if olds.get("requested_branch") != news.get("branch"):
            return True
        if olds.get("repo_url") != news.get("repo_url"):
            return True  # respelled (or a new token): recorded, and origin set to it
        if any(olds.get(key) != news.get(key) for key in ("pull", "present")):
            return True
        if not news.get("present", True):
            return False
        wanted = news.get("branch")
        if wanted and olds.get("branch") != wanted:
            return True  # someone checked out another branch since
        return bool(news.get("pull", True)) and remote_moved(olds, news)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        was, dest = dest_of(id_, olds), Path(news["dest"])
        if not news.get("present", True):
            remove_clone(was, olds)
            return UpdateResult(absent_state(news))
        real_dest = olds.get("real_dest")
        respelled = was != dest and same_entry_respelled(was, dest)
        if respelled and not was.is_symlink():
            # The folder takes the spelling the user now writes (it stays where it is).
            if real_dest == os.path.realpath(was):
                real_dest = os.path.realpath(dest)
            respell(was, dest)
        # A clone whose origin is no longer repo_url (the folder was replaced, or its
        # remote re-pointed) is not fetched, checked out or merged into: ensure_clone
        # refuses it untouched, as delete does.
        if not olds.get("present", True) or not is_clone_of(dest, news["repo_url"]):
            return UpdateResult(ensure_clone(news))
        git.git_executable(f"update {dest}")
        if olds.get("created"):
            respell_origin(dest, olds.get("repo_url"), news["repo_url"])
        sync(dest, news.get("branch"), bool(news.get("pull", True)))
        kept = {key: olds.get(key) for key in ("created", "adopted", "kept_folder", "created_dirs")}
        return UpdateResult(
            {**absent_state(news), **kept, "real_dest": real_dest, **observed(dest)}
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        remove_clone(dest_of(id_, props), props)


def dest_of(id_: str, state: dict[str, Any]) -> Path:
    """The folder a state is about: its `dest` (the id is the dest it was created at,
    which a case-only respelling does not change)."""
    return Path(state.get("dest") or id_)


def same_url(old: str | None, new: str | None) -> bool:
    return old == new or (old is not None and new is not None and same_remote(old, new))


def respell_origin(dest: Path, old_url: str | None, url: str) -> None:
    """repo_url names the same repository another way (ssh instead of https, a new
    token): point the origin of Clockwork's clone at it, for the next fetch. An origin
    the user set themselves (not the URL Clockwork cloned from) is theirs: kept."""
    if old_url == url or git.origin_url(dest) != old_url:
        return
    git.refuse_option_like(url)
    git.run_git(
        ["remote", "set-url", "origin", url],
        cwd=dest,
        purpose=f"setting the remote of {dest} to {redacted(url)}",
    )


def remote_moved(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """The remote branch points elsewhere than the clone's HEAD. When the remote cannot
    be asked, say yes: the update then reports the problem instead of hiding it."""
    url, branch = news["repo_url"], news.get("branch") or olds.get("branch")
    if not branch or not olds.get("commit"):
        return True
    try:
        tip = git.remote_branch_commit(
            url, branch, purpose=f"checking {redacted(url)} for new commits"
        )
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
    real_dest: pulumi.Output[str]

    def __init__(
        self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        outputs = dict.fromkeys(OUTPUT_KEYS)
        super().__init__(GitRepoProvider(), name, {**inputs, **outputs}, opts)
