"""The dynamic provider, run for real against a local bare repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clockwork.folders import FORCE_ENV
from clockwork_git.git import BranchNotFoundError, GitError, GitNotFoundError
from clockwork_git.provider import (
    DestExistsError,
    GitRepoProvider,
    RefusedDeleteError,
    UnsavedWorkError,
    empty_folder,
)


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def props(remote, dest: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "repo_url": remote.url,
        "dest": str(dest),
        "branch": None,
        "pull": True,
        "present": True,
        **overrides,
    }


@pytest.fixture
def provider() -> GitRepoProvider:
    return GitRepoProvider()


def head(dest: Path) -> str:
    return git("rev-parse", "HEAD", cwd=dest)


def branch_of(dest: Path) -> str:
    return git("symbolic-ref", "--short", "HEAD", cwd=dest)


# ----- create ----------------------------------------------------------------------------


def test_create_clones_the_branch(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    result = provider.create(props(remote, dest, branch="dev"))
    assert result.id == str(dest)
    assert result.outs["commit"] == remote.sha("dev") == head(dest)
    assert result.outs["branch"] == "dev" == branch_of(dest)
    assert result.outs["created"] is True
    assert (dest / "DEV.md").is_file()


def test_create_without_branch_takes_the_default_branch(provider, remote, tmp_path):
    dest = tmp_path / "nested" / "clone"
    outs = provider.create(props(remote, dest)).outs
    assert outs["branch"] == "main"
    assert outs["requested_branch"] is None
    assert outs["commit"] == remote.sha("main")
    assert outs["created_dirs"] == [str(tmp_path / "nested")]
    assert not (dest / "DEV.md").exists()


def test_missing_branch_is_a_clear_error_and_leaves_nothing(provider, remote, tmp_path):
    dest = tmp_path / "nested" / "clone"
    with pytest.raises(BranchNotFoundError) as caught:
        provider.create(props(remote, dest, branch="nope"))
    message = str(caught.value)
    assert "'nope' does not exist" in message and str(dest) in message
    assert "\n" not in message
    assert not (tmp_path / "nested").exists()


def test_clone_failure_shows_gits_last_line_and_leaves_nothing(provider, tmp_path):
    dest = tmp_path / "nested" / "clone"
    missing = tmp_path / "no-such-repo.git"
    with pytest.raises(GitError) as caught:
        provider.create(
            {"repo_url": str(missing), "dest": str(dest), "pull": True, "present": True}
        )
    message = str(caught.value)
    assert message.startswith(f"git clone of {missing} into {dest} failed: ")
    assert "does not" in message and "\n" not in message  # git's own last stderr line
    assert not (tmp_path / "nested").exists()


def test_a_password_in_the_url_never_shows_in_errors(provider, tmp_path):
    secret_url = "http://user:s3cret@127.0.0.1:1/repo.git"  # nothing listens on port 1
    with pytest.raises(GitError) as failed_clone:
        provider.create(
            {"repo_url": secret_url, "dest": str(tmp_path / "clone"), "pull": True, "present": True}
        )
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    with pytest.raises(DestExistsError) as refused:
        provider.create({"repo_url": secret_url, "dest": str(taken), "pull": True, "present": True})
    for error in (failed_clone.value, refused.value):
        assert "s3cret" not in str(error)
        assert "http://user:***@127.0.0.1:1/repo.git" in str(error)


def test_existing_dest_with_other_content_is_refused_untouched(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    with pytest.raises(DestExistsError, match="already exists and is not a clone"):
        provider.create(props(remote, dest))
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    assert (dest / "notes.txt").read_text() == "mine\n"


def test_existing_file_as_dest_is_refused(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    dest.write_text("a file\n")
    with pytest.raises(DestExistsError):
        provider.create(props(remote, dest))
    assert dest.read_text() == "a file\n"


def test_clone_of_another_repository_is_refused(provider, remote, tmp_path):
    dest = tmp_path / "other"
    git("init", "--quiet", str(dest))
    git("remote", "add", "origin", "https://example.invalid/other.git", cwd=dest)
    with pytest.raises(DestExistsError):
        provider.create(props(remote, dest))
    assert git("config", "--get", "remote.origin.url", cwd=dest).endswith("other.git")


def test_empty_folder_is_cloned_into_and_kept_on_delete(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    dest.mkdir()
    outs = provider.create(props(remote, dest)).outs
    assert outs["created"] is True and outs["kept_folder"] is True
    assert (dest / "README.md").is_file()
    provider.delete(str(dest), outs)
    assert dest.is_dir() and not any(dest.iterdir())


def test_an_existing_clone_of_the_same_repo_is_adopted_and_never_deleted(
    provider, remote, tmp_path
):
    dest = tmp_path / "clone"
    git("clone", "--quiet", remote.url, str(dest))
    outs = provider.create(props(remote, dest, branch="dev")).outs
    assert outs["created"] is False and outs["adopted"] is True
    assert outs["branch"] == "dev"
    provider.delete(str(dest), outs)
    assert (dest / ".git").is_dir()


def test_git_missing_from_path_is_a_clear_error(provider, remote, tmp_path, monkeypatch):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    dest = tmp_path / "clone"
    with pytest.raises(GitNotFoundError, match="git is not on PATH"):
        provider.create(props(remote, dest))
    assert not dest.exists()


# ----- read ------------------------------------------------------------------------------


def test_read_reports_commit_branch_and_remote(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest, branch="dev")).outs
    read = provider.read(str(dest), outs)
    assert read.id == str(dest)
    assert read.outs["commit"] == remote.sha("dev")
    assert read.outs["branch"] == "dev"
    assert read.outs["remote_url"] == remote.url


def test_read_of_a_removed_dest_has_no_id(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    git("rev-parse", "HEAD", cwd=dest)
    shutil.rmtree(dest)
    read = provider.read(str(dest), outs)
    assert read.id is None and read.outs == {}


def test_read_sees_what_changed_in_the_clone_since_deploy(provider, remote, tmp_path):
    """Refresh relies on it: the state follows the clone, not the last deploy."""
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    git("checkout", "--quiet", "dev", cwd=dest)
    (dest / "LOCAL.md").write_text("local\n")
    git("add", "LOCAL.md", cwd=dest)
    git("commit", "--quiet", "-m", "local", cwd=dest)
    read = provider.read(str(dest), outs)
    assert read.id == str(dest)
    assert read.outs["branch"] == "dev" and read.outs["commit"] == head(dest)
    assert read.outs["commit"] != remote.sha("dev")
    kept = ("repo_url", "dest", "requested_branch", "created", "created_dirs", "real_dest")
    assert {key: read.outs[key] for key in kept} == {key: outs[key] for key in kept}
    git("checkout", "--quiet", "--detach", cwd=dest)
    assert provider.read(str(dest), outs).outs["branch"] is None


def test_read_of_a_dest_that_is_now_another_repository_has_no_id(provider, remote, tmp_path):
    """Before: it reported the other repository's commit as if it were the clone."""
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    git("remote", "set-url", "origin", "https://example.invalid/other.git", cwd=dest)
    assert provider.read(str(dest), outs).id is None
    shutil.rmtree(dest)
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    assert provider.read(str(dest), outs).id is None
    assert (dest / "notes.txt").read_text() == "mine\n"


