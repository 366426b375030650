"""Assertions against real sockets and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from clockwork import (
    Assertion,
    AssertionFailed,
    BlankResource,
    HealthcheckAssert,
    PortAccessibleAssert,
    Resource,
)


@pytest.fixture
def listening_port() -> Iterator[int]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A port that was just free: nothing listens on it."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        status = {"/": 200, "/missing": 404, "/broken": 500, "/created": 201}.get(self.path, 404)
        body = f"status {status}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep test output quiet
        pass


@pytest.fixture
def http_base() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ----- PortAccessibleAssert -----------------------------------------------------------


def test_port_accessible_passes_against_a_listening_socket(listening_port):
    check = PortAccessibleAssert(port=listening_port, timeout_seconds=2)
    detail = check.check(None)
    assert detail == f"127.0.0.1:{listening_port} accepts connections"


def test_port_accessible_fails_against_a_closed_port_within_its_timeout(closed_port):
    check = PortAccessibleAssert(port=closed_port, timeout_seconds=0.6)
    started = time.monotonic()
    with pytest.raises(AssertionFailed) as caught:
        check.check(None)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.6
    assert elapsed < 3.0
    assert f"127.0.0.1:{closed_port} refused connections" in str(caught.value)


def test_port_accessible_waits_for_a_port_that_opens_late(closed_port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def open_later():
        time.sleep(0.5)
        server.bind(("127.0.0.1", closed_port))
        server.listen(1)

    opener = threading.Thread(target=open_later)
    opener.start()
    try:
        assert "accepts connections" in PortAccessibleAssert(
            port=closed_port, timeout_seconds=5
        ).check(None)
    finally:
        opener.join()
        server.close()


def test_port_accessible_accepts_a_resource_argument(listening_port):
    resource = BlankResource(name="svc")
    assert PortAccessibleAssert(port=listening_port).check(resource).endswith("accepts connections")


@pytest.mark.parametrize("port", [0, -1, 65536, 100000])
def test_port_out_of_range_is_refused(port):
    with pytest.raises(ValidationError, match="port"):
        PortAccessibleAssert(port=port)


def test_port_accessible_validation():
    assert PortAccessibleAssert(port=1).port == 1
    assert PortAccessibleAssert(port=65535).port == 65535
    assert PortAccessibleAssert(port=80).timeout_seconds == 5.0
    with pytest.raises(ValidationError):
        PortAccessibleAssert(port=80, protocol="udp")
    with pytest.raises(ValidationError):
        PortAccessibleAssert(port=80, timeout_seconds=0)
    with pytest.raises(ValidationError):
        PortAccessibleAssert(port=80, colour="red")
    with pytest.raises(ValidationError):
        PortAccessibleAssert()


# ----- HealthcheckAssert --------------------------------------------------------------


def test_healthcheck_passes_on_expected_200(http_base):
    check = HealthcheckAssert(url=f"{http_base}/", timeout_seconds=3)
    assert check.check(None) == f"{http_base}/ answered 200"


def test_healthcheck_passes_on_an_expected_error_status(http_base):
    check = HealthcheckAssert(url=f"{http_base}/missing", expected_status=404, timeout_seconds=3)
    assert check.check(None) == f"{http_base}/missing answered 404"


def test_healthcheck_expected_404_but_got_200_fails_with_a_message(http_base):
    check = HealthcheckAssert(url=f"{http_base}/", expected_status=404, timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(AssertionFailed) as caught:
        check.check(None)
    assert time.monotonic() - started < 3.0
    assert str(caught.value) == f"{http_base}/: expected status 404, got status 200"


def test_healthcheck_server_error_is_reported(http_base):
    check = HealthcheckAssert(url=f"{http_base}/broken", timeout_seconds=0.5)
    with pytest.raises(AssertionFailed, match="expected status 200, got status 500"):
        check.check(None)


def test_healthcheck_against_nothing_listening_fails(closed_port):
    url = f"http://127.0.0.1:{closed_port}/"
    with pytest.raises(AssertionFailed) as caught:
        HealthcheckAssert(url=url, timeout_seconds=0.5).check(None)
    message = str(caught.value)
    assert message.startswith(f"{url}: expected status 200, got ")
    assert "status" not in message.split("got ", 1)[1]  # not an HTTP status: the reason


def test_healthcheck_validation():
    assert HealthcheckAssert(url="http://x").expected_status == 200
    for status in (99, 600):
        with pytest.raises(ValidationError, match="expected_status"):
            HealthcheckAssert(url="http://x", expected_status=status)
    with pytest.raises(ValidationError):
        HealthcheckAssert()
    with pytest.raises(ValidationError):
        HealthcheckAssert(url="http://x", timeout_seconds=-1)


# ----- the Assertion base -------------------------------------------------------------


def test_describe_shows_type_and_fields_that_were_set():
    assert PortAccessibleAssert(port=8080).describe() == "PortAccessibleAssert(port=8080)"
    described = HealthcheckAssert(url="http://h/", expected_status=204).describe()
    assert described == "HealthcheckAssert(url='http://h/', expected_status=204)"


def test_label_overrides_the_type_name():
    class Pinged(Assertion):
        label = "ping"

    assert Pinged.type_name() == "ping"
    assert Pinged().describe() == "ping()"
    assert PortAccessibleAssert.type_name() == "PortAccessibleAssert"


def test_base_assertion_check_is_not_implemented():
    with pytest.raises(NotImplementedError, match="Assertion"):
        Assertion().check(None)


def test_resources_carry_assertions_and_keep_their_types():
    class Web(Resource):
        pass

    web = Web(
        name="web",
        assertions=[
            PortAccessibleAssert(port=80),
            HealthcheckAssert(url="http://web/"),
        ],
    )
    assert [type(a) for a in web.assertions] == [PortAccessibleAssert, HealthcheckAssert]
    dumped = web.model_dump(mode="json")["assertions"]
    assert dumped[1]["url"] == "http://web/"
    assert dumped[0]["port"] == 80


def test_a_timeout_after_a_real_status_does_not_hide_it() -> None:
    """Before: the last poll's tiny timeout overwrote a real status with "timed out".
    A local server answers 404 once, then stops answering in time."""
    import http.server
    import threading

    answered = threading.Event()

    class OnceThenSlow(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            if answered.is_set():
                threading.Event().wait(3)  # longer than any poll waits
                return
            answered.set()
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnceThenSlow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(AssertionFailed, match="expected status 200, got status 404"):
            HealthcheckAssert(url=url, timeout_seconds=3).check(None)
    finally:
        server.shutdown()
