"""The dynamic provider, run for real against a local bare repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clockwork_git.git import BranchNotFoundError, GitError, GitNotFoundError
from clockwork_git.provider import DestExistsError, GitRepoProvider, RefusedDeleteError


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def props(remote, dest: Path, **overrides: Any) -> dict[str, Any]:
    return {"repo_url": remote.url, "dest": str(dest), "branch": None, "pull": True,
            "present": True, **overrides}


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
        provider.create({"repo_url": str(missing), "dest": str(dest), "pull": True,
                         "present": True})
    message = str(caught.value)
    assert message.startswith(f"git clone of {missing} into {dest} failed: ")
    assert "does not" in message and "\n" not in message  # git's own last stderr line
    assert not (tmp_path / "nested").exists()


def test_a_password_in_the_url_never_shows_in_errors(provider, tmp_path):
    secret_url = "http://user:s3cret@127.0.0.1:1/repo.git"  # nothing listens on port 1
    with pytest.raises(GitError) as failed_clone:
        provider.create({"repo_url": secret_url, "dest": str(tmp_path / "clone"),
                         "pull": True, "present": True})
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    with pytest.raises(DestExistsError) as refused:
        provider.create({"repo_url": secret_url, "dest": str(taken), "pull": True,
                         "present": True})
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
        provider, remote, tmp_path):
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
    assert provider.read(str(dest), outs).id is None


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


def test_url_or_dest_change_replaces(provider, remote, tmp_path):
    dest = tmp_path / "clone"
    outs = provider.create(props(remote, dest)).outs
    other_url = provider.diff(str(dest), outs, {**props(remote, dest),
                                                "repo_url": "https://example.invalid/x.git"})
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
