"""The files plugin's policies on what the AI chooses (registered in plugin.py).

None judges a value the user set: a user may well want a `.env` or a `755` script.
An AI-chosen name or folder must not land a file where it changes how tools behave
(`.env` re-routes the API key, `.git/hooks` runs on commit, a `*.py` beside main.py
runs with it), nor write through a symlink; an AI-chosen mode is never setuid,
setgid, sticky or world-writable, and never executable unless the user allows it
(by switching `files.executable` off).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePath

from clockwork.policies import Finding, Policy, PolicyContext, refused_by_ai
from clockwork.resource import Resource

from .resource import FileResource
from .specs import parse_mode

LOCK_FILE = "clockwork.lock"


def _ai_parts(resource: FileResource) -> list[tuple[str, str]]:
    """(field, path part) for each part of the file's place the AI chose."""
    parts: list[tuple[str, str]] = []
    ai = resource.ai_filled_fields
    if resource.path is not None:
        return parts  # a full path is the user's alone
    if "directory" in ai and resource.directory is not None:
        parts += [("directory", part) for part in PurePath(resource.directory).parts]
    if "name" in ai and resource.name is not None:
        parts.append(("name", resource.name))
    return parts


def _sensitive_part(part: str) -> str | None:
    if part.startswith(".") and part not in (".", ".."):
        if part.startswith(".env"):
            return "an environment file that settings are read from"
        return "a dotfile or dot-folder (.git, .clockwork, tool settings)"
    if part == LOCK_FILE:
        return "Clockwork's lock file"
    return None


def check_sensitive_path(resource: Resource, context: PolicyContext) -> list[Finding]:
    if not isinstance(resource, FileResource):
        return []
    for field, part in _ai_parts(resource):
        why = _sensitive_part(part)
        if why is not None:
            return [refused_by_ai(field, f"the AI chose {part!r}, {why}")]
    if "name" in resource.ai_filled_fields and resource.path is None and resource.name:
        folder = resource.resolved_path().parent
        if _same_folder(folder, resource.project_dir) and resource.name.endswith(".py"):
            return [
                refused_by_ai("name", f"the AI chose {resource.name!r}, Python code beside main.py")
            ]
    return []


def _same_folder(first: Path, second: Path) -> bool:
    return Path(first).resolve() == Path(second).resolve()


def check_symlink(resource: Resource, context: PolicyContext) -> list[Finding]:
    """No part of the place the AI chose is a symlink (it may lead anywhere)."""
    if not isinstance(resource, FileResource) or resource.path is not None:
        return []
    ai = resource.ai_filled_fields
    if not ({"directory", "name"} & ai):
        return []
    current = resource.project_dir
    walked: list[tuple[str, Path]] = []
    for part in PurePath(resource.directory or ".").parts:
        current = current / part
        walked.append(("directory", current))
    walked.append(("name" if "name" in ai else "directory", current / (resource.name or "")))
    for field, place in walked:
        # The folders the user chose are the user's; from the AI's first choice on, none.
        if field in ai and place.is_symlink():
            return [refused_by_ai(field, f"the AI's choice reaches {place}, a symlink")]
    return []


SPECIAL_BITS = 0o7000
WORLD_WRITABLE = 0o002
EXECUTABLE = 0o111


def _ai_mode(resource: Resource) -> int | None:
    if not isinstance(resource, FileResource) or "mode" not in resource.ai_filled_fields:
        return None
    return None if resource.mode is None else parse_mode(resource.mode)


def check_mode(resource: Resource, context: PolicyContext) -> list[Finding]:
    mode = _ai_mode(resource)
    if mode is None:
        return []
    if mode & SPECIAL_BITS:
        return [refused_by_ai("mode", f"the AI chose {mode:04o}: setuid, setgid or sticky")]
    if mode & WORLD_WRITABLE:
        return [refused_by_ai("mode", f"the AI chose {mode:04o}: writable by anyone")]
    return []


def check_executable(resource: Resource, context: PolicyContext) -> list[Finding]:
    mode = _ai_mode(resource)
    if mode is None or not mode & EXECUTABLE:
        return []
    return [refused_by_ai("mode", f"the AI chose {mode:04o}: executable")]


def policies() -> Iterable[tuple[str, Policy]]:
    yield (
        "files.sensitive-path",
        Policy(
            "AI-chosen file places avoid .env*, .git, .clockwork, clockwork.lock, dotfiles "
            "and *.py beside main.py",
            check_sensitive_path,
        ),
    )
    yield ("files.symlink", Policy("AI-chosen file places go through no symlink", check_symlink))
    yield (
        "files.mode",
        Policy("AI-chosen modes: no setuid, setgid or sticky bit, not world-writable", check_mode),
    )
    yield (
        "files.executable",
        Policy("AI-chosen modes are not executable (switch off to allow)", check_executable),
    )
