"""The git plugin's policies on what the AI chooses (registered in plugin.py).

None judges a URL the user set. An AI-chosen `repo_url` goes over https or ssh only
(no plain http, git://, file:// or local path), to a host CW_AI_GIT_HOSTS allows
(default: any), and carries no credentials.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from clockwork.policies import Finding, Policy, PolicyContext, refused_by_ai
from clockwork.resource import Resource

from .resource import GitRepoResource
from .specs import has_credentials, redacted, scp_like_host

SECURE_SCHEMES = frozenset({"https", "ssh", "git+ssh", "ssh+git"})


def _ai_url(resource: Resource) -> str | None:
    if not isinstance(resource, GitRepoResource) or "repo_url" not in resource.ai_filled_fields:
        return None
    return resource.repo_url


def url_scheme(url: str) -> str | None:
    """'https', 'ssh' (an scp-like git@host:path too), ...; None for a local path."""
    if "://" in url:
        return urlsplit(url).scheme.lower()
    return "ssh" if scp_like_host(url) is not None else None


def url_host(url: str) -> str | None:
    if "://" in url:
        try:
            return (urlsplit(url).hostname or "").lower() or None
        except ValueError:
            return None
    host = scp_like_host(url)
    return host.lower() if host else None


def check_scheme(resource: Resource, context: PolicyContext) -> list[Finding]:
    url = _ai_url(resource)
    if url is None or url_scheme(url) in SECURE_SCHEMES:
        return []
    return [refused_by_ai("repo_url", f"the AI chose {redacted(url)!r}: only https or ssh URLs")]


def check_host(resource: Resource, context: PolicyContext) -> list[Finding]:
    url = _ai_url(resource)
    allowed = [host.lower() for host in context.settings.ai_git_hosts]
    if url is None or not allowed:
        return []
    if url_host(url) in allowed:
        return []
    return [
        refused_by_ai(
            "repo_url",
            f"the AI chose {redacted(url)!r}, not on a host CW_AI_GIT_HOSTS allows "
            f"({', '.join(allowed)})",
        )
    ]


def check_credentials(resource: Resource, context: PolicyContext) -> list[Finding]:
    url = _ai_url(resource)
    if url is None or not has_credentials(url):
        return []
    return [refused_by_ai("repo_url", f"the AI chose {redacted(url)!r}, which holds credentials")]


def policies() -> Iterable[tuple[str, Policy]]:
    yield ("git.url-scheme", Policy("AI-chosen repo URLs use https or ssh", check_scheme))
    yield (
        "git.url-host",
        Policy("AI-chosen repo URLs name a host CW_AI_GIT_HOSTS allows", check_host),
    )
    yield (
        "git.url-credentials",
        Policy("AI-chosen repo URLs hold no credentials", check_credentials),
    )
