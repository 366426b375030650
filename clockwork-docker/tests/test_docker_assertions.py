"""Assertions against a real Docker engine, and what happens when there is none."""

from __future__ import annotations

import shutil
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from clockwork import (
    AssertionFailed,
    BlankResource,
    ClockworkError,
    HealthcheckAssert,
    PortAccessibleAssert,
)
from clockwork.testing import compile_under_mocks
from clockwork_docker import (
    ContainerRunningAssert,
    DockerEngineUnreachable,
    DockerResource,
    LogContainsAssert,
)
from clockwork_docker.docker_cli import run_docker

NETWORK = "docker:index/network:Network"


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ----- ContainerRunningAssert -------------------------------------------------------------


@pytest.mark.docker
def test_running_passes_for_the_container_named_after_the_resource(start_container) -> None:
    started = start_container()
    resource = DockerResource(name=started.name, image="busybox")
    assert ContainerRunningAssert().check(resource) == f"container {started.name!r} is running"


@pytest.mark.docker
def test_running_passes_for_a_given_container_name(start_container) -> None:
    started = start_container()
    other = DockerResource(name="not-this-one", image="busybox")
    assert "is running" in ContainerRunningAssert(container_name=started.name).check(other)


@pytest.mark.docker
def test_running_fails_for_a_stopped_container(start_container, docker_cmd) -> None:
    started = start_container()
    docker_cmd("stop", "-t", "5", started.name)
    with pytest.raises(AssertionFailed, match=r"is exited \(exit code \d+\), not running"):
        ContainerRunningAssert(container_name=started.name, timeout_seconds=0.5).check(None)


@pytest.mark.docker
def test_running_fails_for_a_paused_container(start_container, docker_cmd) -> None:
    started = start_container()
    docker_cmd("pause", started.name)  # Docker still reports Running: true
    with pytest.raises(AssertionFailed, match="is paused, not running"):
        ContainerRunningAssert(container_name=started.name, timeout_seconds=0.5).check(None)


@pytest.mark.docker
def test_running_fails_for_a_created_but_never_started_container(
    busybox_image, docker_cleanup, docker_cmd
) -> None:
    name = f"cw-test-{uuid.uuid4().hex[:10]}"
    docker_cleanup("container", name)
    docker_cmd("create", "--name", name, busybox_image.tag, *busybox_image.httpd_command)
    with pytest.raises(AssertionFailed, match="is created, not running"):
        ContainerRunningAssert(container_name=name, timeout_seconds=0.5).check(None)


@pytest.mark.docker
def test_running_fails_for_a_missing_container(docker_engine) -> None:
    name = f"cw-test-missing-{uuid.uuid4().hex[:10]}"
    started = time.monotonic()
    with pytest.raises(AssertionFailed, match=f"container '{name}' does not exist"):
        ContainerRunningAssert(container_name=name, timeout_seconds=1).check(None)
    assert time.monotonic() - started < 10  # polls until its timeout, then gives up


def test_running_needs_a_container_name() -> None:
    with pytest.raises(AssertionFailed, match="no container_name"):
        ContainerRunningAssert().check(DockerResource(description="unnamed"))


@pytest.mark.parametrize("name", ["--help", "-f", "my web"])
def test_a_resource_name_docker_cannot_take_fails_clearly(name: str) -> None:
    """Any resource may carry the assertion: its name never reaches docker as an option."""
    resource = BlankResource(name=name)
    for assertion in (
        ContainerRunningAssert(timeout_seconds=0.5),
        LogContainsAssert(pattern="x", timeout_seconds=0.5),
    ):
        with pytest.raises(
            AssertionFailed, match="not a valid Docker container name.*set container_name"
        ):
            assertion.check(resource)


# ----- core's port and HTTP checks against a published port -------------------------------


@pytest.mark.docker
def test_core_port_check_passes_on_the_published_loopback_port(start_container) -> None:
    started = start_container()
    detail = PortAccessibleAssert(port=started.port, timeout_seconds=10).check(None)
    assert detail == f"127.0.0.1:{started.port} accepts connections"


