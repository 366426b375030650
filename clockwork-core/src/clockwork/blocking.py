"""Calling blocking code from anywhere, even from inside a running event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_blocking(function: Callable[[], T]) -> T:
    """Call `function`; from inside a running event loop (a notebook, an async app),
    in a worker thread, because what it runs may start an event loop of its own
    (`asyncio.run`, the Pulumi Automation API) and loops must not nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="clockwork"
    ) as pool:
        return pool.submit(function).result()
