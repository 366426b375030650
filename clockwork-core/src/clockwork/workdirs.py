"""Folders Clockwork creates for a project, and their careful removal on destroy.

Before a deploy, every working folder a resource names that does not exist yet is
written to `<project>/.clockwork/manifest.json`. Destroy removes only folders listed
there, only when they are empty, and never the project folder, one of its parents,
anything outside it, or anything reached through a symlink.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ClockworkError
from .folders import missing_folders
from .resource import Resource

MANIFEST = Path(".clockwork") / "manifest.json"


def manifest_path(project_dir: Path) -> Path:
    return project_dir / MANIFEST


def read_created_dirs(project_dir: Path) -> list[str]:
    path = manifest_path(project_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("created_dirs", []), list):
        # Edited by hand? Guessing could remove the wrong folder: stop and say so.
        raise ClockworkError(f"{path} is not a Clockwork manifest: fix or remove it")
    return [str(p) for p in data.get("created_dirs", [])]


def _write_created_dirs(project_dir: Path, dirs: list[str]) -> None:
    path = manifest_path(project_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"created_dirs": dirs}, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def record_dirs_to_create(project_dir: Path, resources: Iterable[Resource]) -> list[str]:
    """Note each resource's working folder (and missing parents) that does not exist yet."""
    known = read_created_dirs(project_dir)
    for resource in resources:
        for folder in resource.working_directories():
            for missing in missing_folders(Path(folder)):
                if str(missing) not in known:
                    known.append(str(missing))
    _write_created_dirs(project_dir, known)
    return known


def refusal(folder: Path, project_dir: Path) -> str | None:
    """Why `folder` must not be removed, or None when it may go (if empty)."""
    project = project_dir.resolve()
    home = Path.home().resolve()
    if not folder.is_absolute():
        return "not an absolute path"
    if any(part.is_symlink() for part in [folder, *folder.parents] if part != Path("/")):
        return "reached through a symlink"
    resolved = folder.resolve()
    if resolved == project or project.is_relative_to(resolved):
        return "the project folder or one of its parents"
    if resolved in (Path("/"), home):
        return "the root or home folder"
    if not resolved.is_relative_to(project):
        return "outside the project folder"
    return None


@dataclass
class Cleanup:
    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # folder -> why it stays


def remove_created_dirs(project_dir: Path, *, dry_run: bool = False) -> Cleanup:
    """Remove the empty folders Clockwork created, deepest first."""
    cleanup = Cleanup()
    remaining = []
    for name in sorted(read_created_dirs(project_dir), key=lambda p: p.count(os.sep), reverse=True):
        folder = Path(name)
        why = refusal(folder, project_dir)
        if why is None and not folder.exists():
            continue  # already gone (e.g. the resource's provider removed it)
        if why is None and not folder.is_dir():
            why = "not a folder"  # replaced by a file since: iterdir() would fail
        if why is None and any(str(c) not in cleanup.removed for c in folder.iterdir()):
            why = "not empty"
        if why is not None:
            cleanup.kept[name] = why
            remaining.append(name)
            continue
        cleanup.removed.append(name)
        if not dry_run:
            folder.rmdir()
    if not dry_run:
        _write_created_dirs(project_dir, sorted(remaining))
    return cleanup
