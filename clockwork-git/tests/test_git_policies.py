"""The git plugin's policies on AI-chosen repository URLs."""

from __future__ import annotations

import pytest

from clockwork.policies import PolicyContext
from clockwork.settings import Settings
from clockwork_git import GitRepoResource
from clockwork_git.policies import policies


def judged(url: str, *, by_ai: bool = True, **settings: object) -> list[str]:
    resource = GitRepoResource(name="repo", repo_url=url, dest="repo")
    if by_ai:
        resource.mark_ai_filled("repo_url")
    context = PolicyContext(Settings(**settings), resource.project_dir)  # type: ignore[arg-type]
    return [
        f"{name}: {finding.message}"
        for name, policy in policies()
        for finding in policy.check(resource, context)
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/fastapi/fastapi.git",
        "ssh://git@github.com/fastapi/fastapi.git",
        "git@github.com:fastapi/fastapi.git",
    ],
)
def test_https_and_ssh_urls_are_fine(url: str) -> None:
    assert judged(url) == []


@pytest.mark.parametrize(
    "url", ["http://github.com/a/b.git", "git://github.com/a/b.git", "file:///srv/b", "./b"]
)
def test_other_schemes_the_ai_chose_are_refused(url: str) -> None:
    (found,) = judged(url)
    assert found.startswith("git.url-scheme: ")


def test_credentials_in_an_ai_url_are_refused_and_never_quoted() -> None:
    (found,) = judged("https://bob:tok-canary-42@github.com/a/b.git")
    assert found.startswith("git.url-credentials: ")
    assert "tok-canary-42" not in found


def test_hosts_can_be_limited() -> None:
    assert judged("git@gitlab.com:a/b.git", ai_git_hosts=["github.com"])[0].startswith(
        "git.url-host: "
    )
    assert judged("https://GitHub.com/a/b.git", ai_git_hosts=["github.com"]) == []


def test_the_users_url_is_the_users() -> None:
    assert judged("http://bob:tok@example.com/a/b.git", by_ai=False) == []
