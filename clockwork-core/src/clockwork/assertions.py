"""Assertions: checks that `clockwork assert` runs against deployed resources.

An assertion is a pydantic model with a `check(resource)` method that raises
`AssertionFailed` with a readable reason, or returns a short detail on success.
Checks are plain blocking code; the runner gives each its own thread and timeout.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .resource import Resource


class AssertionFailed(Exception):
    """The checked thing is not as asserted; the message says what was found instead."""


def time_left(deadline: float, at_most: float) -> float:
    """Seconds until `deadline`, capped: what a step of a check may wait (a subprocess,
    a connection), so that nothing it starts outlives the check's own timeout."""
    return max(min(deadline - time.monotonic(), at_most), 0.05)


def search_within(pattern: str, text: str, deadline: float, *, multiline: bool = False) -> bool:
    """`re.search`, bounded by the check's deadline: a pathological pattern (or a huge
    text) cannot run past it. The `regex` module stops a search on a timeout; plain
    `re` cannot be interrupted at all."""
    import regex

    flags = regex.MULTILINE if multiline else 0
    try:
        return regex.search(pattern, text, flags, timeout=time_left(deadline, 3600)) is not None
    except TimeoutError:
        raise AssertionFailed(
            f"matching /{pattern}/ did not finish within the check's timeout"
        ) from None


def valid_pattern(pattern: str) -> str:
    """A pattern `search_within` accepts; a ValueError naming it otherwise."""
    import regex

    try:
        regex.compile(pattern)
    except regex.error as error:  # not a ValueError: pydantic would let it escape raw
        raise ValueError(f"pattern {pattern!r} is not a regular expression: {error}") from None
    return pattern


class Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use

    timeout_seconds: float = Field(30.0, gt=0, description="Give up (and fail) after this long.")

    #: Short name used in reports; defaults to the class name.
    label: ClassVar[str | None] = None

    @classmethod
    def type_name(cls) -> str:
        return cls.label or cls.__name__

    def describe(self) -> str:
        """One line for reports: the type and the fields that were set."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.model_dump(exclude_defaults=True).items())
        return f"{self.type_name()}({args})"

    def check(self, resource: Resource | None) -> str | None:
        raise NotImplementedError(f"{self.type_name()} does not implement check()")


class PortAccessibleAssert(Assertion):
    """A TCP port accepts connections (UDP cannot be probed without a protocol; refused)."""

    port: int = Field(ge=1, le=65535)
    host: str = "127.0.0.1"
    protocol: Literal["tcp"] = "tcp"
    timeout_seconds: float = Field(5.0, gt=0)

    def check(self, resource: Resource | None) -> str:
        deadline = time.monotonic() + self.timeout_seconds
        import socket  # here, not at module level: plugin listing must stay quick

        last_error: OSError | str = "no attempt finished in time"
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                with socket.create_connection((self.host, self.port), timeout=min(1.0, remaining)):
                    return f"{self.host}:{self.port} accepts connections"
            except OSError as error:
                last_error = error
                time.sleep(min(0.2, max(remaining - 0.2, 0)))
        raise AssertionFailed(f"{self.host}:{self.port} refused connections: {last_error}")


class HealthcheckAssert(Assertion):
    """An HTTP URL answers with the expected status code."""

    url: str
    expected_status: int = Field(200, ge=100, le=599)
    timeout_seconds: float = Field(10.0, gt=0)

    def check(self, resource: Resource | None) -> str:
        deadline = time.monotonic() + self.timeout_seconds
        found = "no answer"
        answered = False
        while (remaining := deadline - time.monotonic()) > 0:
            # Every poll gets a fair wait, even the last one: a tiny one would only add a
            # "timed out" (the runner allows a second beyond the timeout).
            status = _http_status(self.url, timeout=min(2.0, max(remaining, 0.5)))
            if status == self.expected_status:
                return f"{self.url} answered {status}"
            if isinstance(status, int):
                found, answered = f"status {status}", True
            elif not answered:  # a real answer seen before says more than a later timeout
                found = status
            time.sleep(min(0.2, max(remaining - 0.2, 0)))
        raise AssertionFailed(f"{self.url}: expected status {self.expected_status}, got {found}")


def _http_status(url: str, timeout: float) -> int | str:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", error))