def test_read_of_a_dest_replaced_by_a_symlink_has_no_id(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    moved = tmp_path / "moved"
    dest.rename(moved)
    dest.symlink_to(moved)
    assert provider.read(str(dest), outs).id is None


def test_read_finds_the_clone_whatever_spelling_the_state_has(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest, repo_url=str(remote.bare))).outs
    respelled = {**outs, "repo_url": str(remote.bare).removesuffix(".git") + "/"}
    assert provider.read(str(dest), respelled).id == str(dest)


def test_read_of_an_absent_clone_reports_the_state_as_it_is(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest, present=False)).outs
    read = provider.read(str(dest), outs)
    assert read.id == str(dest) and read.outs == outs


# ----- diff and update -------------------------------------------------------------------


def test_pull_after_the_remote_moved(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    assert provider.diff(str(dest), outs, props(remote, dest)).changes is False
    new_commit = remote.push_commit("main", "NEW.md")
    diff = provider.diff(str(dest), outs, props(remote, dest))
    assert diff.changes is True and not diff.replaces
    updated = provider.update(str(dest), outs, props(remote, dest)).outs
    assert updated["commit"] == new_commit == head(dest)
    assert (dest / "NEW.md").is_file()
    assert updated["created"] is True  # still Clockwork's clone


def test_no_pull_leaves_the_clone_where_it_is(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest, pull=False)).outs
    old = head(dest)
    remote.push_commit("main", "NEW.md")
    assert provider.diff(str(dest), outs, props(remote, dest, pull=False)).changes is False
    updated = provider.update(str(dest), outs, props(remote, dest, pull=False)).outs
    assert updated["commit"] == old == head(dest)


