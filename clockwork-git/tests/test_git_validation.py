"""Bad input is refused when the resource (or assertion) is built, before any git runs."""

from __future__ import annotations

import subprocess

import pytest

from clockwork import ResourceValidationError
from clockwork_git import GitRepoClonedAssert, GitRepoResource
from clockwork_git.specs import (
    check_branch_name,
    check_repo_url,
    has_credentials,
    redacted,
    remote_key,
    same_remote,
)

GOOD_URLS = [
    "https://github.com/fastapi/fastapi.git",
    "http://git.example.com/repo",
    "ssh://git@github.com/fastapi/fastapi.git",
    "git://example.com/repo.git",
    "git@github.com:fastapi/fastapi.git",
    "github.com:fastapi/fastapi",
    "file:///srv/git/repo.git",
    "/srv/git/repo.git",
    "./vendor/repo",
    "../repo.git",
    "~/code/repo",
]

BAD_URLS = [
    "--upload-pack=touch /tmp/pwned",
    "-oProxyCommand=evil",
    "ext::sh -c touch% /tmp/pwned",
    "fd::17",
    "ssh://-oProxyCommand=evil/repo",
    "https://-host/repo",
    "ftp://example.com/repo.git",
    "the FastAPI repository",
    "github.com/fastapi/fastapi",
    "https://exa mple.com/repo",
    "https://example.com/repo\n--upload-pack=x",
    " https://example.com/repo",
    "",
    "git@host:-oProxyCommand=x",
]

# Names that git itself judges; '@' is left out: git expands it to HEAD, we refuse it.
BRANCH_NAMES = [
    "main",
    "dev",
    "feature/login",
    "release-1.2",
    "a@b",
    "ü",
    "x/HEAD",
    "-x",
    "--upload-pack=touch /tmp/pwned",
    "a b",
    "a..b",
    "a/.b",
    ".hidden",
    "a.lock",
    "a/b.lock/c",
    "a/",
    "/a",
    "a//b",
    "a.",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "a@{b",
    "@{-1}",
    "HEAD",
    "a\tb",
    "",
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_good_urls_are_accepted(url):
    assert check_repo_url(url) == url
    assert GitRepoResource(repo_url=url, dest="x").repo_url == url


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused_at_construction(url):
    with pytest.raises(ResourceValidationError, match="field 'repo_url'"):
        GitRepoResource(name="repo", repo_url=url)


@pytest.mark.parametrize("name", BRANCH_NAMES)
def test_branch_names_are_judged_like_git_does(name, tmp_path):
    by_git = (
        subprocess.run(
            ["git", "check-ref-format", "--branch", name], cwd=tmp_path, capture_output=True
        ).returncode
        == 0
    )
    try:
        check_branch_name(name)
        by_us = True
    except ValueError:
        by_us = False
    assert by_us == by_git


@pytest.mark.parametrize(
    "name", ["@", "HEAD", "--upload-pack=touch /tmp/pwned", "-b", "a b", "a..b"]
)
def test_bad_branches_are_refused_at_construction(name):
    with pytest.raises(ResourceValidationError, match="field 'branch'"):
        GitRepoResource(repo_url="https://example.com/repo.git", branch=name)


def test_an_assignment_is_validated_too():
    repo = GitRepoResource(description="the FastAPI repository")
    with pytest.raises(ValueError, match="starts with '-'"):
        repo.repo_url = "--upload-pack=evil"
    with pytest.raises(ValueError):
        repo.branch = "-f"


@pytest.mark.parametrize("dest", ["", "   ", "a\0b"])
def test_bad_dest_is_refused(dest):
    with pytest.raises(ResourceValidationError, match="field 'dest'"):
        GitRepoResource(repo_url="https://example.com/repo.git", dest=dest)


def test_a_url_or_a_description_is_needed():
    with pytest.raises(ResourceValidationError, match="repo_url"):
        GitRepoResource(name="repo")


def test_assertion_fields_are_validated():
    with pytest.raises(ValueError):
        GitRepoClonedAssert(repo_url="--upload-pack=evil")
    with pytest.raises(ValueError):
        GitRepoClonedAssert(branch="a..b")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://github.com/a/b.git", "https://github.com/a/b"),
        ("https://github.com/a/b/", "https://github.com/a/b.git"),
        ("file:///srv/repo.git", "/srv/repo.git"),
        ("/srv/./repo.git", "/srv/repo.git"),
    ],
)
def test_same_remote_in_other_spellings(first, second):
    assert same_remote(first, second)