@pytest.mark.docker
def test_core_port_check_fails_on_a_closed_port(docker_engine) -> None:
    port = closed_port()
    with pytest.raises(AssertionFailed, match=f"127.0.0.1:{port} refused connections"):
        PortAccessibleAssert(port=port, timeout_seconds=1).check(None)


@pytest.mark.docker
def test_core_healthcheck_passes_on_the_published_port(start_container) -> None:
    started = start_container()
    url = f"http://127.0.0.1:{started.port}/"
    assert HealthcheckAssert(url=url, timeout_seconds=10).check(None) == f"{url} answered 200"


@pytest.mark.docker
def test_core_healthcheck_fails_on_a_missing_page(start_container) -> None:
    started = start_container()
    url = f"http://127.0.0.1:{started.port}/missing.html"
    HealthcheckAssert(url=url, expected_status=404, timeout_seconds=10).check(None)
    # Polled for the whole timeout: a slow answer on a loaded machine still counts,
    # and a poll that times out after a 404 does not hide it.
    with pytest.raises(AssertionFailed, match="expected status 200, got status 404"):
        HealthcheckAssert(url=url, timeout_seconds=6).check(None)


@pytest.mark.docker
def test_core_healthcheck_fails_on_a_closed_port(docker_engine) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(AssertionFailed, match="expected status 200"):
        HealthcheckAssert(url=url, timeout_seconds=1).check(None)


# ----- LogContainsAssert ------------------------------------------------------------------


def fetch(port: int, path: str = "/") -> bytes:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                return answer.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.docker
def test_logs_match_a_line_written_to_stdout(start_container) -> None:
    started = start_container()
    resource = DockerResource(name=started.name, image="busybox")
    detail = LogContainsAssert(pattern=r"^ready$", timeout_seconds=10).check(resource)
    assert detail == f"logs of container {started.name!r} match /^ready$/"


@pytest.mark.docker
def test_logs_match_a_line_written_to_stderr(start_container) -> None:
    started = start_container()
    fetch(started.port, "/index.html")  # httpd -vv logs each request on stderr
    assertion = LogContainsAssert(
        pattern=r"url:/index\.html", container_name=started.name, timeout_seconds=10
    )
    assert "match" in assertion.check(None)


@pytest.mark.docker
def test_logs_fail_when_nothing_matches(start_container) -> None:
    started = start_container()
    with pytest.raises(AssertionFailed, match=r"lines\) do not match /never logged/"):
        LogContainsAssert(
            pattern="never logged", container_name=started.name, timeout_seconds=1
        ).check(None)


@pytest.mark.docker
def test_logs_tail_and_since_limit_what_is_searched(start_container) -> None:
    started = start_container()
    name = started.name
    LogContainsAssert(pattern="^ready$", container_name=name, timeout_seconds=10).check(None)
    fetch(started.port)
    LogContainsAssert(pattern="url:/", container_name=name, timeout_seconds=10).check(None)
    with pytest.raises(AssertionFailed):  # the last line is the response, not "ready"
        LogContainsAssert(
            pattern="^ready$", container_name=name, tail=1, timeout_seconds=0.5
        ).check(None)
    LogContainsAssert(pattern="^ready$", container_name=name, since="1h").check(None)
    with pytest.raises(AssertionFailed):
        LogContainsAssert(
            pattern="^ready$", container_name=name, since="2999-01-01T00:00:00", timeout_seconds=0.5
        ).check(None)


@pytest.mark.docker
def test_logs_of_a_stopped_container_can_still_be_read(start_container, docker_cmd) -> None:
    started = start_container()
    LogContainsAssert(pattern="^ready$", container_name=started.name).check(None)
    docker_cmd("stop", "-t", "5", started.name)
    LogContainsAssert(pattern="^ready$", container_name=started.name).check(None)


