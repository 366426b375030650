"""Checks on repository URLs and branch names, done before anything runs git.

A value that git could read as an option (leading '-') or as a remote-helper command
(`ext::sh -c ...`) is refused here, so it never reaches a git command line.
"""

from __future__ import annotations

import os
import re
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator

NETWORK_SCHEMES = frozenset({"https", "http", "ssh", "git", "git+ssh", "ssh+git"})
LOCAL_PREFIXES = ("/", "./", "../", "~")
URL_FORMS = "https://, ssh://, git://, git@host:path, file:// or a path starting with /, ./ or ../"

# `[user@]host:path`, git's scp-like syntax: a colon before any slash.
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~+-]+@)?(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*):(?P<path>.+)$")
# `<transport>::<address>` makes git run a remote helper (ext:: runs any command).
_REMOTE_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_REF_FORBIDDEN_CHARS = frozenset(" ~^:?*[\\")


def _has_control_chars(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def check_repo_url(url: str) -> str:
    """Return `url` when it is a git URL or a local path; raise ValueError otherwise."""
    if not url or url != url.strip():
        raise ValueError("repository URL is empty or has surrounding spaces")
    if _has_control_chars(url):
        raise ValueError("repository URL contains control characters")
    if url.startswith("-"):
        raise ValueError(f"repository URL {url!r} starts with '-' (git would read an option)")
    if _REMOTE_HELPER.match(url):
        raise ValueError(f"repository URL {url!r} uses a remote-helper transport; use {URL_FORMS}")
    if "://" in url:
        _check_scheme_url(url)
    elif url.startswith(LOCAL_PREFIXES):
        pass  # a local path: any file name is fine
    elif (scp := _SCP_LIKE.match(url)) is not None:
        if " " in url or scp["path"].startswith("-"):
            raise ValueError(f"repository URL {url!r} is not a valid host:path")
    else:
        raise ValueError(f"{url!r} does not look like a git URL; use {URL_FORMS}")
    return url


def _check_scheme_url(url: str) -> None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not parts.path:
            raise ValueError(f"file URL {url!r} has no path")
        return
    if scheme not in NETWORK_SCHEMES:
        raise ValueError(f"repository URL scheme {scheme!r} is not supported; use {URL_FORMS}")
    if " " in url:
        raise ValueError(f"repository URL {redacted(url)!r} contains spaces")
    host = parts.hostname or ""
    # ssh://-oProxyCommand=... would reach ssh as an option.
    if not host or host.startswith("-") or (parts.username or "").startswith("-"):
        raise ValueError(f"repository URL {redacted(url)!r} has no valid host")


def check_branch_name(name: str) -> str:
    """Return `name` when `git check-ref-format --branch` would accept it as a branch
    name (and it is not HEAD or '@'); raise ValueError saying what is wrong otherwise."""
    problem = _branch_name_problem(name)
    if problem is not None:
        raise ValueError(f"branch {name!r} is not a valid branch name: {problem}")
    return name


def _branch_name_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-'"
    if name in ("HEAD", "@"):
        return "it names HEAD, not a branch"
    if _has_control_chars(name) or _REF_FORBIDDEN_CHARS.intersection(name):
        return "it contains a space, a control character or one of ~ ^ : ? * [ \\"
    for fragment in ("..", "@{", "//"):
        if fragment in name:
            return f"it contains {fragment!r}"
    if name.startswith("/") or name.endswith(("/", ".")):
        return "it starts or ends with '/' or ends with '.'"
    for component in name.split("/"):
        if component.startswith(".") or component.endswith(".lock"):
            return "a part starts with '.' or ends with '.lock'"
    return None


# What one repository is, however its URL is spelled: (host, path). host is '' for a
# local repository, whose path is then absolute and resolved.
RemoteKey = tuple[str, str]

_DEFAULT_PORTS = {"ssh": 22, "git+ssh": 22, "ssh+git": 22, "https": 443, "http": 80, "git": 9418}
# Where git looks for the repository a local path names, in git's own order.
_LOCAL_SUFFIXES = ("/.git", "", ".git/.git", ".git")


def remote_key(url: str, base: str | os.PathLike[str] | None = None) -> RemoteKey:
    """The repository `url` names, as a comparable (host, path) key.

    The host is lowercased and keeps only a port that is not its scheme's default; user
    names, passwords and tokens are dropped, and so are the scheme (https, ssh and
    scp-like `git@host:path` all reach the same repository), a leading and trailing '/'
    and a trailing '.git'. A local path or file:// URL becomes the absolute, resolved
    path of the repository git would open there (`r` finds `r.git`, as git does); a
    relative one is taken from `base` (default: the current folder)."""
    if url.lower().startswith("file://"):
        return "", _local_key(unquote(urlsplit(url).path), base)
    if "://" in url:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
            host = f"{host}:{port}"
        return host, _remote_path(unquote(parts.path))
    if not url.startswith(LOCAL_PREFIXES) and (scp := _SCP_LIKE.match(url)) is not None:
        return scp["host"].lower(), _remote_path(scp["path"])
    return "", _local_key(url, base)  # git reads anything else as a path


def _remote_path(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path).strip("/")
    return path.removesuffix(".git").rstrip("/")


def _local_key(path: str, base: str | os.PathLike[str] | None) -> str:
    path = os.path.expanduser(path).rstrip("/") or "/"
    # '..' folded first, as clone_url does: `sub/../r` is `r` even where sub is missing.
    path = os.path.normpath(
        os.path.join(os.fspath(base) if base is not None else os.getcwd(), path)
    )
    for suffix in _LOCAL_SUFFIXES:
        if os.path.exists(path + suffix):
            found = os.path.realpath(path + suffix)
            return found.removesuffix("/.git") or found  # a work tree's .git: the work tree
    # Not there (any more): the spelling alone, '.git' or not, names it.
    return os.path.realpath(path).removesuffix(".git")


def same_remote(first: str, second: str, base: str | os.PathLike[str] | None = None) -> bool:
    """Whether two URLs name the same repository (see remote_key)."""
    return remote_key(first, base) == remote_key(second, base)


def redacted(url: str) -> str:
    """`url` fit to print: a password or token in it is masked ('https://user:***@host/x',
    'https://***@host/x'). git hides them in its own messages; ours must not show them."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    if password is not None:
        userinfo = f"{username}:***"
    elif parts.scheme.lower() in ("http", "https"):
        userinfo = "***"  # a token alone as the user name: https://TOKEN@github.com/...
    else:
        return url  # ssh://git@host/...: a user name, nothing secret
    return parts._replace(netloc=f"{userinfo}@{host}").geturl()


def has_credentials(url: str) -> bool:
    """`url` carries a password or token (what `redacted` masks)."""
    return redacted(url) != url


def scp_like_host(url: str) -> str | None:
    """The host of git's scp-like syntax (`git@github.com:org/repo`), None for any
    other form (a scheme URL, a local path)."""
    if "://" in url or url.startswith(LOCAL_PREFIXES):
        return None
    match = _SCP_LIKE.match(url)
    return match["host"] if match else None


def repo_basename(url: str) -> str:
    """The folder name `git clone` would pick: the last path part without '.git'."""
    path = urlsplit(url).path if "://" in url else url
    last = re.split(r"[/:]", path.rstrip("/"))[-1]
    return last.removesuffix(".git")


# Field types that carry the checks, for every model that takes a URL or a branch.
RepoUrl = Annotated[str, AfterValidator(check_repo_url)]
BranchName = Annotated[str, AfterValidator(check_branch_name)]
