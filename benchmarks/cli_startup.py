"""How long `clockwork --help` and `clockwork plugins` take to start, next to the floor.

The floor is `python -c "import click, pydantic"`: the two libraries the CLI cannot
start without. Each command runs as its own process, several times; the median wall
time counts. The last line reads `help_ratio=<float> plugins_ratio=<float>` (goal:
both at most 1.5).

Byte-code is cached in a temporary folder (PYTHONPYCACHEPREFIX) even where
PYTHONDONTWRITEBYTECODE is set: an installed package has its .pyc files, and compiling
every module from source on each run would measure the compiler, not the start-up.
`--no-bytecode-cache` measures with the environment as it is instead.

`clockwork plugins` answers from the plugin manifest (`CW_HOME/cache/plugins`, here a
temporary CW_HOME): the uncounted first run writes it, the counted runs read it and
import no plugin's classes. For the record it also times `clockwork plugins` without a
manifest (a fresh CW_HOME for every run: the registration hooks import every plugin's
resource classes, so pydantic builds their models), next to `from pydantic import
BaseModel`: `import pydantic` loads BaseModel lazily, so the official floor never builds
a model class. `--help` imports none (plugin modules register their classes inside the
hooks).

    uv run python benchmarks/cli_startup.py [--runs 7] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def console_script(name: str) -> str:
    """The console script installed next to this interpreter (same venv)."""
    script = Path(sys.executable).parent / name
    if not script.exists():
        sys.exit(f"{script} not found: install clockwork-cli into this environment")
    return str(script)


def environment_with_bytecode_cache(cache_dir: str) -> dict[str, str]:
    environment = dict(os.environ, PYTHONPYCACHEPREFIX=cache_dir)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def median_seconds(
    command: list[str], runs: int, environment: dict[str, str], fresh_home: str | None = None
) -> float:
    """Median wall time of `command`; with `fresh_home`, each run gets a CW_HOME of its
    own under it (no plugin manifest to read)."""
    # The first run fills the byte-code cache and the OS file cache (and writes the
    # plugin manifest); it is not counted.
    subprocess.run(command, capture_output=True, check=True, env=environment)
    times = []
    for run in range(runs):
        if fresh_home is not None:
            environment = dict(environment, CW_HOME=os.path.join(fresh_home, str(run)))
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=environment)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="leave PYTHONDONTWRITEBYTECODE and PYTHONPYCACHEPREFIX as they are",
    )
    options = parser.parse_args()
    runs = options.runs

    clockwork = console_script("clockwork")
    with (
        tempfile.TemporaryDirectory(prefix="clockwork-pycache-") as cache_dir,
        tempfile.TemporaryDirectory(prefix="clockwork-home-") as home,
    ):
        if options.no_bytecode_cache:
            environment = dict(os.environ)
        else:
            environment = environment_with_bytecode_cache(cache_dir)
        environment["CW_HOME"] = os.path.join(home, "home")
        baseline = median_seconds(
            [sys.executable, "-c", "import click, pydantic"], runs, environment
        )
        model_floor = median_seconds(
            [sys.executable, "-c", "import click; from pydantic import BaseModel"],
            runs,
            environment,
        )
        help_time = median_seconds([clockwork, "--help"], runs, environment)
        plugins_time = median_seconds([clockwork, "plugins"], runs, environment)
        no_manifest_time = median_seconds(
            [clockwork, "plugins"], runs, environment, fresh_home=os.path.join(home, "fresh")
        )

    print(f"import click, pydantic: {baseline * 1000:7.1f} ms")
    print(f"import click; from pydantic import BaseModel: {model_floor * 1000:7.1f} ms")
    print(f"clockwork --help:       {help_time * 1000:7.1f} ms")
    print(f"clockwork plugins:      {plugins_time * 1000:7.1f} ms (from the manifest)")
    print(
        f"clockwork plugins:      {no_manifest_time * 1000:7.1f} ms (no manifest: "
        f"{no_manifest_time / baseline:.2f} of the floor, "
        f"{no_manifest_time / model_floor:.2f} of the BaseModel floor)"
    )
    print(f"help_ratio={help_time / baseline:.2f} plugins_ratio={plugins_time / baseline:.2f}")


if __name__ == "__main__":
    main()
