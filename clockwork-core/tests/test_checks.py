"""run_assertions: statuses, timeouts, the concurrency bound, and Ctrl-C."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clockwork import Assertion, AssertionFailed, BlankResource, Resource
from clockwork.checks import CheckOutcome, run_assertions

# Hanging checks wait on this; set at the end of each test so no thread outlives it.
RELEASE = threading.Event()


@pytest.fixture(autouse=True)
def _release_hanging_checks() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


class Passes(Assertion):
    detail: str | None = None

    def check(self, resource: Resource | None) -> str | None:
        return self.detail


class Fails(Assertion):
    reason: str

    def check(self, resource: Resource | None) -> str:
        raise AssertionFailed(self.reason)


class Crashes(Assertion):
    def check(self, resource: Resource | None) -> str:
        raise ValueError("bad input")


class Hangs(Assertion):
    def check(self, resource: Resource | None) -> str:
        RELEASE.wait()
        return "released"


class SeesResource(Assertion):
    def check(self, resource: Resource | None) -> str:
        assert resource is not None
        return f"checked {resource.name}"


def by_assertion(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {outcome.assertion: outcome for outcome in outcomes}


def test_passed_failed_and_error_outcomes() -> None:
    site = BlankResource(
        name="site",
        assertions=[
            Passes(detail="all good"),
            Passes(),
            Fails(reason="port 80 is closed"),
            Crashes(),
            SeesResource(),
        ],
    )
    seen: list[CheckOutcome] = []
    report = run_assertions([site], progress=seen.append)

    outcomes = by_assertion(report.details)
    assert (
        outcomes["Passes(detail='all good')"].status,
        outcomes["Passes(detail='all good')"].message,
    ) == ("passed", "all good")
    assert (outcomes["Passes()"].status, outcomes["Passes()"].message) == ("passed", "ok")
    failed = outcomes["Fails(reason='port 80 is closed')"]
    assert (failed.passed, failed.status, failed.message) == (False, "failed", "port 80 is closed")
    crashed = outcomes["Crashes()"]
    assert (crashed.passed, crashed.status, crashed.message) == (
        False,
        "error",
        "ValueError: bad input",
    )
    assert outcomes["SeesResource()"].message == "checked site"
    assert {outcome.resource for outcome in report.details} == {"site"}

    assert (report.passed, report.failed, report.total) == (3, 2, 5)
    assert report.success is False and report.interrupted is False
    assert sorted(seen, key=id) == sorted(report.details, key=id)  # progress saw each once
    assert [d.assertion for d in report.details] == [c.describe() for c in site.assertions]


def test_all_passing_is_success() -> None:
    report = run_assertions(
        [
            BlankResource(name="a", assertions=[Passes()]),
            BlankResource(name="b", assertions=[Passes(detail="fine")]),
        ]
    )
    assert report.success and (report.passed, report.failed, report.total) == (2, 0, 2)


class Exits(Assertion):
    def check(self, resource: Resource | None) -> str:
        sys.exit(3)


def test_a_check_calling_sys_exit_is_an_error_not_the_end_of_the_run() -> None:
    report = run_assertions([BlankResource(name="a", assertions=[Exits(), Passes()])])
    exited, passed = report.details
    assert (exited.status, exited.message) == ("error", "the check called sys.exit(3)")
    assert passed.passed and not report.interrupted


def test_no_assertions_is_an_empty_success() -> None:
    report = run_assertions([BlankResource(name="bare")])
    assert report.success and report.total == 0


def test_report_to_dict() -> None:
    report = run_assertions(
        [BlankResource(name="site", assertions=[Passes(detail="ok"), Fails(reason="nope")])]
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert {"success", "passed", "failed", "total", "details"} <= set(data)
    assert (data["success"], data["passed"], data["failed"], data["total"]) == (False, 1, 1, 2)
    assert data["interrupted"] is False
    assert data["details"][1] == {
        "resource": "site",
        "assertion": "Fails(reason='nope')",
        "passed": False,
        "message": "nope",
        "duration_seconds": data["details"][1]["duration_seconds"],
        "status": "failed",
    }


def test_a_hanging_check_times_out_while_the_others_pass() -> None:
    site = BlankResource(
        name="site",
        assertions=[Hangs(timeout_seconds=0.3), Passes(detail="one"), Passes(detail="two")],
    )
    started = time.monotonic()
    # One slot: the others can only run once the hanging check has given up.
    report = run_assertions([site], concurrency=1)
    assert time.monotonic() - started < 20  # bounded by the timeout, not by the hang

    outcomes = by_assertion(report.details)
    hung = outcomes["Hangs(timeout_seconds=0.3)"]
    assert (hung.passed, hung.status) == (False, "timeout")
    assert "timed out after 0.3s" in hung.message
    assert outcomes["Passes(detail='one')"].status == "passed"
    assert outcomes["Passes(detail='two')"].status == "passed"
    assert (report.passed, report.failed, report.success) == (2, 1, False)


def test_concurrency_bound_is_respected() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    # Checks meet in pairs: every one passes only if two really run at once.
    pairs = threading.Barrier(2, timeout=10)

    class MeetsAnother(Assertion):
        number: int

        def check(self, resource: Resource | None) -> str:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                pairs.wait()
            finally:
                with lock:
                    running -= 1
            return "met"

    site = BlankResource(name="site", assertions=[MeetsAnother(number=n) for n in range(8)])
    report = run_assertions([site], concurrency=2)
    assert report.success, report.to_dict()
    assert peak == 2


def test_concurrency_of_one_runs_checks_one_at_a_time() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0

    class Counts(Assertion):
        number: int

        def check(self, resource: Resource | None) -> str:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.01)
            with lock:
                running -= 1
            return "counted"

    report = run_assertions(
        [BlankResource(name="site", assertions=[Counts(number=n) for n in range(6)])], concurrency=1
    )
    assert report.success and report.total == 6
    assert peak == 1


# ----- Ctrl-C -------------------------------------------------------------------------------

CTRL_C_SCRIPT = textwrap.dedent("""
    import json
    import threading

    from clockwork import Assertion, BlankResource
    from clockwork.checks import run_assertions


    class Quick(Assertion):
        def check(self, resource):
            return "quick"


    class Hangs(Assertion):
        def check(self, resource):
            print("started", flush=True)
            threading.Event().wait()


    site = BlankResource(name="site", assertions=[Quick(), Hangs(timeout_seconds=120)])
    report = run_assertions([site])
    print(json.dumps(report.to_dict()), flush=True)
""")


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            return process.stdout.readline()
    raise AssertionError("no output in time")


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_stops_promptly_with_a_report(tmp_path: Path) -> None:
    script = tmp_path / "check_then_interrupt.py"
    script.write_text(CTRL_C_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert read_line(process, time.monotonic() + 60).strip() == "started"
        time.sleep(0.2)  # let the main thread settle into waiting
        interrupted_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        took = time.monotonic() - interrupted_at
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert took < 5, f"took {took:.1f}s to stop after Ctrl-C"
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["interrupted"] is True
    assert report["success"] is False
    hung = next(d for d in report["details"] if d["assertion"].startswith("Hangs"))
    assert hung["status"] in ("cancelled", "timeout")
    assert hung["passed"] is False
    assert report["total"] == 2
