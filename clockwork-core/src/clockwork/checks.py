"""Run every resource's assertions: concurrently, each bounded by its own timeout.

Checks are blocking code; each runs in a daemon thread so one that hangs is reported
as timed out and never holds up the others, or the exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from .assertions import Assertion, AssertionFailed
from .resource import Resource


@dataclass
class CheckOutcome:
    resource: str
    assertion: str
    passed: bool
    message: str
    duration_seconds: float
    status: str = "passed"  # passed | failed | timeout | error | cancelled


@dataclass
class AssertReport:
    details: list[CheckOutcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def passed(self) -> int:
        return sum(1 for d in self.details if d.passed)

    @property
    def failed(self) -> int:
        return len(self.details) - self.passed

    @property
    def total(self) -> int:
        return len(self.details)

    @property
    def success(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def to_dict(self) -> dict:
        return {
            "success": self.success,
            "passed": self.passed,
            "failed": self.failed,
            "total": self.total,
            "interrupted": self.interrupted,
            "details": [asdict(d) for d in self.details],
        }


Progress = Callable[[CheckOutcome], None]


def run_assertions(
    resources: Iterable[Resource], *, concurrency: int = 8, progress: Progress | None = None
) -> AssertReport:
    jobs = [(resource, check) for resource in resources for check in resource.assertions]
    outcomes: list[CheckOutcome | None] = [None] * len(jobs)
    slots = threading.BoundedSemaphore(concurrency)

    def supervise(index: int, resource: Resource, check: Assertion) -> None:
        with slots:
            outcomes[index] = run_one(resource, check)
        if progress is not None:
            progress(outcomes[index])  # type: ignore[arg-type]

    supervisors = [
        threading.Thread(target=supervise, args=(i, r, c), daemon=True)
        for i, (r, c) in enumerate(jobs)
    ]
    report = AssertReport()
    try:
        for supervisor in supervisors:
            supervisor.start()
        for supervisor in supervisors:
            while supervisor.is_alive():
                supervisor.join(0.1)  # short waits keep Ctrl-C responsive
    except KeyboardInterrupt:
        report.interrupted = True
    for index, (resource, check) in enumerate(jobs):
        report.details.append(
            outcomes[index]
            or CheckOutcome(
                resource.display_name,
                check.describe(),
                False,
                "cancelled (interrupted)",
                0.0,
                "cancelled",
            )
        )
    return report


def run_one(resource: Resource, check: Assertion) -> CheckOutcome:
    """Run one check in its own daemon thread, giving up after its timeout."""
    box: dict[str, CheckOutcome] = {}
    started = time.monotonic()

    def outcome(passed: bool, message: str, status: str) -> CheckOutcome:
        return CheckOutcome(
            resource.display_name,
            check.describe(),
            passed,
            message,
            round(time.monotonic() - started, 3),
            status,
        )

    def work() -> None:
        try:
            box["result"] = outcome(True, check.check(resource) or "ok", "passed")
        except AssertionFailed as failure:
            box["result"] = outcome(False, str(failure), "failed")
        except Exception as error:  # a broken check is a failed check, not a crash
            box["result"] = outcome(False, f"{type(error).__name__}: {error}", "error")
        except SystemExit as exit_:  # nor may a check end the run
            box["result"] = outcome(False, f"the check called sys.exit({exit_.code})", "error")

    worker = threading.Thread(target=work, daemon=True, name=f"assert {check.type_name()}")
    worker.start()
    # A little grace beyond the check's own timeout: polling checks report their own.
    worker.join(check.timeout_seconds + 1.0)
    if worker.is_alive():
        return outcome(False, f"timed out after {check.timeout_seconds:g}s", "timeout")
    return box["result"]
