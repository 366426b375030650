"""The Pulumi dynamic provider that writes files.

Writes are atomic (temp file in the same folder, then rename). What it never does:
- overwrite a file it did not write: an existing file is adopted only when it is
  byte-identical, and then left as it is (mode, inode) and never deleted;
- write through, replace or delete behind a symlink;
- delete a file another resource of the project now claims (a renamed or moved
  resource: the engine creates the new one first, then deletes the old one);
- delete a file edited since Clockwork last wrote it, unless `--force`;
- delete a file by a spelling its folder no longer lists it under: on a
  case-insensitive file system a path changed only in case (`Readme.md` →
  `README.md`) is the same file, which an update renames to the new spelling.
A file system without Unix permissions (FAT) is fine while no mode is asked for.
On delete it removes only the file it wrote and the folders it had to create, when
they are empty.
"""

from __future__ import annotations

import errno
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

from clockwork.folders import force_requested, make_parents, remove_empty_folders
from clockwork.spelling import (
    on_disk_spelling,
    respell,
    respelled_on_disk,
    same_entry_respelled,
)

from .specs import DEFAULT_MODE, parse_mode

# What chmod fails with on a file system without Unix permissions (FAT, exFAT, some
# network shares).
NO_PERMISSIONS = frozenset({errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM})


class ModeNotSupportedError(Exception):
    """A mode was asked for a file whose file system has no Unix permissions."""


def write_atomically(path: Path, content: str, mode: int, *, mode_asked: bool = True) -> None:
    """Readers see the old file or the new one, never half of it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        set_mode(Path(temporary), mode, shown_as=path, asked=mode_asked)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def set_mode(path: Path, mode: int, *, shown_as: Path, asked: bool) -> None:
    """chmod; on a file system that has no permissions to set, only a mode the user
    asked for is an error (the file gets what that file system gives every file)."""
    try:
        os.chmod(path, mode)
    except OSError as error:
        if error.errno not in NO_PERMISSIONS:
            raise
        if asked:
            raise ModeNotSupportedError(
                f"cannot give {shown_as} mode {mode:04o}: its file system has no Unix "
                f"permissions ({error.strerror}); leave mode unset for files there"
            ) from error


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_of_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**props, "sha256": sha256_of(props["content"]), **extra}


def mode_for(props: dict[str, Any], existing: Path | None) -> int:
    """The mode asked for; none asked: an existing file's own, else 0644."""
    if props.get("mode"):
        return parse_mode(props["mode"])
    if existing is not None and existing.exists():
        return existing.stat().st_mode & 0o7777
    return parse_mode(DEFAULT_MODE)


class KeptFileError(Exception):
    """Delete refused: the file is no longer what Clockwork wrote (see the message)."""


# ----- claims: which resource of the project a file belongs to ----------------------------


def claim_file(props: dict[str, Any], spelled: Path | None = None) -> Path | None:
    """Where the claim on `path` (or on `spelled`, another spelling of it) is kept:
    keyed by the path inside the project (the claims folder is
    `<project>/.clockwork/claims`), so a moved project keeps them."""
    project = project_of(props)
    if project is None:
        return None
    path = spelled or Path(props["path"])
    key = str(path.relative_to(project)) if path.is_relative_to(project) else str(path)
    return Path(props["__claims_dir"]) / hashlib.sha256(key.encode()).hexdigest()


def project_of(props: dict[str, Any]) -> Path | None:
    """The project folder, from its claims folder (None: no claims kept)."""
    folder = props.get("__claims_dir")
    return Path(folder).parent.parent if folder else None


def claimant_of(props: dict[str, Any], spelled: Path | None = None) -> str | None:
    """Who claims the file now (None: nobody, or no claims kept)."""
    claim = claim_file(props, spelled)
    if claim is None or not claim.is_file():
        return None
    return claim.read_text(encoding="utf-8")


