"""A fake `container` executable for running the plugin's shell lines on Linux.

Apple's `container` CLI runs on macOS 26+ only, so these tests never run a container.
What they check for real is our side: the shell code we generate is run with a real
shell, and a stand-in `container` placed first on PATH records exactly which argv it
received. That tests our quoting and our scripts' logic, not Apple's CLI.

Clockwork's plugin-testing fixtures are imported below, their autouse guards with them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    clockwork_project,
    fresh_settings,
    no_model_requests,
    skip_without_pulumi_cli,
)

CompletedProcess = subprocess.CompletedProcess[str]

# Records each call's argv in its own file, NUL-separated (an argument may itself hold a
# newline, so "one per line" could not tell arguments apart), answers `list` with the
# text in `listed`, and exits with the code in `exit_code` (default 0).
# For every `--env NAME` (a name only, as the real CLI reads from its own environment)
# it also records NAME=value from its environment in `envs/`, if NAME is set there
# (the real CLI skips an unset one).
FAKE_CONTAINER = r"""#!/bin/sh
here=$(dirname "$0")
count=$(ls "$here/calls" | wc -l)
record=$(printf '%04d' "$count")
printf '%s\0' "$@" > "$here/calls/$record"
: > "$here/envs/$record"
previous=
for arg in "$@"; do
  if [ "$previous" = --env ]; then
    case $arg in
      ''|[0-9]*|*[!A-Za-z0-9_]*) ;;
      *) if eval "[ -n \"\${$arg+set}\" ]"; then
           eval "printf '%s=%s\0' \"\$arg\" \"\${$arg}\"" >> "$here/envs/$record"
         fi ;;
    esac
  fi
  previous=$arg
done
if [ "$1" = list ] && [ -f "$here/listed" ]; then cat "$here/listed"; fi
if [ -f "$here/stderr" ]; then cat "$here/stderr" >&2; fi
exit "$(cat "$here/exit_code" 2>/dev/null || echo 0)"
"""


@dataclass
class FakeContainerCli:
    bin_dir: Path

    @property
    def path(self) -> str:
        """PATH with the fake first, so `container` resolves to it."""
        return f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"

    def calls(self) -> list[list[str]]:
        """The argv of every call, in order (without the program name)."""
        records = sorted((self.bin_dir / "calls").iterdir())
        return [record.read_bytes().decode().split("\0")[:-1] for record in records]

    def envs(self) -> list[dict[str, str]]:
        """For every call, the value its environment held for each `--env NAME`."""
        records = sorted((self.bin_dir / "envs").iterdir())
        return [
            dict(pair.split("=", 1) for pair in record.read_bytes().decode().split("\0")[:-1])
            for record in records
        ]

    def lists(self, text: str) -> None:
        """What `container list ...` prints from now on."""
        (self.bin_dir / "listed").write_text(text)

    def fails(self, exit_code: int, stderr: str = "") -> None:
        (self.bin_dir / "exit_code").write_text(str(exit_code))
        (self.bin_dir / "stderr").write_text(stderr)

    def run(
        self, script: str, shell: str = "bash", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_shell(script, shell=shell, path=self.path, env=env)


def run_shell(
    script: str, *, shell: str, path: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `script` with `shell -c` under the given PATH, as pulumi-command does: with
    its own environment plus `env` (the Command's `environment` input) on top."""
    executable = shutil.which(shell)
    assert executable is not None, f"{shell} is needed for these tests"
    return subprocess.run(
        [executable, "-c", script],
        env={**os.environ, **(env or {}), "PATH": path},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def fake_container(tmp_path: Path) -> FakeContainerCli:
    bin_dir = tmp_path / "fake-bin"
    (bin_dir / "calls").mkdir(parents=True)
    (bin_dir / "envs").mkdir()
    executable = bin_dir / "container"
    executable.write_text(FAKE_CONTAINER)
    executable.chmod(0o755)
    return FakeContainerCli(bin_dir)


@pytest.fixture
def path_without_container(tmp_path: Path) -> str:
    """A PATH on which no `container` can be found (an empty folder)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    assert shutil.which("container", path=str(empty)) is None
    return str(empty)


@pytest.fixture
def run_without_container(path_without_container: str) -> Callable[..., CompletedProcess]:
    """Runs a script with `shell -c` on a PATH that has no `container`."""
    return lambda script, shell="bash": run_shell(script, shell=shell, path=path_without_container)
