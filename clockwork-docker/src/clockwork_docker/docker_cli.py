"""Talking to Docker through the `docker` CLI: no SDK to install, and it honours the
user's DOCKER_HOST, contexts and credentials exactly as their own shell does."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from clockwork import AssertionFailed, ClockworkError

# What the CLI prints when it has no engine to talk to (Linux, Docker Desktop, rootless).
_UNREACHABLE_MARKERS = (
    "cannot connect to the docker daemon",
    "error during connect",
    "permission denied while trying to connect to the docker daemon",
    "is the docker daemon running",
)


class DockerEngineUnreachable(AssertionFailed, ClockworkError):
    """Docker cannot be asked anything: an assertion fails with this one line, and the
    CLI reports it as any Clockwork error."""


@dataclass(frozen=True)
class DockerResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def error_line(self) -> str:
        """The CLI's error message as one line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"docker exited with status {self.returncode}"


def run_docker(*args: str, timeout: float = 30.0) -> DockerResult:
    """Run `docker ARGS` (environment inherited); raise DockerEngineUnreachable when no
    engine answers. Any other failure is returned for the caller to read."""
    executable = shutil.which("docker")
    if executable is None:
        raise DockerEngineUnreachable(
            "Docker engine not reachable: the docker command is not on PATH"
        )
    try:
        completed = subprocess.run(
            [executable, *args], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise DockerEngineUnreachable(
            f"Docker engine not reachable: 'docker {args[0]}' got no answer in {timeout:g}s"
        ) from None
    result = DockerResult(
        completed.returncode,
        completed.stdout.decode("utf-8", errors="replace"),
        completed.stderr.decode("utf-8", errors="replace"),
    )
    if not result.ok and _engine_unreachable(result.stderr):
        raise DockerEngineUnreachable(
            f"Docker engine not reachable: is dockerd running? ({result.error_line})"
        )
    return result


def _engine_unreachable(stderr: str) -> bool:
    text = stderr.lower()
    return any(marker in text for marker in _UNREACHABLE_MARKERS)
