"""Apply 100 fully specified files through the real engine, next to hand-written Pulumi.

Clockwork: a project folder whose main.py declares 100 `FileResource`s with name,
directory and content set (nothing for the AI), deployed by `clockwork.pipeline.apply`.
The whole call counts: load, compile, the in-process evaluation under Pulumi's mock
runtime, and the engine's `up`.

Hand-written Pulumi: an inline program of 100 dynamic resources, each writing one file
through a minimal `ResourceProvider` defined in this module, run through the same
Automation API with the same CLI (`clockwork.engine.pulumi_command`) and the same engine
environment (`clockwork.engine.engine_environment`, empty passphrase). This module runs
as __main__, whose classes dill pickles by value: the engine's provider process needs
nothing importable to unpickle the provider.

Every run is a cold create into a fresh temporary folder (fresh state), in a Python
process of its own, as `clockwork apply` would be: nothing is destroyed afterwards, and
no run inherits another's state. That matters more than it seems: the Pulumi SDK's
provider serializer wraps `pickle._Pickler._batch_setitems` once more on every call and
never unwraps it, so in one long process each dynamic resource pickles slower than the
last, until a by-value pickle like ours hits the recursion limit (after ~300). The clock
starts after this module's imports (pulumi, its Automation API, clockwork.pipeline) and
runs alternate Clockwork, Pulumi, after one untimed warm-up of each with three files;
the median counts. No process a run started may outlive it: any left over is listed.

The last line reads `clockwork_s=<float> pulumi_s=<float> ratio=<clockwork/pulumi>`
(goal: ratio ≤ 1.2).

    uv run python benchmarks/deploy.py [--resources 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from clockwork import pipeline
from clockwork.engine import (
    cli_version,
    engine_environment,
    pulumi_command,
    require_pulumi_cli,
)

STACK = "dev"


# ----- Clockwork ----------------------------------------------------------------------------


def write_clockwork_project(folder: Path, count: int) -> Path:
    main = folder / "main.py"
    main.write_text(
        "from clockwork_files import FileResource\n\n"
        "files = [\n"
        "    FileResource(name=f'f{i}.txt', directory='out', description=f'File number {i}',\n"
        "                 content=f'This is file {i}.\\n')\n"
        f"    for i in range({count})\n"
        "]\n",
        encoding="utf-8",
    )
    return main


def clockwork_run(folder: Path, count: int) -> float:
    main = write_clockwork_project(folder, count)
    started = time.perf_counter()
    result = pipeline.apply(main)
    seconds = time.perf_counter() - started
    created = result.engine.changes.get("create", 0) if result.engine else 0
    if created != count + 1:  # the files and the stack
        print(f"  clockwork: {created} created, expected {count + 1}")
    return seconds


# ----- hand-written Pulumi ----------------------------------------------------------------------


class WriteFileProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        path = Path(props["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(props["content"], encoding="utf-8")
        return CreateResult(str(path), props)


class WrittenFile(Resource, module="bench", name="File"):
    def __init__(self, name: str, path: str, content: str) -> None:
        super().__init__(WriteFileProvider(), name, {"path": path, "content": content})


def pulumi_run(folder: Path, count: int) -> float:
    out = folder / "out"

    def program() -> None:
        for i in range(count):
            WrittenFile(f"f{i}.txt", str(out / f"f{i}.txt"), f"This is file {i}.\n")

    state = folder / "state"
    work_dir = folder / "workspace"
    state.mkdir()
    work_dir.mkdir()
    backend_url = state.as_uri()
    environment = {**engine_environment(backend_url, folder), "PULUMI_CONFIG_PASSPHRASE": ""}
    started = time.perf_counter()
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir),
        project_settings=auto.ProjectSettings(
            name="bench-pulumi", runtime="python", backend=auto.ProjectBackend(url=backend_url)
        ),
        env_vars=environment,
        pulumi_command=pulumi_command(require_pulumi_cli()),
    )
    stack = auto.create_or_select_stack(
        STACK, project_name="bench-pulumi", program=program, opts=options
    )
    result = stack.up()
    seconds = time.perf_counter() - started
    created = (result.summary.resource_changes or {}).get("create", 0)
    if created != count + 1:
        print(f"  pulumi: {created} created, expected {count + 1}")
    return seconds


# ----- both ----------------------------------------------------------------------------------

RUNS = {"clockwork": clockwork_run, "pulumi": pulumi_run}


def processes_mentioning(text: str) -> list[str]:
    """Processes whose command line or environment names `text`: the engine and
    provider processes of a run carry its folder in both."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if text.encode() in seen:
            found.append(f"{entry.name}: {(entry / 'cmdline').read_bytes()[:80]!r}")
    return found


def timed(side: str, root: Path, count: int) -> float:
    """One run in a process of its own, in a fresh folder: its seconds."""
    folder = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=root))
    done = subprocess.run(
        [sys.executable, __file__, "--one", side, str(folder), "--resources", str(count)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"{side} run failed:\n{done.stdout}{done.stderr}")
    *notes, last = done.stdout.splitlines()
    for note in notes:
        print(note)
    stray = processes_mentioning(str(folder))
    if stray:
        print(f"  {side}: processes left over: {stray}")
    return float(last.removeprefix("seconds="))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100, help="files (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--one", nargs=2, metavar=("SIDE", "FOLDER"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    count = options.resources
    if options.one:  # a child: one run, its seconds on the last line
        side, folder = options.one
        print(f"seconds={RUNS[side](Path(folder), count)!r}")
        return

    cli = require_pulumi_cli()
    print(f"Pulumi CLI {cli_version(cli)} at {cli}; {count} files, {options.runs} runs each")
    times: dict[str, list[float]] = {"clockwork": [], "pulumi": []}
    with tempfile.TemporaryDirectory(prefix="clockwork-deploy-bench-") as temporary:
        root = Path(temporary)
        for side in times:
            timed(side, root, 3)  # warm-up: byte-code and the OS's file cache
        for run in range(1, options.runs + 1):
            for side, seconds in times.items():
                seconds.append(timed(side, root, count))
            print(
                f"run {run}: clockwork={times['clockwork'][-1]:.2f}s "
                f"pulumi={times['pulumi'][-1]:.2f}s"
            )

    clockwork_s = statistics.median(times["clockwork"])
    pulumi_s = statistics.median(times["pulumi"])
    print(
        f"clockwork_s={clockwork_s:.2f} pulumi_s={pulumi_s:.2f} ratio={clockwork_s / pulumi_s:.2f}"
    )


if __name__ == "__main__":
    main()
