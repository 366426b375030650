"""The docker plugin's policies on what the AI chooses (registered in plugin.py).

None judges a value the user set. An AI-chosen image comes only from a registry the
settings allow (CW_AI_ALLOWED_REGISTRIES, default Docker Hub's official images), an
AI-chosen published port only uses host ports the settings allow (CW_AI_HOST_PORTS,
default the unprivileged ones), and the AI never mounts a host folder.
"""

from __future__ import annotations

from collections.abc import Iterable

from clockwork.errors import UsageError
from clockwork.policies import Finding, Policy, PolicyContext, refused_by_ai
from clockwork.resource import Resource

from .resource import DockerResource
from .specs import is_host_path, parse_port

DOCKER_HUB = "docker.io"
ANY = "*"


def image_repository(image: str) -> str:
    """The image's full repository, as Docker reads the reference: 'nginx:1.27' is
    'docker.io/library/nginx', 'bitnami/redis' 'docker.io/bitnami/redis',
    'ghcr.io/org/app:v1' 'ghcr.io/org/app'."""
    name = image.split("@", 1)[0]
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    last = path.rsplit("/", 1)[-1]
    if ":" in last:  # a tag, not a port: only the last part of the path has one
        path = path[: len(path) - len(last)] + last.split(":", 1)[0]
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return f"{registry}/{path}"


def allowed_image(repository: str, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        prefix = entry.strip().rstrip("/")
        if prefix == ANY or repository == prefix or repository.startswith(prefix + "/"):
            return True
    return False


def check_registry(resource: Resource, context: PolicyContext) -> list[Finding]:
    if not isinstance(resource, DockerResource) or "image" not in resource.ai_filled_fields:
        return []
    if resource.image is None:
        return []
    repository = image_repository(resource.image)
    allowed = context.settings.ai_allowed_registries
    if allowed_image(repository, allowed):
        return []
    return [
        refused_by_ai(
            "image",
            f"the AI chose {resource.image!r} ({repository}), not from a registry "
            f"CW_AI_ALLOWED_REGISTRIES allows ({', '.join(allowed) or 'none'})",
        )
    ]


def port_ranges(text: str) -> list[range]:
    """'1024-65535' or '80,8000-8999' as ranges (inclusive of both ends)."""
    ranges = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        first, last = int(low), int(high) if dash else int(low)
        if not 0 < first <= last <= 65535:
            raise UsageError(f"invalid setting CW_AI_HOST_PORTS: {part.strip()!r} is no port range")
        ranges.append(range(first, last + 1))
    return ranges


def check_host_ports(resource: Resource, context: PolicyContext) -> list[Finding]:
    if not isinstance(resource, DockerResource) or "ports" not in resource.ai_filled_fields:
        return []
    allowed = port_ranges(context.settings.ai_host_ports)
    for port in resource.ports or []:
        external = parse_port(port).external
        if external is not None and not any(external in span for span in allowed):
            return [
                refused_by_ai(
                    "ports",
                    f"the AI chose {port!r}: host port {external} is outside "
                    f"CW_AI_HOST_PORTS ({context.settings.ai_host_ports})",
                )
            ]
    return []


def check_host_mount(resource: Resource, context: PolicyContext) -> list[Finding]:
    """The AI may add named volumes, never a mount of a host folder."""
    if not isinstance(resource, DockerResource) or "volumes" not in resource.ai_filled_fields:
        return []
    for volume in resource.volumes or []:
        if is_host_path(volume.split(":", 1)[0]):
            return [
                refused_by_ai("volumes", f"the AI chose {volume!r}, which mounts a host folder")
            ]
    return []


def policies() -> Iterable[tuple[str, Policy]]:
    yield (
        "docker.registry",
        Policy("AI-chosen images come from CW_AI_ALLOWED_REGISTRIES", check_registry),
    )
    yield (
        "docker.host-port",
        Policy("AI-chosen host ports are in CW_AI_HOST_PORTS", check_host_ports),
    )
    yield ("docker.host-mount", Policy("the AI mounts no host folder", check_host_mount))
