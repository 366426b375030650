"""Shortcuts through the Pulumi SDK, taken only while a program is evaluated under mocks.

Under Pulumi's mock runtime (clockwork.simulate) a resource costs what the Python SDK's
per-resource machinery costs; nothing waits on an engine. Some of that machinery
serves only a real engine, or is written in a way that costs far more than it needs:

- `_get_stack_trace` reads every frame's source file for messages the engine shows
  (the mock monitor drops them);
- `rpc.contains_unknowns`, called about 13 times per resource, defines a recursive
  closure each call: a reference cycle (function, cell, annotations) that only the
  cyclic garbage collector frees, 80 objects per resource, most of a collection's
  work after a large evaluation;
- `create_urn`, which `register_resource` calls for a URN it uses only without a
  monitor, builds it through `Output.all(...).apply(...)`: five Outputs, their tasks;
- `log.debug` builds a protobuf message per call for the mock engine, which hands it
  to a Python logger that, unless debugging, drops it;
- the mock monitor's `_sync_await`, inside a monitor call run on the loop's own
  thread, would pump the running loop from within: see clockwork.inline_monitor.

Each is replaced, for the whole process but only once (`install`), by a function that
takes the shortcut on a thread that is evaluating under mocks (`taken()`) and calls
Pulumi's own everywhere else: a real engine's program (an inline program runs on a
thread of this process) sees the SDK as it is. Each shortcut gives the same result as
the function it replaces; a patched attribute that this SDK does not have is left
alone (clockwork-core/tests/test_mock_shortcuts.py checks that each is in place here).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any


class _Evaluating(threading.local):
    depth = 0  # how deep this thread is in `taken()`: read per patched call, so no getattr


_evaluating = _Evaluating()
_install_lock = threading.Lock()
_installed: dict[str, bool] = {}  # shortcut name -> whether this SDK let it in


def evaluating_under_mocks() -> bool:
    """Whether this thread is inside `taken()`."""
    return _evaluating.depth > 0


@contextlib.contextmanager
def taken() -> Iterator[None]:
    """While in here, this thread's Pulumi SDK calls take the shortcuts."""
    install()
    depth = _evaluating.depth
    _evaluating.depth = depth + 1
    try:
        yield
    finally:
        _evaluating.depth = depth


def installed() -> dict[str, bool]:
    """Each shortcut, and whether it is in place (False: this SDK lacks what it replaces)."""
    install()
    return dict(_installed)


def install() -> None:
    with _install_lock:
        if _installed:
            return
        import pulumi.log as pulumi_log
        import pulumi.runtime.mocks as mocks
        import pulumi.runtime.resource as runtime_resource
        import pulumi.runtime.rpc as rpc

        from .inline_monitor import sync_await_inline

        _installed["stack_trace"] = _replace(
            runtime_resource, "_get_stack_trace", _empty_stack_trace()
        )
        _installed["contains_unknowns"] = _replace(rpc, "contains_unknowns", _contains_unknowns())
        _installed["create_urn"] = _replace(runtime_resource, "create_urn", _known_urn())
        _installed["log_debug"] = _replace(pulumi_log, "debug", _debug_to_mock_engine())
        _installed["mock_monitor_sync_await"] = _replace(mocks, "_sync_await", sync_await_inline)


def _replace(module: Any, attribute: str, shortcut: Callable[..., Any]) -> bool:
    """Put a function in `module.attribute` that calls `shortcut(original, ...)` while this
    thread evaluates under mocks, and the original otherwise."""
    original = getattr(module, attribute, None)
    if not callable(original):  # another Pulumi SDK: leave it be
        return False

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        if _evaluating.depth:
            return shortcut(original, *args, **kwargs)
        return original(*args, **kwargs)

    dispatch.__wrapped__ = original  # type: ignore[attr-defined]
    dispatch.__name__ = getattr(original, "__name__", attribute)
    setattr(module, attribute, dispatch)
    return True


# ----- the shortcuts ------------------------------------------------------------------------
# Each factory imports what its shortcut needs once, at install: an import statement in
# a function called per resource costs more than some of the shortcuts save.


def _empty_stack_trace() -> Callable[..., Any]:
    from pulumi.runtime.proto import source_pb2

    def empty_stack_trace(original: Callable[[], Any]) -> Any:
        # What Pulumi sends when it finds no user frame; RegisteredResource has no
        # source position, and the mock monitor drops it.
        return source_pb2.StackTrace()

    return empty_stack_trace


def _contains_unknowns() -> Callable[..., bool]:
    from pulumi.runtime.known_types import is_unknown

    def unknown_inside(value: Any, seen: set[int]) -> bool:
        # Same walk as Pulumi's (depth first, in order, each container once), so the
        # same answer on shared and self-referencing containers too.
        if is_unknown(value):
            return True
        if id(value) in seen:
            return False
        seen.add(id(value))
        if isinstance(value, dict):
            return any(unknown_inside(value[key], seen) for key in value)
        if isinstance(value, list):
            return any(unknown_inside(item, seen) for item in value)
        return False

    def contains_unknowns(original: Callable[[Any], bool], value: Any) -> bool:
        """Pulumi's `contains_unknowns`, without a new closure per call (this one is
        made once): a value that is no container is answered at once."""
        if isinstance(value, dict | list):
            return unknown_inside(value, set())
        return is_unknown(value)

    return contains_unknowns


def _known_urn() -> Callable[..., Any]:
    from pulumi import Output
    from pulumi.runtime.settings import get_project, get_stack

    def known_urn(
        original: Callable[..., Any],
        name: Any,
        type_: Any,
        parent: Any = None,
        project: str | None = None,
        stack: str | None = None,
    ) -> Any:
        """`create_urn` for plain strings (what register_resource passes): the URN it
        would compute, as a known Output without resources, as Output.all(...).apply
        would give it. Anything else (an Output, a parent Resource) goes to Pulumi's."""
        if not (isinstance(name, str) and isinstance(type_, str)):
            return original(name, type_, parent, project, stack)
        if parent is None:
            stack = get_stack() if stack is None else stack
            project = get_project() if project is None else project
            if not (isinstance(stack, str) and isinstance(project, str)):
                return original(name, type_, parent, project, stack)
            prefix = "urn:pulumi:" + stack + "::" + project + "::"
        elif isinstance(parent, str):
            prefix = parent[0 : parent.rfind("::")] + "$"
        else:
            return original(name, type_, parent, project, stack)
        return Output.from_input(prefix + type_ + "::" + name)

    return known_urn


def _debug_to_mock_engine() -> Callable[..., None]:
    from pulumi.runtime.mocks import MockEngine
    from pulumi.runtime.settings import get_engine

    def debug(original: Callable[..., None], message: str, *args: Any, **kwargs: Any) -> None:
        """Pulumi's `log.debug`, skipped when it could only reach a mock engine whose
        logger drops debug messages."""
        engine = get_engine()
        if isinstance(engine, MockEngine) and not _logs_debug(engine):
            return
        original(message, *args, **kwargs)

    return debug


def _logs_debug(engine: Any) -> bool:
    logger = getattr(engine, "logger", None)
    return not isinstance(logger, logging.Logger) or logger.isEnabledFor(logging.DEBUG)