@pytest.mark.docker
def test_logs_of_a_missing_container_fail(docker_engine) -> None:
    name = f"cw-test-missing-{uuid.uuid4().hex[:10]}"
    with pytest.raises(AssertionFailed, match=f"cannot read the logs of container '{name}'"):
        LogContainsAssert(pattern="x", container_name=name, timeout_seconds=0.5).check(None)


# ----- the compiled network really connects peers by name ---------------------------------


@pytest.mark.docker
def test_connected_containers_reach_each_other_by_name(
    busybox_image, docker_cleanup, docker_cmd, docker_plugin, tmp_path: Path, monkeypatch
) -> None:
    """Create what the compiler asked for (network, aliases, labels) with the docker CLI
    and check that the connecting container reaches its peer by the peer's name."""
    monkeypatch.chdir(tmp_path)
    suffix = uuid.uuid4().hex[:8]
    db = DockerResource(name=f"db-{suffix}", image=busybox_image.tag, pull=False)
    api = DockerResource(name=f"api-{suffix}", image=busybox_image.tag, pull=False).connect(db)
    registered = compile_under_mocks([api, db])
    network = registered.of_type(NETWORK)[0].inputs["name"]
    docker_cleanup("network", network)
    docker_cmd("network", "create", network)
    for resource in (db, api):
        inputs = registered.named(resource.name).inputs
        (attachment,) = inputs["networksAdvanced"]
        labels = [f"--label={item['label']}={item['value']}" for item in inputs["labels"]]
        docker_cleanup("container", inputs["name"])
        docker_cmd(
            "run",
            "-d",
            "--init",
            "--name",
            inputs["name"],
            "--network",
            attachment["name"],
            *(f"--network-alias={alias}" for alias in attachment["aliases"]),
            *labels,
            inputs["image"],
            *busybox_image.httpd_command,
        )
    assert fetch_inside(docker_cmd, api.name, f"http://{db.name}/") == busybox_image.index_html
    found = docker_cmd(
        "ps",
        "-q",
        "--filter",
        f"label=clockwork.name={db.name}",
        "--filter",
        f"label=clockwork.project={tmp_path.name}",
    )
    assert len(found.stdout.split()) == 1  # Clockwork finds what it made by its labels


def fetch_inside(docker_cmd, container: str, url: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        result = docker_cmd("exec", container, "wget", "-q", "-O", "-", url, check=False)
        if result.returncode == 0 or time.monotonic() > deadline:
            return result.stdout
        time.sleep(0.3)


# ----- no engine --------------------------------------------------------------------------


@pytest.fixture
def unreachable_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docker CLI, pointed at a socket where no engine listens."""
    if shutil.which("docker") is None:
        pytest.skip("needs the docker CLI on PATH")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")


@pytest.mark.parametrize(
    "assertion",
    [
        ContainerRunningAssert(container_name="web", timeout_seconds=30),
        LogContainsAssert(pattern="ready", container_name="web", timeout_seconds=30),
    ],
    ids=["running", "logs"],
)
def test_an_unreachable_engine_is_one_line_at_once(unreachable_engine, assertion) -> None:
    started = time.monotonic()
    with pytest.raises(DockerEngineUnreachable) as raised:
        assertion.check(None)
    message = str(raised.value)
    assert message.startswith("Docker engine not reachable: is dockerd running?")
    assert "nonexistent.sock" in message
    assert "\n" not in message
    assert time.monotonic() - started < 10  # no polling against a missing engine
    # An assertion failure for `clockwork assert`, a one-line error for the CLI.
    assert isinstance(raised.value, AssertionFailed)
    assert isinstance(raised.value, ClockworkError)


def test_engine_available_is_false_without_an_engine(unreachable_engine, engine_available) -> None:
    assert engine_available() is False


def test_a_missing_docker_command_is_one_line(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        DockerEngineUnreachable,
        match="^Docker engine not reachable: the docker command is not on PATH$",
    ):
        ContainerRunningAssert(container_name="web").check(None)
    with pytest.raises(DockerEngineUnreachable):
        run_docker("info")
