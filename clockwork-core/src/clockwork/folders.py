"""Folders a provider creates, and removes again only when it made them and they are
empty: what plugins' providers and `clockwork destroy` share."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

# `--force` on apply and destroy reaches the providers, which the engine runs in other
# processes, through their environment.
FORCE_ENV = "CLOCKWORK_FORCE"


def force_requested() -> bool:
    """Whether the user passed `--force`: a provider may then delete what it would
    otherwise keep (a file edited since deploy, a clone with work in it)."""
    return os.environ.get(FORCE_ENV) == "1"


def missing_folders(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, outermost first."""
    missing = []
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and not folder.is_symlink():
        missing.append(folder)
        folder = folder.parent
    return list(reversed(missing))


def make_parents(path: Path) -> list[str]:
    """Create the missing folders above `path`; return them, outermost first, so the
    caller can record exactly what it made."""
    made = []
    for folder in missing_folders(path.parent):
        try:
            folder.mkdir()
        except FileExistsError:
            # Another resource of the same deploy made it a moment ago (the engine
            # creates resources in parallel): it is that one's to remove, not ours.
            if not folder.is_dir():
                raise
            continue
        made.append(str(folder))
    return made


def remove_empty_folders(created: list[str]) -> None:
    """Remove folders `make_parents` created, innermost first, while they are empty:
    anything someone else put inside keeps its folder (and the folders above it)."""
    if any(Path(folder).is_symlink() for folder in created):
        return  # the user put a link where a folder of ours was: nothing behind it is ours
    for folder in reversed(created):
        try:
            Path(folder).rmdir()
        except OSError:
            break


# ----- which project a command means -----------------------------------------------------


def main_py_path(main_path: str | Path | None) -> Path:
    """The main.py a MAIN_PY argument names: that file, or main.py in that folder."""
    path = Path(main_path or "main.py").expanduser().resolve()
    return path / "main.py" if path.is_dir() else path


def project_folder(main_path: str | Path | None, *, existing_project: bool = False) -> Path:
    """The project folder a MAIN_PY argument (a main.py, or a folder) names, without
    running anything. A mistyped folder is a usage error naming it, never its parent
    (`destroy typo --yes` must not destroy the project in the current folder). With
    `existing_project`, the folder must hold a main.py or a `.clockwork` folder (a
    project that has run) and a file must be a .py."""
    path = Path(main_path or "main.py").expanduser().resolve()
    if existing_project:
        if not path.exists():
            raise UsageError(f"{path}: no such project folder or main.py")
        if path.is_file() and path.suffix != ".py":
            raise UsageError(f"{path}: not a project folder or main.py")
    elif not path.exists() and path.suffix != ".py":
        raise UsageError(f"{path}: no such project folder")
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such project folder")
    if (
        existing_project
        and path.is_dir()
        and not ((folder / "main.py").is_file() or (folder / ".clockwork").is_dir())
    ):
        raise UsageError(f"{path}: not a Clockwork project folder (no main.py, no .clockwork)")
    return folder
