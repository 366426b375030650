"""Fixtures for the docker plugin's tests.

Tests marked `docker` run against the real engine: they are skipped when `docker info`
fails, unless CW_REQUIRE_DOCKER=1 (CI) turns that into a failure. Their image is built
offline from the host's static busybox; everything they create is removed afterwards.
Clockwork's plugin-testing fixtures are imported below, their autouse guards with them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import clockwork_docker.plugin
from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    clockwork_project,
    fresh_settings,
    no_model_requests,
    plugin_host,
    skip_without_pulumi_cli,
)
from clockwork_docker.docker_cli import DockerEngineUnreachable, run_docker

BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "httpd", "echo", "sleep", "cat", "wget", "true")
IMAGE_REPOSITORY = "clockwork-test-busybox"
INDEX_HTML = "<h1>clockwork test page</h1>\n"
# Logs a known line, then serves /www; -vv makes httpd log each request (url, status)
# on stderr.
HTTPD_COMMAND = ("/bin/sh", "-c", "echo ready; exec /bin/httpd -f -vv -p 80 -h /www")


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Test-side docker calls: plain subprocess, so the code under test proves itself."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=120
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique_name(prefix: str = "cw-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def engine_available(timeout: float = 15.0) -> bool:
    """True when `docker info` answers (through the plugin's own CLI runner)."""
    try:
        return run_docker("info", "--format", "{{.ServerVersion}}", timeout=timeout).ok
    except DockerEngineUnreachable:
        return False


@pytest.fixture
def docker_plugin() -> Iterator[None]:
    """Core's built-ins plus this plugin, registered inline (no entry points scanned)."""
    with plugin_host(clockwork_docker.plugin, distribution="clockwork-docker"):
        yield


# ----- real Docker ------------------------------------------------------------------------


@pytest.fixture(name="engine_available")
def engine_available_fixture() -> Callable[..., bool]:
    """`engine_available()` for tests (the test modules cannot import conftest)."""
    return engine_available


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if engine_available():
        return
    reason = "no Docker engine answers `docker info`"
    if os.environ.get("CW_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason}, and CW_REQUIRE_DOCKER=1 requires one", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _docker_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("docker") is not None:
        request.getfixturevalue("docker_engine")


@dataclass(frozen=True)
class BusyboxImage:
    tag: str
    index_html: str = INDEX_HTML
    httpd_command: tuple[str, ...] = HTTPD_COMMAND


@pytest.fixture(scope="session")
def busybox_image(
    docker_engine: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BusyboxImage]:
    """A tiny image imported from a rootfs folder: no registry, no network."""
    if not BUSYBOX.is_file():
        pytest.skip(f"needs {BUSYBOX} (Debian's busybox-static) to build the test image offline")
    rootfs = tmp_path_factory.mktemp("rootfs")
    build_rootfs(rootfs)
    # A tag of its own per session: parallel runs never remove each other's image.
    tag = f"{IMAGE_REPOSITORY}:{uuid.uuid4().hex[:12]}"
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        ["docker", "import", "-", tag],
        stdin=tar.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tar.wait()
    if imported.returncode != 0:
        pytest.fail(f"docker import failed: {imported.stderr.strip()}", pytrace=False)
    try:
        smoke = docker("run", "--rm", tag, "/bin/echo", "ok", check=False)
        if smoke.stdout.strip() != "ok":
            pytest.skip(
                f"{BUSYBOX} does not run alone in a container (not static?): {smoke.stderr.strip()}"
            )
        yield BusyboxImage(tag)
    finally:
        docker("rmi", "-f", tag, check=False)


def build_rootfs(rootfs: Path) -> None:
    (rootfs / "bin").mkdir()
    (rootfs / "www").mkdir()
    (rootfs / "tmp").mkdir()
    (rootfs / "bin" / "busybox").write_bytes(BUSYBOX.read_bytes())
    (rootfs / "bin" / "busybox").chmod(0o755)
    for applet in APPLETS:
        (rootfs / "bin" / applet).symlink_to("busybox")
    (rootfs / "www" / "index.html").write_text(INDEX_HTML)


@dataclass(frozen=True)
class Started:
    name: str
    port: int  # host port on 127.0.0.1 published to the container's port 80


@pytest.fixture
def docker_cleanup() -> Iterator[Callable[[str, str], None]]:
    """Call with (kind, name), kind 'container' | 'network' | 'volume': removed at the end."""
    created: list[tuple[str, str]] = []
    yield lambda kind, name: created.append((kind, name))
    # Containers first: a network or volume in use cannot be removed.
    order = {"container": 0, "network": 1, "volume": 2}
    for kind, name in sorted(reversed(created), key=lambda item: order[item[0]]):
        if kind == "container":
            docker("rm", "-f", "-v", name, check=False)
        elif kind == "network":
            docker("network", "rm", name, check=False)
        else:
            docker("volume", "rm", "-f", name, check=False)


@pytest.fixture
def docker_cmd() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`docker(*args, check=True)` for tests (the test modules cannot import conftest)."""
    return docker


@pytest.fixture
def start_container(
    busybox_image: BusyboxImage, docker_cleanup: Callable[[str, str], None]
) -> Callable[..., Started]:
    """Start a detached test container serving /www over HTTP; removed after the test."""

    def start(*command: str, options: tuple[str, ...] = ()) -> Started:
        name, port = unique_name(), free_port()
        docker_cleanup("container", name)
        docker(
            "run",
            "-d",
            "--init",
            "--name",
            name,
            "-p",
            f"127.0.0.1:{port}:80",
            *options,
            busybox_image.tag,
            *(command or HTTPD_COMMAND),
        )
        return Started(name, port)

    return start
