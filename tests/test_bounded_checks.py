"""No assertion outlives its timeout or grows without bound: slow patterns stop at the
deadline, special files are not read, and a hanging Docker endpoint leaves no `docker`
process behind (measured before: a slow regex overran every timeout, /dev/zero read
2.4 GB in 3 s, orphaned `docker` processes outlived `clockwork assert`)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clockwork import BlankResource
from clockwork.checks import run_one
from clockwork_docker import ContainerRunningAssert, LogContainsAssert
from clockwork_files import FileContentMatchesAssert, FileResource

CATASTROPHIC = r"^(a|a)*$"  # exponential backtracking on "aaaa…b", even for `regex`


def file_with(tmp_path: Path, content: str) -> FileResource:
    resource = FileResource(name="big.txt", description="d", content=content)
    (tmp_path / "big.txt").write_text(content)
    return resource.bind_to_project(tmp_path)


def test_a_pathological_pattern_stops_at_the_checks_deadline(tmp_path: Path) -> None:
    resource = file_with(tmp_path, "a" * 64 + "b")
    check = FileContentMatchesAssert(pattern=CATASTROPHIC, timeout_seconds=1)
    outcome = run_one(resource, check)
    # Which deadline fires first, the match's own or the runner's grace after it, is
    # up to the machine's load; either way the result says the check ran out of time ...
    assert outcome.status in ("failed", "timeout"), outcome
    assert "timed out" in outcome.message or "did not finish" in outcome.message
    # ... and the match itself stopped: 2**64 steps of backtracking never end on
    # their own, so a check thread still alive would be one that outlives its timeout.
    assert _check_threads_end(within_seconds=60) == []


def _check_threads_end(within_seconds: float) -> list[str]:
    """The assertion threads still alive after waiting up to `within_seconds`: a
    generous bound, so only a check that never stops can be left."""
    waited_until = time.monotonic() + within_seconds
    while True:
        alive = [t.name for t in threading.enumerate() if t.name.startswith("assert ")]
        if not alive or time.monotonic() > waited_until:
            return alive
        time.sleep(0.05)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom"])
def test_a_special_file_is_not_read(special: str) -> None:
    outcome = run_one(
        BlankResource(name="any"), FileContentMatchesAssert(path=special, pattern="x")
    )
    assert outcome.status == "failed"
    assert outcome.message == f"{special} is not a regular file: its content is not checked"


def test_a_file_over_the_limit_is_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clockwork_files import assertions

    monkeypatch.setattr(assertions, "MAX_CHECKED_BYTES", 1024)
    resource = file_with(tmp_path, "x" * 4096)
    outcome = run_one(resource, FileContentMatchesAssert(pattern="x"))
    assert outcome.status == "failed"
    assert "is larger than 0 MiB" in outcome.message


@pytest.fixture
def silent_docker_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Docker endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{server.getsockname()[1]}")
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        server.close()


def docker_children() -> list[int]:
    """This process's child processes that run `docker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and name == "docker":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize(
    "check",
    [
        ContainerRunningAssert(container_name="web", timeout_seconds=1),
        LogContainsAssert(container_name="web", pattern="ready", timeout_seconds=1),
    ],
)
def test_a_hanging_docker_endpoint_leaves_no_docker_process(
    silent_docker_endpoint: None, check: object
) -> None:
    outcome = run_one(BlankResource(name="web"), check)  # type: ignore[arg-type]
    assert not outcome.passed
    assert outcome.status != "timeout", outcome  # the check ended itself, in time
    assert "not reachable" in outcome.message
    assert docker_children() == []
