"""How reliably, and how fast, a real model completes the shipped examples.

For each example in examples/ with open fields: 5 runs (each on a fresh copy of the
example, with a fresh cache: every run asks the model), each one load → complete →
compile → evaluate under Pulumi's mock runtime, what `clockwork plan` checks, never a
deploy. Output mode `auto` (or --output-mode), as a user gets it; the mode it finds is
remembered across the runs of one example, as it is across a user's runs.

Prints, per example, the success rate and the median seconds per completed resource
(a run's completion time divided by the resources the model completed, over the
successful runs). The last line of each example reads
`example=<name> success=<ok>/<runs> median_s=<float>`. Needs a server:

    CW_LIVE_BASE_URL=$(../shared/live-model.sh) CW_LIVE_MODEL=qwen.gguf \
        uv run python benchmarks/live_completion.py [--runs 5] [--example ai-webapp]

Without CW_LIVE_BASE_URL it says so and exits 0 (nothing to measure). Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pydantic_ai.models

from clockwork import pipeline
from clockwork.errors import ClockworkError
from clockwork.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class ExampleResult:
    name: str
    runs: int = 0
    successes: int = 0
    seconds_per_resource: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds_per_resource) if self.seconds_per_resource else None

    def summary(self) -> str:
        median = f"{self.median:.2f}" if self.median is not None else "nan"
        return f"example={self.name} success={self.successes}/{self.runs} median_s={median}"


def live_settings(cache_dir: Path, output_mode: str) -> Settings:
    model = os.environ.get("CW_LIVE_MODEL")
    return Settings(
        base_url=os.environ["CW_LIVE_BASE_URL"],
        api_key=os.environ.get("CW_LIVE_API_KEY") or None,
        output_mode=output_mode,  # type: ignore[arg-type]
        cache_dir=cache_dir,
        completion_timeout=float(os.environ.get("CW_LIVE_TIMEOUT", "300")),
        _env_file=None,
        **({"model": model} if model else {}),
    )


def has_open_fields(main: Path) -> bool:
    return any(r.needs_completion() for r in pipeline.load(main).resources)


def one_run(
    example: Path, workdir: Path, run: int, memory: Path, output_mode: str
) -> tuple[float, int]:
    """Seconds spent completing, and resources the model completed, of one fresh run."""
    copy = workdir / f"{example.name}-{run}"
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns(".clockwork", "__pycache__"))
    cache_dir = copy / ".clockwork" / "cache"
    cache_dir.mkdir(parents=True)
    if memory.exists():  # the mode auto found in an earlier run, as a user keeps it
        shutil.copy(memory, cache_dir / memory.name)
    settings = live_settings(cache_dir, output_mode)
    timings: dict[str, float] = {}

    def progress(resource: object, status: str) -> None:
        # From the first model call to the last answer: not loading, nor compiling.
        if status == "started":
            timings.setdefault("first", time.perf_counter())
        elif status == "completed":
            timings["last"] = time.perf_counter()

    options = pipeline.RunOptions(use_cache=False, on_completion_progress=progress)
    result, _program, _ = pipeline.evaluated(copy / "main.py", options, settings)
    completing = timings.get("last", 0.0) - timings.get("first", 0.0)
    remembered = cache_dir / memory.name
    if remembered.exists():
        shutil.copy(remembered, memory)
    return completing, result.completion.completed


def measure(example: Path, runs: int, output_mode: str) -> ExampleResult:
    result = ExampleResult(example.name)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        memory = workdir / "output-modes.json"
        for run in range(runs):
            result.runs += 1
            try:
                seconds, completed = one_run(example, workdir, run, memory, output_mode)
            except ClockworkError as error:
                result.failures.append(str(error))
                print(f"  run {run + 1}: failed: {error}", flush=True)
                continue
            result.successes += 1
            per_resource = seconds / max(completed, 1)
            result.seconds_per_resource.append(per_resource)
            print(
                f"  run {run + 1}: ok, {completed} resources in {seconds:.1f} s "
                f"({per_resource:.2f} s each)",
                flush=True,
            )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", action="append", help="only this example (repeatable)")
    parser.add_argument(
        "--output-mode", default="auto", choices=("auto", "tool", "native", "prompted")
    )
    options = parser.parse_args()
    if not os.environ.get("CW_LIVE_BASE_URL"):
        print("skipped: CW_LIVE_BASE_URL is not set (start a model: ../shared/live-model.sh)")
        return 0
    pydantic_ai.models.ALLOW_MODEL_REQUESTS = True
    mains = sorted(EXAMPLES.glob("*/main.py"))
    chosen = [m.parent for m in mains if not options.example or m.parent.name in options.example]
    examples = [example for example in chosen if has_open_fields(example / "main.py")]
    if not examples:
        print("no example with open fields")
        return 0
    results = []
    for example in examples:
        print(f"{example.name}: {options.runs} runs against {os.environ['CW_LIVE_BASE_URL']}")
        results.append(measure(example, options.runs, options.output_mode))
        print(results[-1].summary(), flush=True)
    return 0 if all(r.successes == r.runs for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
