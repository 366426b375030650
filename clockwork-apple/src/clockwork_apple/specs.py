"""Parsing of the values a user (or the AI) writes for an Apple container, and the
constants the plugin's modules share. Plain Python: it imports none of the others.

Each parser returns the canonical text that goes on the `container run` command line,
or raises ValueError with a message that quotes the bad value. They follow how the
`container` CLI itself reads `-p`, `-v`, `-e`, `--name` and `--network` (see the
README for the CLI version): anything it would read differently from what the user
meant is refused here, before anything compiles.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

# Apple's CLI, and what to say when it is not installed.
CLI = "container"
MISSING_CLI_MESSAGE = (
    "clockwork-apple: Apple's `container` CLI is not on PATH (it runs on macOS 26+ only; "
    "install it from github.com/apple/container)"
)

# The CLI's own rule for container (and network) names: `Utility.validEntityName`.
ENTITY_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", re.ASCII)
# An OCI image reference: registry/path:tag or @sha256:digest. No spaces, no leading '-'
# (the CLI would read that as an option).
IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*", re.ASCII)
ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
PORT_SPEC = re.compile(
    r"(?:(?P<ip>[0-9.]+):)?(?P<host>[0-9]+):(?P<container>[0-9]+)(?:/(?P<protocol>tcp|udp))?",
    re.ASCII,
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def entity_name(value: str, what: str = "name") -> str:
    """A container or network name the CLI accepts as is."""
    if not ENTITY_NAME.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not valid: use 2 or more letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def image_reference(value: str) -> str:
    if not IMAGE_REFERENCE.fullmatch(value):
        raise ValueError(
            f"image {value!r} is not an image reference like 'nginx:1.27' or "
            "'ghcr.io/org/app@sha256:...'"
        )
    return value


def port(value: str) -> str:
    """'[host-ip:]host-port:container-port[/tcp|/udp]' → the same, canonical."""
    match = PORT_SPEC.fullmatch(value)
    if match is None:
        raise ValueError(
            f"port {value!r} is not 'HOST:CONTAINER', 'IP:HOST:CONTAINER' or either with "
            "'/tcp' or '/udp'"
        )
    ip, protocol = match["ip"], match["protocol"]
    if ip is not None:
        try:
            ip = str(ipaddress.IPv4Address(ip))
        except ValueError:
            raise ValueError(f"port {value!r}: {ip!r} is not an IPv4 address") from None
    numbers = [_port_number(match[part], value) for part in ("host", "container")]
    text = ":".join([*([ip] if ip else []), *map(str, numbers)])
    return f"{text}/{protocol}" if protocol else text


def _port_number(text: str, spec: str) -> int:
    number = int(text)
    if not 1 <= number <= 65535:
        raise ValueError(f"port {spec!r}: {number} is not between 1 and 65535")
    return number


def published_on(spec: str) -> tuple[str, str, str]:
    """(host ip, host port, protocol) of a canonical port spec: two equal ones collide."""
    address, _, protocol = spec.partition("/")
    parts = address.split(":")
    ip = parts[0] if len(parts) == 3 else "0.0.0.0"  # the CLI's default host address
    return ip, parts[-2], protocol or "tcp"


@dataclass(frozen=True)
class Volume:
    """One `-v` value: a host path or a named volume, mounted at an absolute path."""

    source: str
    target: str
    read_only: bool = False

    @property
    def is_host_path(self) -> bool:
        return self.source.startswith(("/", "~", "."))

    def argument(self, project_dir: Path) -> str:
        """The `-v` argument; a relative or '~' host path becomes absolute (the CLI
        would take anything not starting with '/' for a volume name)."""
        source = self.source
        if self.is_host_path:
            path = Path(source).expanduser()
            source = str(path if path.is_absolute() else (project_dir / path).resolve())
        return f"{source}:{self.target}" + (":ro" if self.read_only else "")


def volume(value: str) -> Volume:
    """'/host:/ctr', './rel:/ctr', '~/dir:/ctr', 'named:/ctr', each optionally ':ro'/':rw'."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ValueError(
            f"volume {value!r} is not 'SOURCE:TARGET' or 'SOURCE:TARGET:ro' "
            "(paths cannot contain ':')"
        )
    source, target, mode = parts[0], parts[1], (parts[2] if len(parts) == 3 else "rw")
    if mode not in ("ro", "rw"):
        raise ValueError(f"volume {value!r}: mode {mode!r} is not 'ro' or 'rw'")
    if CONTROL_CHARACTERS.search(value):
        raise ValueError(f"volume {value!r} contains a control character")
    if not target.startswith("/"):
        raise ValueError(f"volume {value!r}: the container path {target!r} is not absolute")
    parsed = Volume(source, target, read_only=mode == "ro")
    if not parsed.is_host_path and not ENTITY_NAME.fullmatch(source):
        raise ValueError(
            f"volume {value!r}: {source!r} is neither a host path (starting with '/', './', "
            "'../' or '~') nor a volume name"
        )
    return parsed


# Names the deploy script's shell keeps to itself: exporting them fails (bash) or is
# overwritten, so the value could never reach the container.
SHELL_OWNED_NAMES = frozenset(
    {"_", "UID", "EUID", "PPID", "SHELLOPTS", "BASHOPTS", "BASH_VERSINFO"}
)


def env_var(key: str, value: str) -> str:
    """One env_vars entry, checked: `KEY=value` as the container will see it. (The
    value never goes on the command line: see `program.run_command`.)"""
    if not ENV_KEY.fullmatch(key):
        raise ValueError(
            f"environment variable name {key!r} is not valid: use letters, digits and '_', "
            "not starting with a digit"
        )
    if key in SHELL_OWNED_NAMES:
        raise ValueError(
            f"environment variable name {key!r} belongs to the shell that runs the deploy; "
            "its value cannot be passed on: choose another name"
        )
    if "\0" in value:
        raise ValueError(f"environment variable {key}: the value contains a NUL character")
    if value == "":
        # The CLI reads `-e KEY=` like `-e KEY`, and an empty variable in its environment
        # like an unset one: the variable would silently not be set.
        raise ValueError(
            f"environment variable {key}: an empty value is not supported by the `container` CLI"
        )
    return f"{key}={value}"


def argument(value: str, what: str) -> str:
    """A command-line argument: anything but NUL (which no argv can hold)."""
    if "\0" in value:
        raise ValueError(f"{what} {value!r} contains a NUL character")
    return value
