"""Monitor calls on the event loop's own thread, while evaluating under Pulumi's mocks.

Pulumi's SDK sends every call to the monitor through the loop's default executor
(`loop.run_in_executor(None, ...)`): a thread pool, because a real engine answers over
gRPC and the loop must go on meanwhile. Under mocks the monitor is an object in this
process that answers at once, so each resource paid for a hop to a worker thread and
back (a queue, a wakeup, the GIL handed over twice) and the worker, for the mock
monitor's `_sync_await`, ran an event loop of its own: about 30 µs of CPU per resource,
and the loop thread waiting for the GIL on top.

`calls_inline(loop)` gives the loop, meanwhile, a default executor that runs the call
right away on the loop's thread (the caller still gets its result through the loop,
as a finished future). Running Pulumi's MockMonitor so would not do: its methods
`_sync_await` coroutines, which on a running loop pumps that loop from inside one of
its callbacks, and every resource whose turn comes then nests another pump: that is
why an earlier attempt "recursed". So the monitor must answer without pumping the loop:
within a call the executor runs inline, the mock monitor's `_sync_await` becomes
`finish_now` (clockwork.mock_shortcuts puts it there), which runs a coroutine that needs
nothing from the loop (serialising plain values) to its end, and raises `NeedsThread`
if it would have to wait. The mock monitor's methods await only after they have
computed their answer and before they record anything, so the executor can then give
that call to a worker thread, as Pulumi would, and it runs there from the start.

Everything the SDK sends to the default executor is a monitor call. A program's own
`run_in_executor(None, ...)` from the loop's thread would run inline too (Clockwork's
`to_pulumi()`s are synchronous and make none): a call that waits for the loop itself
would then never return.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = object()


class _Inline(threading.local):
    depth = 0  # how many inline calls this thread is inside


_inline = _Inline()


class NeedsThread(BaseException):  # noqa: N818 (a signal, not an error)
    """Raised by a monitor call that cannot finish on the loop's thread.

    A BaseException so that no `except Exception` between the executor and the monitor
    (Pulumi's `do_rpc_call`s catch gRPC errors only, but others may) swallows it."""


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs what it is given on the calling thread if that is `loop_thread`; on its
    worker threads what raised NeedsThread there, and what other threads submit."""

    def __init__(self, loop_thread: int) -> None:
        super().__init__(thread_name_prefix="clockwork-mocks")
        self._loop_thread = loop_thread

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        if threading.get_ident() != self._loop_thread:
            return super().submit(fn, *args, **kwargs)
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        _inline.depth += 1
        try:
            result = fn(*args, **kwargs)
        except NeedsThread:
            return super().submit(fn, *args, **kwargs)
        except Exception as error:  # delivered to the awaiting coroutine, as a worker would
            done.set_exception(error)
        else:
            done.set_result(result)
        finally:
            _inline.depth -= 1
        return done


def running_inline() -> bool:
    """Whether the caller runs inside a call an InlineExecutor runs on the loop's thread."""
    return _inline.depth > 0


def sync_await_inline(original: Callable[[Any], Any], awaitable: Any) -> Any:
    """Pulumi's `_sync_await`, for the mock monitor: inside an inline call, where
    pumping the running loop would nest, the coroutine is finished on the spot."""
    if not running_inline():
        return original(awaitable)
    if not asyncio.iscoroutine(awaitable):
        raise NeedsThread  # a future or task: only the loop can finish it
    return finish_now(awaitable)


@contextlib.contextmanager
def calls_inline(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Meanwhile, `loop.run_in_executor(None, ...)` from the loop's thread runs inline."""
    previous = getattr(loop, "_default_executor", _MISSING)
    if previous is _MISSING:  # not asyncio's BaseEventLoop: leave it be
        yield
        return
    executor = InlineExecutor(threading.get_ident())
    loop._default_executor = executor  # type: ignore[attr-defined]
    try:
        yield
    finally:
        loop._default_executor = previous  # type: ignore[attr-defined]
        executor.shutdown(wait=True)  # threads only if a call needed one; all done by now


def finish_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end now, without the event loop; NeedsThread (and the
    coroutine closed) if it has to wait for something."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise NeedsThread
