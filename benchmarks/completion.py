"""How well independent resources complete concurrently, and what the cache saves.

50 independent resources are completed by a stand-in model (a PydanticAI
FunctionModel) that takes 200 ms per call (an async sleep, like waiting on a server),
with `completion_concurrency` resources at a time, after one untimed warm-up
completion (first-use imports). The ideal wall time is
50 / concurrency × 0.2 s; the ratio to it shows the overhead of the agent, prompts,
validation and scheduling (goal: at most 1.3). The same project is then declared
afresh and completed again from the cache: that run must make no model call.

The last line reads `ratio=<float> calls=<int> cached_calls=<int>`.

    uv run python benchmarks/completion.py [--resources 50] [--concurrency 4] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import pydantic_ai.models
from pydantic import Field

from clockwork import Resource
from clockwork.completion import CompletionReport, complete_project_async
from clockwork.completion_testing import ScriptedModel, project_of, scripted_completer
from clockwork.plugins import Registry
from clockwork.prompts import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_NAME
from clockwork.settings import Settings

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False  # the stand-in model only


class Service(Resource):
    """A service in a container."""

    image: str | None = Field(None, description="Container image with a tag.")
    port: int | None = Field(None, ge=1, le=65535, description="Port it listens on.")


def declare(count: int) -> list[Service]:
    return [
        Service(name=f"service-{n:02d}", description=f"Service number {n}") for n in range(count)
    ]


def answer(name: str | None, attempt: int) -> dict[str, object]:
    return {"image": f"example/{name}:1.0", "port": 8000}


def core_registry() -> Registry:
    """Core's default prompt template only: the benchmark needs no plugin loaded."""
    registry = Registry()
    registry.add("prompt_templates", DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE, "clockwork-core")
    return registry


async def timed_run(
    folder: Path, settings: Settings, count: int, delay: float
) -> tuple[float, CompletionReport, int]:
    model = ScriptedModel(answer, delay=delay)
    project = project_of(folder, *declare(count))
    started = time.perf_counter()
    report = await complete_project_async(
        project, settings, completer=scripted_completer(settings, model), registry=core_registry()
    )
    return time.perf_counter() - started, report, len(model.calls)


def warm_up(settings: Settings) -> None:
    """Complete one resource, uncached and untimed: the first completion imports the
    rest of pydantic-ai (compiled from source where byte-code is not written), a
    one-off start-up cost, not what this benchmark measures."""
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(
            timed_run(Path(folder), settings.model_copy(update={"cache_enabled": False}), 1, 0.0)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per model call")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            api_key="benchmark",
            cache_dir=Path(folder) / "cache",
            completion_concurrency=options.concurrency,
            _env_file=None,
        )
        warm_up(settings)
        wall, report, calls = asyncio.run(
            timed_run(Path(folder), settings, options.resources, options.delay)
        )
        cached_wall, cached, cached_calls = asyncio.run(
            timed_run(Path(folder), settings, options.resources, options.delay)
        )

    ideal = options.resources / options.concurrency * options.delay
    ratio = wall / ideal
    print(f"resources={options.resources} concurrency={options.concurrency} delay={options.delay}s")
    print(
        f"first run:  {wall:.3f} s wall, ideal {ideal:.3f} s, {calls} model calls, "
        f"{report.completed} completed"
    )
    print(
        f"cached run: {cached_wall:.3f} s wall, {cached_calls} model calls, "
        f"{cached.cache_hits} cache hits"
    )
    print(f"ratio={ratio:.3f} calls={calls} cached_calls={cached_calls}")


if __name__ == "__main__":
    main()
