"""How a path is spelled on disk, for providers on case-insensitive file systems.

There (macOS and Windows by default, FAT, exFAT) `Readme.md` and `README.md` name one
file, and the folder lists it with the spelling it was last given. Whether two
spellings are one entry is asked of the file system (its folder listing), never
guessed from the operating system: one machine mixes both kinds of file system, and
inode numbers do not tell (FUSE file systems give each spelling its own).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path


def folded(name: str) -> str:
    """The caseless form of a name: what a case-insensitive file system compares."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def listed_name(folder: Path, name: str) -> str:
    """The folder's own spelling of its existing entry `name`: `name` itself when the
    folder lists it so (always, on a case-sensitive file system), else the one entry
    that differs only in case."""
    try:
        names = os.listdir(folder)
    except OSError:
        return name
    if name in names:
        return name
    same = [listed for listed in names if folded(listed) == folded(name)]
    return same[0] if len(same) == 1 else name


def on_disk_spelling(path: Path, below: Path | None = None) -> Path:
    """`path` with each existing component spelled as its folder lists it; what does
    not exist stays as asked. With `below` (a folder `path` is in), only the
    components under it are looked up: one listing per component."""
    if below is not None and path.is_relative_to(below):
        spelled, rest = below, path.relative_to(below).parts
    else:
        spelled, rest = Path(path.anchor), path.parts[1:] if path.anchor else path.parts
    for index, name in enumerate(rest):
        if name in (".", "..") or not os.path.lexists(spelled / name):
            return spelled.joinpath(*rest[index:])
        spelled = spelled / listed_name(spelled, name)
    return spelled


def respelled_on_disk(path: Path) -> bool:
    """`path` exists, but its folder lists it under another spelling (someone renamed
    it since, changing only case)."""
    return os.path.lexists(path) and listed_name(path.parent, path.name) != path.name


def same_entry_respelled(old: Path, new: Path) -> bool:
    """`old` and `new` are spelled differently but name one existing entry: a
    case-only change on a case-insensitive file system. On a case-sensitive one they
    are two names (of two files, or of one file and nothing)."""
    if old == new or len(old.parts) != len(new.parts):
        return False
    if any(folded(a) != folded(b) for a, b in zip(old.parts, new.parts, strict=True)):
        return False
    if not (os.path.lexists(old) and os.path.lexists(new)):
        return False
    common = shared_folder(old, new)
    return on_disk_spelling(old, below=common) == on_disk_spelling(new, below=common)


def shared_folder(a: Path, b: Path) -> Path | None:
    """The folder both are in that both spell alike (None: none)."""
    shared = []
    for part_a, part_b in zip(a.parts, b.parts, strict=False):
        if part_a != part_b:
            break
        shared.append(part_a)
    return Path(*shared) if shared else None


def respell(old: Path, new: Path) -> None:
    """Give the entry `old` names (the same one as `new`) the spelling of `new`."""
    os.rename(old, new)