def claim(props: dict[str, Any]) -> None:
    target = claim_file(props)
    if target is not None and props.get("__claimant"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(props["__claimant"], encoding="utf-8")


def release(props: dict[str, Any]) -> None:
    target = claim_file(props)
    if target is not None and claimant_of(props) == props.get("__claimant"):
        target.unlink(missing_ok=True)
        # The claims folder (and .clockwork above it) go when nothing else is there.
        remove_empty_folders([str(target.parent.parent), str(target.parent)])


def claimed_by_another(props: dict[str, Any]) -> bool:
    holder = claimant_of(props)
    return holder is not None and holder != props.get("__claimant")


# ----- the provider -----------------------------------------------------------------------


class FileProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        path = Path(props["path"])
        mode = mode_for(props, None)  # a bad mode fails before anything is written
        if path.is_symlink():
            raise FileExistsError(
                f"{path} is a symlink; Clockwork neither writes through "
                "nor replaces one: remove it or choose another path"
            )
        if path.exists():
            return self._adopt(path, props)
        created_dirs = make_parents(path)
        try:
            write_atomically(path, props["content"], mode, mode_asked=bool(props.get("mode")))
        except BaseException:
            remove_empty_folders(created_dirs)  # a failed create leaves nothing behind
            raise
        claim(props)
        return CreateResult(
            str(path), self._written(props, created_dirs=created_dirs, adopted=False)
        )

    def _adopt(self, path: Path, props: dict[str, Any]) -> CreateResult:
        """Take over a file that is already there, only when it holds exactly the
        content asked for; it is not rewritten (its mode and inode stay)."""
        # Bytes, not text: a binary file there must be refused, not crash the decoder.
        if not path.is_file() or path.read_bytes() != props["content"].encode("utf-8"):
            raise FileExistsError(
                f"{path} already exists and Clockwork did not create it; "
                "move it away or choose another path"
            )
        # A resource of this project wrote it (this one, or this one renamed, or the
        # project was moved): it stays Clockwork's, now this resource's. Otherwise it
        # is the user's: kept, never deleted. On a case-insensitive file system it may
        # be listed under another spelling (the claim has that one): Clockwork's file
        # then takes the spelling asked; the user's keeps its own.
        listed = on_disk_spelling(path, below=project_of(props))
        clockworks = claimant_of(props, listed) is not None
        if clockworks and listed.name != path.name:
            respell(listed, path)
        claim(props)
        return CreateResult(
            str(path), self._written(props, created_dirs=[], adopted=not clockworks)
        )

    def _written(self, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
        path = Path(props["path"])
        return _state(
            props, written_sha256=sha256_of_file(path), real_path=os.path.realpath(path), **extra
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = file_of(id_, props)
        if path.is_symlink() or not path.is_file():
            return ReadResult(None, {})  # gone (or not ours any more): created again
        # Not UTF-8 any more (replaced by hand)? Then it differs, and an update rewrites it.
        content = path.read_bytes().decode("utf-8", errors="replace")
        mode = f"{path.stat().st_mode & 0o7777:04o}"
        return ReadResult(id_, _state({**props, "content": content, "mode": mode}))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        moved = olds.get("path") != news.get("path")
        # A case-only change naming the same file (a case-insensitive file system) is
        # an update that respells it: a replace would create the new spelling, which
        # finds the file there, then delete the old one, which is that same file.
        respelled = moved and same_entry_respelled(file_of(id_, olds), Path(news["path"]))
        replaces = ["path"] if moved and not respelled else []
        changed = (
            bool(replaces)
            or respelled
            or any(
                olds.get(k) != news.get(k) and not (k == "mode" and news.get(k) is None)
                for k in ("content", "mode")
            )
        )
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        path, was = Path(news["path"]), file_of(id_, olds)
        if was.is_symlink() or path.is_symlink():
            raise FileExistsError(
                f"{path} was replaced by a symlink; Clockwork does not "
                "write through one: remove it to let Clockwork write the file"
            )
        if was != path and same_entry_respelled(was, path):
            respell(was, path)
        write_atomically(
            path, news["content"], mode_for(news, path), mode_asked=bool(news.get("mode"))
        )
        claim(news)
        if claim_file(olds) != claim_file(news):
            release(olds)  # the claim under the old spelling (or the old address)
        kept = {"created_dirs": olds.get("created_dirs", []), "adopted": olds.get("adopted", False)}
        return UpdateResult(self._written(news, **kept))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            return  # it was there before Clockwork: leave it
        if claimed_by_another(props):
            return  # a renamed or moved resource holds it now
        path = file_of(id_, props)
        if respelled_on_disk(path):
            # Renamed since, in case only (a case-insensitive file system): by the
            # resource that holds it now, or by the user. Not the file written here.
            release(props)
            return
        if self._may_remove(path, props):
            path.unlink(missing_ok=True)
        release(props)
        remove_empty_folders(props.get("created_dirs") or [])

    def _may_remove(self, path: Path, props: dict[str, Any]) -> bool:
        """Whether the file at `path` is still the one Clockwork wrote; raises when it
        is not and `--force` was not given."""
        if not (path.exists() or path.is_symlink()):
            return False
        recorded = props.get("real_path")
        if path.is_symlink() or (recorded and os.path.realpath(path) != recorded):
            if force_requested():
                return False  # dropped from the stack; nothing behind a symlink is touched
            raise KeptFileError(
                f"kept {path}: it, or a folder above it, is a symlink now; "
                "Clockwork never deletes through one (--force forgets it)"
            )
        written = props.get("written_sha256")
        if written and path.is_file() and sha256_of_file(path) != written and not force_requested():
            raise KeptFileError(
                f"kept {path}: it was edited after Clockwork wrote it; "
                "run with --force to delete it anyway"
            )
        return True


def file_of(id_: str, state: dict[str, Any]) -> Path:
    """The file a state is about: its `path` (the id is the path it was created at,
    which a case-only respelling does not change)."""
    return Path(state.get("path") or id_)


class ManagedFile(Resource, module="clockwork", name="File"):
    path: pulumi.Output[str]
    content: pulumi.Output[str]
    mode: pulumi.Output[str]
    sha256: pulumi.Output[str]
    written_sha256: pulumi.Output[str]
    real_path: pulumi.Output[str]
    created_dirs: pulumi.Output[list]
    adopted: pulumi.Output[bool]

    def __init__(
        self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        outputs = {
            "sha256": None,
            "created_dirs": None,
            "adopted": None,
            "written_sha256": None,
            "real_path": None,
        }
        super().__init__(FileProvider(), name, {**inputs, **outputs}, opts)
