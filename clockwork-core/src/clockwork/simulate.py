"""Evaluate a Pulumi program in-process under Pulumi's mock runtime.

No engine, no state, no cloud: every resource the program registers is recorded
with its type, name, inputs, parent and dependencies. `clockwork plan` uses it to
show what would be deployed when the Pulumi CLI is missing; tests use it to check
compiles (see clockwork.testing).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RegisteredResource:
    """One resource registered with the (mock) Pulumi engine."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str  # URN, "" for top-level resources
    dependencies: list[str] = field(default_factory=list)  # URNs
    custom: bool = True
    delete_before_replace: bool = False


# How the Pulumi runtime marks a secret value in resource inputs (rpc._special_sig_key
# holding rpc._special_secret_sig).
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


def holds_secret(value: Any) -> bool:
    """Whether registered inputs contain a value marked secret, at any depth."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
            return True
        return any(holds_secret(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(holds_secret(item) for item in value)
    return False


class RegisteredResources(list[RegisteredResource]):
    def named(self, name: str) -> RegisteredResource:
        matches = [r for r in self if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} registered resources named {name!r}: {self.names()}")
        return matches[0]

    def of_type(self, type_: str) -> list[RegisteredResource]:
        return [r for r in self if r.type == type_]

    def names(self) -> list[str]:
        return [r.name for r in self]

    def name_of(self, urn: str) -> str | None:
        """The name of the resource with `urn` (e.g. a parent), None for the stack."""
        return next((r.name for r in self if r.urn == urn), None)


def _recording_monitor() -> Any:
    import pulumi.runtime
    from pulumi.runtime.mocks import MockMonitor

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, None]:
            return {}, None

    class RecordingMonitor(MockMonitor):
        def __init__(self) -> None:
            super().__init__(Mocks())
            self.registered = RegisteredResources()

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                state = self.resources[response.urn].state
                self.registered.append(
                    RegisteredResource(
                        type=request.type,
                        name=request.name,
                        urn=response.urn,
                        inputs=dict(state),
                        parent="" if _is_stack(request.parent) else request.parent,
                        dependencies=list(request.dependencies),
                        custom=bool(request.custom),
                        delete_before_replace=bool(request.deleteBeforeReplace),
                    )
                )
            return response

    return RecordingMonitor()


def _is_stack(urn: str) -> bool:
    return urn == "" or urn.split("::")[2:3] == ["pulumi:pulumi:Stack"]


def _ensure_event_loop() -> asyncio.AbstractEventLoop:
    """Pulumi's runtime makes futures on the thread's current event loop. After an
    `asyncio.run()` (say, the AI completion) the thread has none, and Python 3.14 no
    longer makes one on demand: give it a fresh one then."""
    with contextlib.suppress(RuntimeError):
        return asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop()
            if not loop.is_closed():
                return loop
        except RuntimeError:
            pass
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def run_under_mocks(
    program: Callable[[], Any],
    *,
    project: str = "clockwork-test",
    stack: str = "test",
    preview: bool = False,
) -> RegisteredResources:
    """Run a Pulumi program function under the mock runtime; return what it registered."""
    import pulumi
    import pulumi.runtime

    from . import mock_shortcuts
    from .compiler import install_linear_cycle_check
    from .inline_monitor import calls_inline

    install_linear_cycle_check()  # deep chains of dependencies: see there
    loop = _ensure_event_loop()
    monitor = _recording_monitor()

    @pulumi.runtime.test
    def run() -> None:
        program()

    with cyclic_gc_paused(), _root_stack_of_its_own():
        pulumi.runtime.set_mocks(
            monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor
        )
        # The evaluation's own costs, cut where they serve no mock (see each).
        with mock_shortcuts.taken(), calls_inline(loop):
            run()
    return monitor.registered


@contextlib.contextmanager
def _root_stack_of_its_own() -> Iterator[None]:
    """The evaluation gets a root Stack of its own; the thread gets back the one it had.

    `set_mocks` makes a root Stack only if the thread has none, and the thread keeps
    it: every evaluation on the thread used to share the first one, and its exports
    (Clockwork's identities output holds every resource's URN) kept the last
    evaluation's whole object graph alive until the next evaluation replaced them.
    So the next evaluation paid for collecting it (after 10,000 resources, a 1,000
    resource evaluation took twice as long), and it never was young garbage."""
    from pulumi.runtime import settings

    get_root = getattr(settings, "get_root_resource", None)
    set_root = getattr(settings, "set_root_resource", None)
    if get_root is None or set_root is None:  # another Pulumi SDK: leave it be
        yield
        return
    previous = get_root()
    set_root(None)  # set_mocks makes a fresh one
    try:
        yield
    finally:
        set_root(previous)


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a short-lived evaluation.

    Pulumi's runtime makes many objects per resource that only the cyclic collector
    frees (a resource and its Outputs refer to each other); with the collector on, each
    full collection walks the whole growing heap, so a large program costs more than
    linear time. Paused, everything the evaluation made stays in the youngest
    generation, and once the evaluation is over (and has released its root Stack) all
    it did not return is garbage there: one collection of that generation frees it,
    in time linear in the evaluation and independent of the rest of the heap (a full
    collection walked every object of a long test session after each evaluation).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect(0)
