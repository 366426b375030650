"""The `container` command lines an AppleContainerResource deploys with.

Pure functions, so tests run them for real. Every argument goes through `shlex.quote`:
a value with spaces, quotes, `$(...)`, backticks or `;` reaches the CLI as one
argument, unchanged, and the shell never runs any part of it. The scripts are POSIX
sh (pulumi-command runs them with `/bin/sh -c`).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .resource import AppleContainerResource

CLI = "container"
MISSING_CLI_MESSAGE = (
    "clockwork-apple: Apple's `container` CLI is not on PATH (it runs on macOS 26+ only; "
    "install it from github.com/apple/container)"
)
MISSING_CLI_EXIT_CODE = 127  # the shell's own code for "command not found"
# With must_run, how long a new container gets before we check that it still runs:
# one that crashes on start is gone by then.
MUST_RUN_SETTLE_SECONDS = 1


def shell_line(args: Iterable[str]) -> str:
    """One shell command line that runs exactly `args`."""
    return " ".join(shlex.quote(arg) for arg in args)


def run_command(resource: AppleContainerResource) -> list[str]:
    """`container run -d --name NAME -p .. -v .. -e .. --network .. IMAGE [CMD...]`."""
    if resource.name is None or resource.image is None:
        raise ValueError(f"{resource!r}: name and image must be set to build `container run`")
    args = [CLI, "run", "--detach", "--name", resource.name]
    for spec in resource.ports or []:
        args += ["--publish", spec]
    for volume in resource.parsed_volumes():
        args += ["--volume", volume.argument(resource.project_dir)]
    for key, value in resource.env_vars.items():
        args += ["--env", f"{key}={value}"]
    for network in resource.networks:
        args += ["--network", network]
    # Arguments after the image go to the container's process, never to the CLI.
    return [*args, resource.image, *(resource.command or [])]


def delete_command(name: str) -> list[str]:
    return [CLI, "delete", "--force", name]


def list_command(*, include_stopped: bool) -> list[str]:
    """IDs (= names) of the running containers, one a line; all of them if asked."""
    return [CLI, "list", *(["--all"] if include_stopped else []), "--quiet"]


def fail(message: str, exit_code: int = 1) -> str:
    """Shell code that prints `message` on stderr and exits."""
    return f"printf '%s\\n' {shlex.quote(message)} >&2; exit {exit_code}"


def require_cli() -> str:
    """Shell code that stops with one clear line when the CLI is not installed."""
    return (f"if ! command -v {CLI} >/dev/null 2>&1; then "
            f"{fail(MISSING_CLI_MESSAGE, MISSING_CLI_EXIT_CODE)}; fi")


def lists_name(variable: str, name: str) -> str:
    """Shell condition: the ID list in $variable has `name` as a whole line."""
    return f"printf '%s\\n' \"${variable}\" | grep -qxF -- {shlex.quote(name)}"


def create_script(resource: AppleContainerResource) -> str:
    """The `create` of the Pulumi Command: run the container (and check it stays up)."""
    lines = [require_cli(), f"{shell_line(run_command(resource))} || exit $?"]
    if resource.must_run:
        lines += must_run_check(resource.name or "")
    return "\n".join(lines)


def must_run_check(name: str) -> list[str]:
    # A container that stopped is removed again: otherwise its name would block the
    # next deploy with "already exists".
    stopped = (f"clockwork-apple: container {name} stopped right after it started "
               "(must_run=True); it was removed, run its image by hand to see why")
    return [
        f"sleep {MUST_RUN_SETTLE_SECONDS}",
        f"running=$({shell_line(list_command(include_stopped=False))}) || exit $?",
        f"if ! {lists_name('running', name)}; then "
        f"{shell_line(delete_command(name))} >/dev/null 2>&1; {fail(stopped)}; fi",
    ]


def delete_script(name: str) -> str:
    """The `delete` of the Pulumi Command: remove the container, running or not.

    One removed by hand already counts as deleted; a failing `container list` (e.g.
    the container system is not started) fails the delete rather than forget it."""
    gone = f"clockwork-apple: container {name} is already gone"
    return "\n".join([
        require_cli(),
        f"existing=$({shell_line(list_command(include_stopped=True))}) || exit $?",
        f"if {lists_name('existing', name)}; then {shell_line(delete_command(name))}; "
        f"else printf '%s\\n' {shlex.quote(gone)}; fi",
    ])
