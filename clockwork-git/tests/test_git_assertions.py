"""GitRepoClonedAssert against real clones made by the provider."""

from __future__ import annotations

import subprocess

import pytest

from clockwork import AssertionFailed
from clockwork_git import GitRepoClonedAssert, GitRepoResource
from clockwork_git.provider import GitRepoProvider


def clone_for(repo: GitRepoResource) -> dict:
    """Clone the way a deploy would, from the resource's own inputs."""
    props = {
        "repo_url": repo.clone_url(),
        "dest": str(repo.resolved_dest()),
        "branch": repo.branch,
        "pull": repo.pull,
        "present": repo.present,
    }
    return GitRepoProvider().create(props).outs


@pytest.fixture
def cloned(project, remote) -> GitRepoResource:
    repo = GitRepoResource(name="app", repo_url=remote.url, dest="app", branch="dev")
    clone_for(repo)
    return repo


def test_passes_on_the_clone_with_the_resources_defaults(cloned, remote):
    detail = GitRepoClonedAssert().check(cloned)
    assert "at dev" in detail and remote.sha("dev")[:12] in detail


def test_overrides_are_used(cloned, project, remote):
    assertion = GitRepoClonedAssert(
        dest=str(project / "app"), repo_url=str(remote.bare), branch="dev"
    )
    assert "is a clone of" in assertion.check(None)


def test_fails_on_the_wrong_branch(cloned):
    with pytest.raises(AssertionFailed, match="branch 'dev' checked out, not 'main'"):
        GitRepoClonedAssert(branch="main").check(cloned)


def test_fails_on_the_wrong_remote(cloned):
    with pytest.raises(AssertionFailed, match="not of https://example.com/other.git"):
        GitRepoClonedAssert(repo_url="https://example.com/other.git").check(cloned)


def test_fails_when_dest_is_missing(project, remote):
    repo = GitRepoResource(name="app", repo_url=remote.url, dest="never-cloned")
    with pytest.raises(AssertionFailed, match="never-cloned does not exist"):
        GitRepoClonedAssert().check(repo)


def test_fails_on_a_plain_folder(project, remote):
    (project / "plain").mkdir()
    with pytest.raises(AssertionFailed, match="is not a git clone"):
        GitRepoClonedAssert(dest="plain", repo_url=remote.url).check(None)


def test_fails_on_a_detached_head(cloned, remote):
    dest = cloned.resolved_dest()
    subprocess.run(["git", "checkout", "--quiet", "--detach"], cwd=dest, check=True)
    with pytest.raises(AssertionFailed, match="detached HEAD"):
        GitRepoClonedAssert().check(cloned)


def test_needs_a_dest_without_a_git_resource():
    with pytest.raises(AssertionFailed, match="no dest given"):
        GitRepoClonedAssert().check(None)


def test_a_password_in_the_remote_never_shows(cloned):
    secret_url = "https://user:s3cret@example.com/app.git"
    dest = cloned.resolved_dest()
    subprocess.run(["git", "remote", "set-url", "origin", secret_url], cwd=dest, check=True)
    detail = GitRepoClonedAssert(repo_url=secret_url).check(cloned)
    assert "s3cret" not in detail and "user:***@example.com" in detail
    with pytest.raises(AssertionFailed) as caught:
        GitRepoClonedAssert(repo_url="https://user:other-s3cret@example.com/x.git").check(cloned)
    assert "s3cret" not in str(caught.value)


def test_the_report_line_of_the_assertion_masks_a_password() -> None:
    check = GitRepoClonedAssert(repo_url="https://ada:s3cret@example.com/app.git", branch="main")
    assert "s3cret" not in check.describe()
    assert "ada:***@example.com" in check.describe()
