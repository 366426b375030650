"""Parsing of the short strings a user (or the AI) writes for ports, volumes and names,
and the constants (labels) the plugin's modules share.

Everything here is plain Python so validation runs at construction, long before
pulumi_docker is imported; it imports none of the plugin's other modules. Each parser
raises ValueError with a message that says what form was expected; pydantic turns it
into an error naming the field.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

PROTOCOLS = ("tcp", "udp", "sctp")

#: Labels Clockwork puts on what it creates, so it can find them again; users may not
#: set labels under the reserved prefix.
NAME_LABEL = "clockwork.name"
PROJECT_LABEL = "clockwork.project"
RESERVED_LABEL_PREFIX = "clockwork."

# Docker's own rule for container and volume names (`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`: two
# characters at least); network names may be one character long.
_DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", re.ASCII)
# An image reference, by Docker's grammar: [domain[:port]/]path[:tag][@digest], where the
# path is lowercase. Checked whole, so no space, ';' or leading '-' gets through.
_DOMAIN_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REF = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,})?",
    re.ASCII,
)


@dataclass(frozen=True)
class PortSpec:
    """One published port: container port `internal`, host port `external` (None: any)."""

    internal: int
    external: int | None = None
    ip: str | None = None
    protocol: str = "tcp"


@dataclass(frozen=True)
class VolumeSpec:
    """One mount: a host folder or a named volume at `container_path`."""

    container_path: str
    host_path: str | None = None
    volume_name: str | None = None
    read_only: bool = False


def check_docker_name(value: str, what: str = "name", *, min_length: int = 2) -> str:
    """A container/network/volume name Docker accepts (and that cannot pass as an option).

    Docker refuses container and volume names shorter than two characters; networks
    pass `min_length=1`."""
    if len(value) < min_length or not _DOCKER_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid Docker {what}: use {min_length} or more letters, "
            "digits, '_', '.', '-', starting with a letter or digit"
        )
    return value


# What the AI may choose, stricter than Docker's grammar (clockwork.answer_length): each
# repetition is bounded, so a server generating by this grammar cannot loop. A name is
# a lowercase hostname label (connected containers reach it by name). An image is
# `[org/]name[:tag]` with no digest (a model cannot know a real one: an invented digest
# never pulls) and no registry port (a private registry is the user's to name).
AI_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$"
_AI_PATH_PART = r"[a-z0-9]{1,30}([._-][a-z0-9]{1,30}){0,3}"
_AI_TAG = r"[a-zA-Z0-9_]([a-zA-Z0-9._-]{0,30}[a-zA-Z0-9_])?"
AI_IMAGE_PATTERN = rf"^({_AI_PATH_PART}/){{0,2}}{_AI_PATH_PART}(:{_AI_TAG})?$"


def check_image(value: str) -> str:
    """An image reference like 'nginx', 'nginx:1.27', 'ghcr.io/org/app:v1', 'localhost:5000/x'."""
    if len(value) > 255 or not _IMAGE_REF.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Docker image reference like 'nginx:1.27' (lowercase name)"
        )
    return value


def parse_port(text: str) -> PortSpec:
    """'80', '8080:80', '127.0.0.1:8080:80', '127.0.0.1::80', '[::1]:8080:80', each with an
    optional '/tcp', '/udp' or '/sctp'."""
    spec, slash, protocol = text.strip().partition("/")
    protocol = protocol.lower() if slash else "tcp"
    if protocol not in PROTOCOLS:
        raise ValueError(f"port {text!r}: protocol must be one of {', '.join(PROTOCOLS)}")
    ip, ports = _split_ip(text, spec)
    parts = ports.split(":")
    if len(parts) == 1:
        host, container = "", parts[0]
    elif len(parts) == 2:
        host, container = parts
    else:
        raise ValueError(f"port {text!r}: expected [ip:]host_port:container_port[/protocol]")
    if ip is not None and len(parts) == 1:
        raise ValueError(f"port {text!r}: an ip needs host_port:container_port after it")
    internal = _port_number(text, container, "container port")
    external = _port_number(text, host, "host port") if host else None
    return PortSpec(internal=internal, external=external, ip=ip, protocol=protocol)


def _split_ip(text: str, spec: str) -> tuple[str | None, str]:
    """Take a leading IPv4 address or bracketed IPv6 address off `spec`."""
    if spec.startswith("["):
        address, bracket, rest = spec[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ValueError(f"port {text!r}: write an IPv6 address as [::1]:8080:80")
        return _check_ip(text, address), rest[1:]
    if spec.count(":") == 2:
        address, _, rest = spec.partition(":")
        return _check_ip(text, address), rest
    return None, spec


def _check_ip(text: str, address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise ValueError(f"port {text!r}: {address!r} is not an IP address") from None


def _port_number(text: str, value: str, what: str) -> int:
    if "-" in value:
        raise ValueError(f"port {text!r}: port ranges are not supported; list each port")
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise ValueError(f"port {text!r}: {what} {value!r} is not a number from 1 to 65535")
    return int(value)


def parse_volume(text: str) -> VolumeSpec:
    """'/host:/ctr', './data:/ctr', 'named:/ctr', each with an optional ':ro' or ':rw'.

    A relative host path ('./x', '../x') is taken from the project folder at compile."""
    parts = text.strip().split(":")
    if len(parts) == 3:
        source, target, mode = parts
    elif len(parts) == 2:
        (source, target), mode = parts, "rw"
    else:
        raise ValueError(
            f"volume {text!r}: expected source:container_path[:ro|rw], e.g. 'data:/var/lib/data'"
        )
    if mode not in ("ro", "rw"):
        raise ValueError(f"volume {text!r}: mode must be 'ro' or 'rw', not {mode!r}")
    if not target.startswith("/") or "\0" in target:
        raise ValueError(f"volume {text!r}: container path {target!r} must be absolute")
    if PurePosixPath(target) == PurePosixPath("/"):
        raise ValueError(f"volume {text!r}: cannot mount over the container's root '/'")
    read_only = mode == "ro"
    if is_host_path(source):
        if "\0" in source:
            raise ValueError(f"volume {text!r}: host path contains a NUL byte")
        return VolumeSpec(container_path=target, host_path=source, read_only=read_only)
    if not source:
        raise ValueError(f"volume {text!r}: the source (host path or volume name) is empty")
    check_docker_name(source, f"volume name in {text!r}")
    return VolumeSpec(container_path=target, volume_name=source, read_only=read_only)


def is_host_path(source: str) -> bool:
    return source.startswith(("/", "./", "../")) or source in (".", "..")


def check_env_key(key: str) -> str:
    if not key or "=" in key or "\0" in key or any(c.isspace() for c in key):
        raise ValueError(
            f"environment variable name {key!r} must be non-empty, without '=' or spaces"
        )
    return key