GITHUB_SPELLINGS = [
    "https://github.com/o/r.git",
    "https://github.com/o/r",
    "https://github.com/o/r/",
    "https://github.com/o/r.git/",
    "https://GitHub.COM/o/r.git",
    "https://github.com:443/o/r",
    "http://github.com/o/r",
    "https://user:t0ken@github.com/o/r.git",
    "https://t0ken@github.com/o/r",
    "git@github.com:o/r.git",
    "git@github.com:o/r",
    "github.com:o/r.git",
    "git@github.com:/o/r.git",
    "ssh://git@github.com/o/r",
    "ssh://git@github.com:22/o/r.git",
    "git+ssh://git@github.com/o/r.git",
    "git://github.com/o/r.git",
    "https://github.com//o//r.git",
]


@pytest.mark.parametrize("url", GITHUB_SPELLINGS)
def test_one_repository_spelled_many_ways_has_one_key(url):
    """Before: compared as strings (less '.git' and '/'): https and ssh, a host's case
    or a token in the URL made another repository, and so a replace."""
    assert remote_key(url) == ("github.com", "o/r")
    assert same_remote(url, "git@github.com:o/r.git")


@pytest.mark.parametrize(
    "other",
    [
        "https://github.com/o/other.git",
        "https://github.com/other/r.git",
        "https://gitlab.com/o/r.git",
        "https://github.com/O/R.git",  # the path's case is the server's business
        "ssh://git@github.com:2222/o/r.git",
        "https://github.com/o/r/sub.git",
        "/o/r",
    ],
)
def test_other_repositories_differ(other):
    assert not same_remote("https://github.com/o/r.git", other)


def test_different_remotes_differ():
    assert not same_remote("https://github.com/a/b.git", "https://github.com/a/c.git")


def test_a_local_repository_has_one_key_however_it_is_reached(tmp_path, monkeypatch):
    bare = tmp_path / "srv" / "r.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    (tmp_path / "link").symlink_to(tmp_path / "srv")
    monkeypatch.chdir(tmp_path)
    spellings = [
        str(bare),
        f"{bare}/",
        str(tmp_path / "srv" / "r"),
        bare.as_uri(),
        f"file://{tmp_path}/srv/r",
        str(tmp_path / "srv" / "." / "r.git"),
        str(tmp_path / "link" / "r.git"),
        "./srv/r.git",
        "srv/r",
    ]
    keys = {remote_key(url) for url in spellings}
    assert keys == {("", str(bare.resolve()))}
    assert remote_key("../r.git", base=tmp_path / "srv" / "sub") == ("", str(bare.resolve()))


def test_a_work_tree_and_its_git_folder_are_one_repository(tmp_path):
    work = tmp_path / "work"
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    assert same_remote(str(work), str(work / ".git"))
    assert same_remote(str(work), f"{work}/")


def test_two_local_repositories_named_alike_stay_apart(tmp_path):
    """Both r and r.git exist: each is its own repository (git opens the one named)."""
    for name in ("r", "r.git"):
        subprocess.run(["git", "init", "--quiet", "--bare", str(tmp_path / name)], check=True)
    assert not same_remote(str(tmp_path / "r"), str(tmp_path / "r.git"))


def test_a_local_repository_that_is_gone_is_named_by_its_spelling(tmp_path):
    gone = tmp_path / "gone.git"
    assert same_remote(str(gone), str(tmp_path / "gone"))
    assert same_remote(gone.as_uri(), f"{gone}/")
    assert not same_remote(str(gone), str(tmp_path / "other.git"))


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://user:s3cret@example.com/r.git", True),
        ("https://ghp_token@github.com/o/r.git", True),
        ("ssh://git:pw@example.com/r.git", True),
        ("ssh://git@example.com/r.git", False),
        ("git@github.com:o/r.git", False),
        ("https://github.com/o/r.git", False),
        ("/srv/git/r.git", False),
    ],
)
def test_credentials_are_told_apart(url, secret):
    assert has_credentials(url) is secret


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:s3cret@example.com/r.git", "https://user:***@example.com/r.git"),
        ("https://s3cret@example.com:8443/r", "https://***@example.com:8443/r"),
        ("ssh://git@example.com/r.git", "ssh://git@example.com/r.git"),
        ("git@example.com:r.git", "git@example.com:r.git"),
        ("https://example.com/r.git", "https://example.com/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_credentials_in_a_url_are_masked_for_messages(url, shown):
    assert redacted(url) == shown


def test_a_refused_url_does_not_show_its_password():
    with pytest.raises(ResourceValidationError) as caught:
        GitRepoResource(repo_url="https://user:s3cret@exa mple.com/repo", dest="x")
    assert "s3cret" not in str(caught.value)
