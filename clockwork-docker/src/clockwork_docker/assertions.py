"""Assertions about containers, checked through the docker CLI.

Ports and HTTP health are core's PortAccessibleAssert and HealthcheckAssert; these
add what only Docker knows: whether the container runs and what it logged. Both poll
until their timeout, since a container just deployed may still be starting.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from pydantic import Field, field_validator

from clockwork import Assertion, AssertionFailed, Resource
from clockwork.assertions import search_within, time_left, valid_pattern

from .docker_cli import run_docker
from .specs import check_docker_name

POLL_INTERVAL = 0.3


def _container_name(container_name: str | None, resource: Resource | None) -> str:
    if container_name is not None:
        return container_name  # checked by the field's validator
    name = getattr(resource, "name", None)
    if name is None:
        raise AssertionFailed("no container_name given and the resource has no name")
    # Any resource type may carry the assertion: its name must not reach the CLI as an
    # option ('--help', '-f') or as something Docker cannot name a container.
    try:
        return check_docker_name(name, "container name")
    except ValueError as error:
        raise AssertionFailed(f"{error}; set container_name") from None


def _valid_container_name(name: str | None) -> str | None:
    return None if name is None else check_docker_name(name, "container name")


def _poll(deadline: float, attempt: Any) -> tuple[bool, str]:
    """Call `attempt()` -> (done, detail) until done or past `deadline`; the last result."""
    while True:
        done, detail = attempt()
        if done or time.monotonic() >= deadline:
            return done, detail
        time.sleep(POLL_INTERVAL)


class ContainerRunningAssert(Assertion):
    """The container (default: the one named after the resource) is running."""

    container_name: str | None = None
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("container_name")
    @classmethod
    def _valid_container_name(cls, name: str | None) -> str | None:
        return _valid_container_name(name)

    def check(self, resource: Resource | None) -> str:
        name = _container_name(self.container_name, resource)
        deadline = time.monotonic() + self.timeout_seconds
        running, detail = _poll(deadline, lambda: _running_state(name, deadline))
        if not running:
            raise AssertionFailed(detail)
        return detail


def _running_state(name: str, deadline: float) -> tuple[bool, str]:
    # The docker process never outlives the check: its timeout is what the check has left.
    result = run_docker(
        "container", "inspect", "--format", "{{json .State}}", name, timeout=time_left(deadline, 15)
    )
    if not result.ok:
        if "no such" in result.stderr.lower():
            return False, f"container {name!r} does not exist"
        return False, f"cannot inspect container {name!r}: {result.error_line}"
    state = json.loads(result.stdout)
    status = state.get("Status", "unknown")
    # A paused container still reports Running: true.
    if state.get("Running") and not state.get("Restarting") and not state.get("Paused"):
        return True, f"container {name!r} is running"
    exit_code = state.get("ExitCode")
    suffix = f" (exit code {exit_code})" if status == "exited" else ""
    return False, f"container {name!r} is {status}{suffix}, not running"


class LogContainsAssert(Assertion):
    """The container's logs (stdout and stderr) match a regular expression."""

    pattern: str = Field(description="Regular expression searched in the logs, line by line.")
    container_name: str | None = None
    since: str | None = Field(
        None, description="Only logs since then: a duration like '10m' or a timestamp."
    )
    tail: int | None = Field(None, ge=1, description="Only the last N lines.")
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("container_name")
    @classmethod
    def _valid_container_name(cls, name: str | None) -> str | None:
        return _valid_container_name(name)

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, pattern: str) -> str:
        return valid_pattern(pattern)

    @field_validator("since")
    @classmethod
    def _valid_since(cls, since: str | None) -> str | None:
        if since is not None and not re.fullmatch(r"[0-9][0-9A-Za-z:.+-]*", since):
            raise ValueError(f"since {since!r} is not a duration like '10m' or a timestamp")
        return since

    def check(self, resource: Resource | None) -> str:
        name = _container_name(self.container_name, resource)
        deadline = time.monotonic() + self.timeout_seconds
        found, detail = _poll(deadline, lambda: self._search_logs(name, deadline))
        if not found:
            raise AssertionFailed(detail)
        return detail

    def _search_logs(self, name: str, deadline: float) -> tuple[bool, str]:
        options = [f"--since={self.since}"] if self.since else []
        options += [f"--tail={self.tail}"] if self.tail else []
        result = run_docker("logs", *options, name, timeout=time_left(deadline, 15))
        if not result.ok:
            return False, f"cannot read the logs of container {name!r}: {result.error_line}"
        # The container's stdout and stderr come back on the CLI's stdout and stderr.
        # The search is bounded by the deadline too: a slow pattern cannot outrun it.
        matches = search_within(self.pattern, result.stdout, deadline, multiline=True)
        if matches or search_within(self.pattern, result.stderr, deadline, multiline=True):
            return True, f"logs of container {name!r} match /{self.pattern}/"
        lines = len((result.stdout + result.stderr).splitlines())
        return False, f"logs of container {name!r} ({lines} lines) do not match /{self.pattern}/"
