"""Assertions about files; a relative path is taken from the project folder."""

from __future__ import annotations

import hashlib
import stat
import time
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from clockwork import Assertion, AssertionFailed, Resource
from clockwork.assertions import search_within, valid_pattern


def _target(path: str | None, resource: Resource | None) -> Path:
    if path is None:
        resolved = getattr(resource, "resolved_path", None)
        if resolved is None:
            raise AssertionFailed("no path given and the resource is not a file")
        return resolved()
    target = Path(path).expanduser()
    if target.is_absolute() or resource is None:
        return target
    return resource.project_dir / target


class FileExistsAssert(Assertion):
    """The file exists (default: the file of the resource it is attached to)."""

    path: str | None = None
    timeout_seconds: float = Field(5.0, gt=0)

    def check(self, resource: Resource | None) -> str:
        target = _target(self.path, resource)
        if not target.is_file():
            raise AssertionFailed(
                f"{target} does not exist"
                if not target.exists()
                else f"{target} exists but is not a file"
            )
        return f"{target} exists"


class FileContentMatchesAssert(Assertion):
    """The file's text matches a regular expression, or its SHA-256 is the one given."""

    path: str | None = None
    pattern: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    timeout_seconds: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _one_expectation(self) -> Self:
        if (self.pattern is None) == (self.sha256 is None):
            raise ValueError("give exactly one of pattern= or sha256=")
        if self.pattern is not None:
            valid_pattern(self.pattern)
        return self

    def check(self, resource: Resource | None) -> str:
        deadline = time.monotonic() + self.timeout_seconds
        target = _target(self.path, resource)
        data = _read_bounded(target)
        if self.sha256 is not None:
            digest = hashlib.sha256(data).hexdigest()
            if digest != self.sha256.lower():
                raise AssertionFailed(f"{target} has sha256 {digest}, expected {self.sha256}")
            return f"{target} has the expected sha256"
        text = data.decode("utf-8", errors="replace")
        if not search_within(self.pattern or "", text, deadline):
            raise AssertionFailed(f"{target} does not match /{self.pattern}/")
        return f"{target} matches /{self.pattern}/"


MAX_CHECKED_BYTES = 64 * 1024 * 1024  # what a content check reads at most


def _read_bounded(target: Path) -> bytes:
    """The file's bytes: only a regular file (not /dev/zero, a FIFO, a socket), and at
    most MAX_CHECKED_BYTES, so a check's memory and time stay bounded."""
    try:
        if not stat.S_ISREG(target.stat().st_mode):
            raise AssertionFailed(f"{target} is not a regular file: its content is not checked")
        with target.open("rb") as handle:
            data = handle.read(MAX_CHECKED_BYTES + 1)
    except OSError as error:
        raise AssertionFailed(f"cannot read {target}: {error.strerror or error}") from None
    if len(data) > MAX_CHECKED_BYTES:
        raise AssertionFailed(
            f"{target} is larger than {MAX_CHECKED_BYTES // 2**20} MiB: its content is not checked"
        )
    return data