def test_branch_change_is_an_update_that_checks_out(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    news = props(remote, dest, branch="dev")
    diff = provider.diff(str(dest), outs, news)
    assert diff.changes is True and not diff.replaces
    updated = provider.update(str(dest), outs, news).outs
    assert updated["branch"] == "dev" == branch_of(dest)
    assert updated["commit"] == remote.sha("dev")
    assert updated["requested_branch"] == "dev"


def test_update_to_a_missing_branch_is_a_clear_error(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    with pytest.raises(BranchNotFoundError, match="'nope' does not exist"):
        provider.update(str(dest), outs, props(remote, dest, branch="nope"))
    assert branch_of(dest) == "main"


def test_diverged_clone_cannot_be_fast_forwarded(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    (dest / "LOCAL.md").write_text("local\n")
    git("add", "LOCAL.md", cwd=dest)
    git("commit", "--quiet", "-m", "local", cwd=dest)
    remote.push_commit("main", "NEW.md")
    with pytest.raises(GitError, match=f"fast-forwarding {dest} to origin/main failed"):
        provider.update(str(dest), outs, props(remote, dest))


def test_update_leaves_a_clone_whose_remote_changed_untouched(provider, remote, tmp_path):
    """The user re-pointed origin to another repository: no fetch, checkout or merge."""
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    other = tmp_path / "other.git"
    git("clone", "--quiet", "--bare", str(remote.bare), str(other))  # has `dev` too
    git("remote", "set-url", "origin", other.as_uri(), cwd=dest)
    with pytest.raises(DestExistsError, match="is not a clone of"):
        provider.update(str(dest), outs, props(remote, dest, branch="dev", pull=False))
    assert branch_of(dest) == "main"
    assert git("branch", "--list", "dev", cwd=dest) == ""


@pytest.mark.parametrize(
    "respell",
    [
        lambda remote: str(remote.bare),
        lambda remote: str(remote.bare).removesuffix(".git"),
        lambda remote: str(remote.bare) + "/",
        lambda remote: f"file://{remote.bare.parent}/./{remote.bare.name}",
    ],
)
def test_the_same_repository_spelled_otherwise_is_an_update_not_a_replace(
    provider, remote, tmp_path, respell
):
    """Before: repo_url was compared as a string: the clone was deleted and made again."""
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    (dest / "MARKER.txt").write_text("the user's\n")
    news = props(remote, dest, repo_url=respell(remote))
    diff = provider.diff(str(dest), outs, news)
    assert diff.replaces == [] and diff.changes is True
    updated = provider.update(str(dest), outs, news).outs
    assert updated["repo_url"] == news["repo_url"] == git("config", "remote.origin.url", cwd=dest)
    assert updated["created"] is True and updated["real_dest"] == outs["real_dest"]
    assert (dest / "MARKER.txt").read_text() == "the user's\n"
    assert provider.diff(str(dest), updated, news).changes is False


def test_an_origin_the_user_respelled_is_kept(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    theirs = str(remote.bare).removesuffix(".git")
    git("remote", "set-url", "origin", theirs, cwd=dest)
    news = props(remote, dest, repo_url=str(remote.bare))
    assert provider.update(str(dest), outs, news).outs["repo_url"] == str(remote.bare)
    assert git("config", "remote.origin.url", cwd=dest) == theirs


def test_an_adopted_clone_keeps_its_own_spelling_of_the_remote(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    git("clone", "--quiet", remote.url, str(dest))
    outs = provider.create(props(remote, dest)).outs
    news = props(remote, dest, repo_url=str(remote.bare))
    assert provider.diff(str(dest), outs, news).replaces == []
    provider.update(str(dest), outs, news)
    assert git("config", "remote.origin.url", cwd=dest) == remote.url


def test_another_local_repository_is_a_replace(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    other = tmp_path / "other.git"
    git("clone", "--quiet", "--bare", str(remote.bare), str(other))
    diff = provider.diff(str(dest), outs, props(remote, dest, repo_url=str(other)))
    assert diff.replaces == ["repo_url"] and diff.delete_before_replace is True


def test_url_or_dest_change_replaces(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    other_url = provider.diff(
        str(dest), outs, {**props(remote, dest), "repo_url": "https://example.invalid/x.git"}
    )
    assert other_url.replaces == ["repo_url"] and other_url.delete_before_replace is True
    other_dest = provider.diff(str(dest), outs, props(remote, tmp_path / "elsewhere"))
    assert other_dest.replaces == ["dest"] and other_dest.delete_before_replace is False


# ----- delete ----------------------------------------------------------------------------


def test_delete_removes_the_clone_clockwork_made(provider, remote, tmp_path):
    dest = tmp_path / "nested" / "clone"
    outs = provider.create(props(remote, dest)).outs
    provider.delete(str(dest), outs)
    assert not dest.exists()
    assert not (tmp_path / "nested").exists()


def test_delete_leaves_a_dest_clockwork_did_not_create(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    git("clone", "--quiet", remote.url, str(dest))
    state = {**props(remote, dest), "created": False}
    provider.delete(str(dest), state)
    assert (dest / "README.md").is_file()


def test_delete_refuses_a_clone_whose_remote_changed(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    git("remote", "set-url", "origin", "https://example.invalid/other.git", cwd=dest)
    with pytest.raises(RefusedDeleteError, match=f"refusing to delete {dest}"):
        provider.delete(str(dest), outs)
    assert (dest / "README.md").is_file()


def test_delete_refuses_a_folder_that_is_no_longer_a_clone(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    shutil.rmtree(dest / ".git")
    with pytest.raises(RefusedDeleteError):
        provider.delete(str(dest), outs)
    assert (dest / "README.md").is_file()


def test_delete_of_a_dest_already_gone_succeeds(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    shutil.rmtree(dest)
    provider.delete(str(dest), outs)
    assert not dest.exists()


def commit_locally(dest: Path, name: str = "LOCAL.md") -> None:
    (dest / name).write_text("local\n")
    git("add", name, cwd=dest)
    git("commit", "--quiet", "-m", f"local {name}", cwd=dest)


@pytest.mark.parametrize(
    ("make_work", "found"),
    [
        (lambda dest: (dest / "README.md").write_text("edited\n"), "1 uncommitted change"),
        (lambda dest: (dest / "README.md").unlink(), "1 uncommitted change"),
        (
            lambda dest: [
                (dest / "new" / "deep").mkdir(parents=True),
                (dest / "new" / "deep" / "a.txt").write_text("a"),
                (dest / "b.txt").write_text("b"),
            ],
            "2 untracked files",
        ),
        (
            lambda dest: [
                (dest / "staged.txt").write_text("s"),
                git("add", "staged.txt", cwd=dest),
            ],
            "1 uncommitted change",
        ),
        (
            lambda dest: [commit_locally(dest, "A.md"), commit_locally(dest, "B.md")],
            "2 unpushed commits",
        ),
        (
            lambda dest: [git("checkout", "--quiet", "--detach", cwd=dest), commit_locally(dest)],
            "1 unpushed commit",
        ),
        (
            lambda dest: [
                git("checkout", "--quiet", "-b", "topic", cwd=dest),
                commit_locally(dest),
                git("checkout", "--quiet", "main", cwd=dest),
            ],
            "1 unpushed commit",
        ),
        (
            lambda dest: [
                (dest / "README.md").write_text("stashed\n"),
                git("stash", "--quiet", cwd=dest),
            ],
            "1 stash",
        ),
    ],
)
def test_delete_keeps_a_clone_with_work_that_exists_nowhere_else(
    provider, remote, tmp_path, make_work, found
):
    """Before: the clone was deleted, and the work in it with it."""
    dest = tmp_path / "nested" / "clone"
    outs = provider.create(props(remote, dest)).outs
    make_work(dest)
    with pytest.raises(UnsavedWorkError) as caught:
        provider.delete(str(dest), outs)
    assert str(caught.value) == (
        f"{dest} has {found}; kept it: commit and push, or run with --force to delete it"
    )
    assert (dest / ".git").is_dir()


def test_the_refusal_counts_everything_in_one_line(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    (dest / "README.md").write_text("edited\n")
    (dest / "notes.txt").write_text("mine\n")
    commit_locally(dest, "A.md")
    commit_locally(dest, "B.md")
    (dest / "A.md").write_text("edited too\n")
    with pytest.raises(
        UnsavedWorkError,
        match=("has 2 uncommitted changes, 1 untracked file and 2 unpushed commits; kept it"),
    ):
        provider.delete(str(dest), outs)
    assert (dest / "notes.txt").is_file()


def test_present_false_keeps_a_clone_with_work_too(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    (dest / "notes.txt").write_text("mine\n")
    with pytest.raises(UnsavedWorkError, match="1 untracked file"):
        provider.update(str(dest), outs, props(remote, dest, present=False))
    assert (dest / "notes.txt").read_text() == "mine\n"


def test_a_pushed_clone_and_ignored_files_do_not_hold_the_delete(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    commit_locally(dest)
    git("push", "--quiet", "origin", "main", cwd=dest)
    (dest / ".git" / "info" / "exclude").write_text("build/\n")
    (dest / "build").mkdir()
    (dest / "build" / "out.o").write_text("generated")
    provider.delete(str(dest), outs)
    assert not dest.exists()


def test_force_deletes_a_clone_with_work(provider, remote, tmp_path, monkeypatch):
    dest = tmp_path / "nested" / "clone"
    outs = provider.create(props(remote, dest)).outs
    (dest / "notes.txt").write_text("mine\n")
    commit_locally(dest)
    monkeypatch.setenv(FORCE_ENV, "1")
    provider.delete(str(dest), outs)
    assert not (tmp_path / "nested").exists()


def test_force_still_never_deletes_another_repository(provider, remote, tmp_path, monkeypatch):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    git("remote", "set-url", "origin", "https://example.invalid/other.git", cwd=dest)
    monkeypatch.setenv(FORCE_ENV, "1")
    with pytest.raises(RefusedDeleteError, match="no longer a git clone"):
        provider.delete(str(dest), outs)
    assert (dest / "README.md").is_file()


def test_delete_accepts_the_remote_spelled_otherwise(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest, repo_url=str(remote.bare))).outs
    git("remote", "set-url", "origin", str(remote.bare).removesuffix(".git"), cwd=dest)
    provider.delete(str(dest), outs)
    assert not dest.exists()


# ----- symlinks: never deleted through ---------------------------------------------------


def clone_elsewhere(remote, where: Path) -> Path:
    """A clone of the same repository the user keeps somewhere else."""
    git("clone", "--quiet", remote.url, str(where))
    (where / "precious.txt").write_text("the user's\n")
    git("add", "precious.txt", cwd=where)
    git("commit", "--quiet", "-m", "precious", cwd=where)
    git("push", "--quiet", "origin", "main", cwd=where)  # nothing unpushed in it
    return where


def test_a_made_folder_replaced_by_a_symlink_is_never_deleted_through(provider, remote, tmp_path):
    """Before: rmtree followed the symlinked parent and deleted the user's clone."""
    dest = tmp_path / "vendor" / "clone"
    outs = provider.create(props(remote, dest)).outs
    shutil.rmtree(tmp_path / "vendor")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clone_elsewhere(remote, elsewhere / "clone")
    (tmp_path / "vendor").symlink_to(elsewhere)
    with pytest.raises(RefusedDeleteError) as caught:
        provider.delete(str(dest), outs)
    assert str(caught.value) == (
        f"refusing to delete {dest}: {tmp_path / 'vendor'} is now a symlink to {elsewhere}; "
        "Clockwork never deletes through a symlink: delete or move it yourself"
    )
    assert (elsewhere / "clone" / "precious.txt").read_text() == "the user's\n"
    assert (tmp_path / "vendor").is_symlink()


def test_a_parent_replaced_by_a_symlink_is_never_deleted_through(provider, remote, tmp_path):
    """A folder the user had (not made by Clockwork) is now a link: dest leads
    elsewhere than where it was cloned."""
    (tmp_path / "vendor").mkdir()
    dest = tmp_path / "vendor" / "clone"
    outs = provider.create(props(remote, dest)).outs
    assert outs["created_dirs"] == [] and outs["real_dest"] == str(dest.resolve())
    (tmp_path / "vendor").rename(tmp_path / "old-vendor")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clone_elsewhere(remote, elsewhere / "clone")
    (tmp_path / "vendor").symlink_to(elsewhere)
    with pytest.raises(RefusedDeleteError, match="now leads to .* through a symlink"):
        provider.delete(str(dest), outs)
    assert (elsewhere / "clone" / "precious.txt").is_file()


def test_dest_replaced_by_a_symlink_is_refused_and_the_link_kept(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    shutil.rmtree(dest)
    target = clone_elsewhere(remote, tmp_path / "elsewhere")
    dest.symlink_to(target)
    with pytest.raises(RefusedDeleteError, match=f"{dest} is now a symlink to {target}"):
        provider.delete(str(dest), outs)
    assert dest.is_symlink() and (target / "precious.txt").is_file()


def test_a_kept_folder_replaced_by_a_symlink_is_not_emptied(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    dest.mkdir()
    outs = provider.create(props(remote, dest)).outs
    assert outs["kept_folder"] is True
    shutil.rmtree(dest)
    target = clone_elsewhere(remote, tmp_path / "elsewhere")
    dest.symlink_to(target)
    with pytest.raises(RefusedDeleteError, match="symlink"):
        provider.delete(str(dest), outs)
    assert (target / "precious.txt").is_file() and (target / ".git").is_dir()
    with pytest.raises(RefusedDeleteError, match="is now a symlink"):
        empty_folder(dest)
    assert (target / "precious.txt").is_file()


def test_made_folders_behind_a_symlink_are_not_removed(provider, remote, tmp_path):
    """dest is gone and the folder made above it is now a link: what is behind the
    link (even an empty folder) is not Clockwork's."""
    dest = tmp_path / "a" / "b" / "clone"
    outs = provider.create(props(remote, dest)).outs
    assert outs["created_dirs"] == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]
    shutil.rmtree(tmp_path / "a")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "b").mkdir(parents=True)
    (tmp_path / "a").symlink_to(elsewhere)
    provider.delete(str(dest), outs)
    assert (elsewhere / "b").is_dir() and (tmp_path / "a").is_symlink()


# ----- present=False ---------------------------------------------------------------------


def test_absent_create_does_nothing(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    result = provider.create(props(remote, dest, present=False))
    assert result.outs["created"] is False and result.outs["commit"] is None
    assert not dest.exists()


def test_absent_leaves_a_pre_existing_dest(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    git("clone", "--quiet", remote.url, str(dest))
    outs = provider.create(props(remote, dest, present=False)).outs
    provider.delete(str(dest), outs)
    assert (dest / "README.md").is_file()


def test_present_toggle_removes_then_clones_again(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    absent = props(remote, dest, present=False)
    assert provider.diff(str(dest), outs, absent).changes is True
    gone = provider.update(str(dest), outs, absent).outs
    assert not dest.exists() and gone["created"] is False
    assert provider.diff(str(dest), gone, absent).changes is False
    back = provider.update(str(dest), gone, props(remote, dest)).outs
    assert back["created"] is True and head(dest) == remote.sha("main")


@pytest.mark.parametrize("field", ["repo_url", "branch"])
def test_provider_never_passes_an_option_to_git(provider, remote, tmp_path, field):
    """Even a value that skipped validation (e.g. edited state) cannot become an option."""
    marker = tmp_path / "pwned"
    dest = tmp_path / "clone"
    with pytest.raises(GitError, match="refusing to pass"):
        provider.create(props(remote, dest, **{field: f"--upload-pack=touch {marker}"}))
    assert not marker.exists() and not dest.exists()
