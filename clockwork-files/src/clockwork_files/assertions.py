"""Assertions about files; a relative path is taken from the project folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from clockwork import Assertion, AssertionFailed, Resource


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
            try:
                re.compile(self.pattern)
            except re.error as error:  # not a ValueError: pydantic would let it escape raw
                raise ValueError(
                    f"pattern {self.pattern!r} is not a regular expression: {error}"
                ) from None
        return self

    def check(self, resource: Resource | None) -> str:
        target = _target(self.path, resource)
        try:
            data = target.read_bytes()
        except OSError as error:
            raise AssertionFailed(f"cannot read {target}: {error.strerror or error}") from None
        if self.sha256 is not None:
            digest = hashlib.sha256(data).hexdigest()
            if digest != self.sha256.lower():
                raise AssertionFailed(f"{target} has sha256 {digest}, expected {self.sha256}")
            return f"{target} has the expected sha256"
        if not re.search(self.pattern or "", data.decode("utf-8", errors="replace")):
            raise AssertionFailed(f"{target} does not match /{self.pattern}/")
        return f"{target} matches /{self.pattern}/"
