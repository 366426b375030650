"""The Pulumi dynamic provider that writes files.

Writes are atomic (temp file in the same folder, then rename). On delete it removes
only the file it wrote and the folders it had to create, when they are empty; a file
that already existed with the same content is adopted and left in place on delete;
one with other content is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from clockwork.folders import make_parents, remove_empty_folders

from .resource import parse_mode


def write_atomically(path: Path, content: str, mode: int) -> None:
    """Readers see the old file or the new one, never half of it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _state(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**props, "sha256": sha256_of(props["content"]), **extra}


class FileProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        path = Path(props["path"])
        adopted = False
        mode = parse_mode(props["mode"])  # a bad mode fails before anything is written
        if path.exists() or path.is_symlink():
            # Bytes, not text: a binary file there must be refused, not crash the decoder.
            if not path.is_file() or path.read_bytes() != props["content"].encode("utf-8"):
                raise FileExistsError(
                    f"{path} already exists and Clockwork did not create it; "
                    "move it away or choose another path"
                )
            adopted = True  # same content: take it over, but never delete it
        created_dirs = make_parents(path)
        try:
            write_atomically(path, props["content"], mode)
        except BaseException:
            remove_empty_folders(created_dirs)  # a failed create leaves nothing behind
            raise
        return CreateResult(str(path), _state(props, created_dirs=created_dirs, adopted=adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = Path(id_)
        if not path.is_file():
            return ReadResult(None, {})  # gone: Pulumi will create it again
        # Not UTF-8 any more (replaced by hand)? Then it differs, and an update rewrites it.
        content = path.read_bytes().decode("utf-8", errors="replace")
        mode = f"{path.stat().st_mode & 0o7777:04o}"
        return ReadResult(id_, _state({**props, "content": content, "mode": mode}))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["path"] if olds.get("path") != news.get("path") else []
        changed = replaces or [k for k in ("content", "mode") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        path = Path(id_)
        write_atomically(path, news["content"], parse_mode(news["mode"]))
        kept = {"created_dirs": olds.get("created_dirs", []), "adopted": olds.get("adopted", False)}
        return UpdateResult(_state(news, **kept))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            return  # it was there before Clockwork: leave it
        Path(id_).unlink(missing_ok=True)
        remove_empty_folders(props.get("created_dirs") or [])


class ManagedFile(Resource, module="clockwork", name="File"):
    path: pulumi.Output[str]
    content: pulumi.Output[str]
    mode: pulumi.Output[str]
    sha256: pulumi.Output[str]
    created_dirs: pulumi.Output[list]
    adopted: pulumi.Output[bool]

    def __init__(self, name: str, inputs: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None):
        outputs = {"sha256": None, "created_dirs": None, "adopted": None}
        super().__init__(FileProvider(), name, {**inputs, **outputs}, opts)
