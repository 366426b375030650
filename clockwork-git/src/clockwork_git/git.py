"""Running git: list arguments (never a shell), no prompts, clear one-line errors.

Light on purpose (subprocess only): the provider and the assertions both use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# Variables that would point git at some other repository than the one we name.
_REPO_OVERRIDES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


class GitError(Exception):
    """A git operation failed; the message is one line naming the clone or URL."""


class GitNotFoundError(GitError):
    """git is not installed (not on PATH)."""


class BranchNotFoundError(GitError):
    """The branch asked for does not exist on the remote."""


def git_executable(purpose: str) -> str:
    found = shutil.which("git")
    if found is None:
        raise GitNotFoundError(f"git is not on PATH: install git to {purpose}")
    return found


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


def refuse_option_like(*values: str) -> None:
    """Last line of defence: inputs are validated already, but no value may ever
    reach git as an option."""
    for value in values:
        if value.startswith("-"):
            raise GitError(f"refusing to pass {value!r} to git: it starts with '-'")


def run_git(
    args: list[str], *, cwd: Path | None = None, purpose: str = "run git", check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `git <args>`; with `check`, a failure raises GitError '<purpose> failed: ...'."""
    env = {key: value for key, value in os.environ.items() if key not in _REPO_OVERRIDES}
    # Never wait for a password on a terminal nobody watches; stable English messages.
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    command = [git_executable(purpose), "-c", "protocol.ext.allow=never", *args]
    # A new session has no controlling terminal: ssh fails instead of waiting on a
    # host-key or passphrase prompt nobody will answer.
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise GitError(f"{purpose} failed: {last_line(result.stderr)}")
    return result


def output_of(args: list[str], *, cwd: Path | None = None, purpose: str = "run git") -> str:
    return run_git(args, cwd=cwd, purpose=purpose).stdout.strip()


# ----- questions about a local clone ---------------------------------------------------


def is_clone_root(dest: Path) -> bool:
    """`dest` is the top of a git work tree (not a folder inside some other repo)."""
    if dest.is_symlink() or not dest.is_dir():
        return False
    result = run_git(
        ["rev-parse", "--show-toplevel"], cwd=dest, check=False, purpose=f"inspect {dest}"
    )
    if result.returncode != 0:
        return False
    return Path(result.stdout.strip()).resolve() == dest.resolve()


def head_commit(dest: Path) -> str | None:
    result = run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=dest,
        check=False,
        purpose=f"read HEAD of {dest}",
    )
    return result.stdout.strip() or None


def current_branch(dest: Path) -> str | None:
    """The checked-out branch, None when HEAD is detached."""
    result = run_git(
        ["symbolic-ref", "--quiet", "--short", "HEAD"],
        cwd=dest,
        check=False,
        purpose=f"read the branch of {dest}",
    )
    return result.stdout.strip() or None


def origin_url(dest: Path) -> str | None:
    result = run_git(
        ["config", "--get", "remote.origin.url"],
        cwd=dest,
        check=False,
        purpose=f"read the remote of {dest}",
    )
    return result.stdout.strip() or None


def has_ref(dest: Path, ref: str) -> bool:
    result = run_git(
        ["show-ref", "--verify", "--quiet", ref],
        cwd=dest,
        check=False,
        purpose=f"look up {ref} in {dest}",
    )
    return result.returncode == 0


# ----- questions about a remote --------------------------------------------------------


def remote_branch_commit(
    remote: str, branch: str, *, cwd: Path | None = None, purpose: str
) -> str | None:
    """The commit `branch` points to on `remote` (URL, or remote name with `cwd`);
    None when the remote has no such branch."""
    refuse_option_like(remote, branch)
    result = run_git(
        ["ls-remote", "--exit-code", "--", remote, f"refs/heads/{branch}"],
        cwd=cwd,
        check=False,
        purpose=purpose,
    )
    if result.returncode == 2:  # reached the remote, no matching ref
        return None
    if result.returncode != 0:
        raise GitError(f"{purpose} failed: {last_line(result.stderr)}")
    return result.stdout.split()[0]


def remote_default_branch(remote: str, *, cwd: Path | None = None, purpose: str) -> str:
    """The branch the remote's HEAD points to (what a clone without --branch gets)."""
    refuse_option_like(remote)
    listing = output_of(["ls-remote", "--symref", "--", remote, "HEAD"], cwd=cwd, purpose=purpose)
    for line in listing.splitlines():
        target, _, ref = line.partition("\t")
        if target.startswith("ref: refs/heads/") and ref == "HEAD":
            return target.removeprefix("ref: refs/heads/")
    raise GitError(f"{purpose} failed: {remote} has no default branch (empty repository?)")
