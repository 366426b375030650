"""What an AppleContainerResource becomes in a Pulumi program: a pulumi-command
`Command` and the `container` command lines it deploys with (imports pulumi: compile
only).

The script builders are pure functions, so tests run them for real. Every argument
goes through `shlex.quote`: a value with spaces, quotes, `$(...)`, backticks or `;`
reaches the CLI as one argument, unchanged, and the shell never runs any part of it.
The scripts are POSIX sh (pulumi-command runs them with `/bin/sh -c`).

Environment values never appear in a script: `container run` gets `--env KEY` (the
name only) and reads the value from its own process environment. The Command's
`environment` input carries each value as `CLOCKWORK_APPLE_ENV_KEY`, and the script
exports it as `KEY` for the `container run` process alone. So values stay out of `ps`,
out of pulumi-command's error text (which quotes the script) and out of the
plain-text script in the state, and a container variable such as `PATH` never
changes the scripts' own environment (where `container`, `sleep` and `grep` are found).
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable
from typing import Any

import pulumi
from pulumi_command.local import Command

from clockwork import ProjectError

from .resource import AppleContainerResource
from .specs import CLI, ENV_KEY, MISSING_CLI_MESSAGE

MISSING_CLI_EXIT_CODE = 127  # the shell's own code for "command not found"
# With must_run, how long a new container gets before we check that it still runs:
# one that crashes on start is gone by then.
MUST_RUN_SETTLE_SECONDS = 1
# The Command's `environment` holds the value of env_vars KEY as ENV_CARRIER_PREFIX + KEY.
ENV_CARRIER_PREFIX = "CLOCKWORK_APPLE_ENV_"


def create_command(
    resource: AppleContainerResource, opts: pulumi.ResourceOptions | None
) -> Command:
    """The Command that runs the container on create and removes it on delete."""
    name = resource.name
    if name is None or resource.image is None:  # the resource refuses this before
        raise ProjectError(f"{resource!r}: name and image must be set to compile it")
    create, delete = create_script(resource), delete_script(name)
    # pulumi-command has no `update` here: any change to what the scripts say must
    # be a replace (delete, then create), never `create` re-run over the old one.
    triggers: list[Any] = [run_command(resource), resource.must_run, create, delete]
    env: pulumi.Output[dict[str, str]] | None = None
    if resource.env_vars:
        # The values only reach the script through its environment, marked secret so
        # that Pulumi encrypts them in the state; the triggers hold a digest of them.
        env = pulumi.Output.secret(environment(resource))
        triggers.append(environment_digest(resource.env_vars))
    return Command(
        name,
        create=create,
        delete=delete,
        interpreter=["/bin/sh", "-c"],
        environment=env,
        # Without `update`, a changed trigger replaces the container; every value on
        # the `container run` line is one, and so is the environment's digest, so no
        # change is ever applied by re-running `create` over a container that still
        # holds the name.
        triggers=triggers,
        # The new container needs the name the old one holds: remove that one first.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True)),
    )


def shell_line(args: Iterable[str]) -> str:
    """One shell command line that runs exactly `args`."""
    return " ".join(shlex.quote(arg) for arg in args)


def run_command(resource: AppleContainerResource) -> list[str]:
    """`container run -d --name NAME -p .. -v .. -e KEY.. --network .. IMAGE [CMD...]`.

    Each environment variable is passed as `--env KEY` without its value: the CLI then
    takes the value from the environment it runs in (see `run_line`)."""
    if resource.name is None or resource.image is None:
        raise ValueError(f"{resource!r}: name and image must be set to build `container run`")
    args = [CLI, "run", "--detach", "--name", resource.name]
    for spec in resource.ports or []:
        args += ["--publish", spec]
    for volume in resource.parsed_volumes():
        args += ["--volume", volume.argument(resource.project_dir)]
    for key in resource.env_vars:
        # The resource refuses such names already; `run_line` writes them unquoted.
        if not ENV_KEY.fullmatch(key):
            raise ValueError(f"environment variable name {key!r} is not valid")
        args += ["--env", key]
    for network in resource.networks:
        args += ["--network", network]
    # Arguments after the image go to the container's process, never to the CLI.
    return [*args, resource.image, *(resource.command or [])]


def environment(resource: AppleContainerResource) -> dict[str, str]:
    """The Command's `environment` input: each value under its carrier name.

    pulumi-command adds these to the environment its scripts run in; `run_line` hands
    each one to `container run` under its own name."""
    return {ENV_CARRIER_PREFIX + key: value for key, value in resource.env_vars.items()}


def run_line(resource: AppleContainerResource) -> str:
    """The script line that runs `container run`, exiting with its code if it fails.

    With environment variables, it runs in a subshell that finds the CLI on the
    script's own PATH first, then exports each KEY from its carrier (one `export`: all
    values are read before any is set, so no KEY can overwrite a carrier still to be
    read) and `exec`s the CLI, which reads every `--env KEY` from that environment."""
    run = run_command(resource)
    if not resource.env_vars:
        return f"{shell_line(run)} || exit $?"
    exports = " ".join(f'{key}="${ENV_CARRIER_PREFIX}{key}"' for key in resource.env_vars)
    return (
        f'(set -- "$(command -v {CLI})"; export {exports} && '
        f'exec "$1" {shell_line(run[1:])}) || exit $?'
    )


def environment_digest(env_vars: dict[str, str]) -> str:
    """A stand-in for the values in the triggers: changes when any value changes.

    sha256 of the `KEY=VALUE` pairs, sorted and NUL-separated (no key or value can
    hold a NUL, so two different environments never give the same text)."""
    pairs = sorted(f"{key}={value}" for key, value in env_vars.items())
    return "sha256:" + hashlib.sha256("\0".join(pairs).encode()).hexdigest()


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
    return (
        f"if ! command -v {CLI} >/dev/null 2>&1; then "
        f"{fail(MISSING_CLI_MESSAGE, MISSING_CLI_EXIT_CODE)}; fi"
    )


def lists_name(variable: str, name: str) -> str:
    """Shell condition: the ID list in $variable has `name` as a whole line."""
    return f"printf '%s\\n' \"${variable}\" | grep -qxF -- {shlex.quote(name)}"


def create_script(resource: AppleContainerResource) -> str:
    """The `create` of the Pulumi Command: run the container (and check it stays up)."""
    lines = [require_cli(), run_line(resource)]
    if resource.must_run:
        lines += must_run_check(resource.name or "")
    return "\n".join(lines)


def must_run_check(name: str) -> list[str]:
    # A container that stopped is removed again: otherwise its name would block the
    # next deploy with "already exists".
    stopped = (
        f"clockwork-apple: container {name} stopped right after it started "
        "(must_run=True); it was removed, run its image by hand to see why"
    )
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
    return "\n".join(
        [
            require_cli(),
            f"existing=$({shell_line(list_command(include_stopped=True))}) || exit $?",
            f"if {lists_name('existing', name)}; then {shell_line(delete_command(name))}; "
            f"else printf '%s\\n' {shlex.quote(gone)}; fi",
        ]
    )
