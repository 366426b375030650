"""Assertions about Apple containers, checked through the `container` CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Any

from pydantic import Field, field_validator

from clockwork import Assertion, AssertionFailed, Resource

from . import specs
from .specs import CLI, MISSING_CLI_MESSAGE

# `container list --all --format json`: every container with its status and config.
LIST_JSON = [CLI, "list", "--all", "--format", "json"]
POLL_INTERVAL_SECONDS = 0.5


class AppleContainerRunningAssert(Assertion):
    """The container is running (default: the container of the resource it is attached to)."""

    name: str | None = Field(None, description="Container name; default: the resource's name.")
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str | None) -> str | None:
        return None if name is None else specs.entity_name(name, "name")

    def check(self, resource: Resource | None) -> str:
        name = self.name or getattr(resource, "name", None)
        if name is None:
            raise AssertionFailed("no container name given and the resource has none")
        if shutil.which(CLI) is None:
            raise AssertionFailed(MISSING_CLI_MESSAGE)
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            status = container_status(name, timeout=max(1.0, deadline - time.monotonic()))
            if status == "running":
                return f"container {name} is running"
            if time.monotonic() >= deadline:
                found = "does not exist" if status is None else f"is {status}"
                raise AssertionFailed(f"container {name} {found}, expected running")
            time.sleep(POLL_INTERVAL_SECONDS)


def container_status(name: str, timeout: float) -> str | None:
    """The status the CLI reports for container `name` ('running', 'stopped', ...);
    None when there is no such container."""
    try:
        done = subprocess.run(
            LIST_JSON, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise AssertionFailed(MISSING_CLI_MESSAGE) from None
    except subprocess.TimeoutExpired:
        raise AssertionFailed(f"`{' '.join(LIST_JSON)}` did not answer in {timeout:.0f}s") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise AssertionFailed(f"`{' '.join(LIST_JSON)}` failed: {reason}")
    try:
        containers = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        raise AssertionFailed(f"`{' '.join(LIST_JSON)}` did not print JSON") from None
    for container in containers if isinstance(containers, list) else []:
        if _id_of(container) == name:
            return str(container.get("status", "unknown"))
    return None


def _id_of(container: Any) -> str | None:
    # The CLI prints {"status": ..., "configuration": {"id": ...}, "networks": [...]}.
    if not isinstance(container, dict):
        return None
    configuration = container.get("configuration")
    if isinstance(configuration, dict) and "id" in configuration:
        return configuration["id"]
    return container.get("id")
