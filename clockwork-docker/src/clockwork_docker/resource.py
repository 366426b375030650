"""DockerResource: a container whose name, image, ports and settings the AI may fill."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from clockwork import ProjectError, Resource
from clockwork.answer_length import ShortAnswer

from .specs import (
    AI_IMAGE_PATTERN,
    AI_NAME_PATTERN,
    RESERVED_LABEL_PREFIX,
    check_docker_name,
    check_env_key,
    check_image,
    parse_port,
    parse_volume,
)

if TYPE_CHECKING:
    import pulumi

RestartPolicy = Literal["no", "on-failure", "always", "unless-stopped"]


class DockerResource(Resource):
    """A Docker container, with its image pulled (unless local) and its ports published.

    Containers connected with `.connect()` share a user network and reach each other
    by name.
    """

    # Short values: an AI answer much longer is a model looping (clockwork.answer_length).
    name: Annotated[
        str | None, ShortAnswer(48, AI_NAME_PATTERN, "a lowercase hostname like 'orders-db'")
    ] = Field(
        None,
        description="Container name; also the hostname connected containers reach it by.",
    )
    image: Annotated[
        str | None,
        ShortAnswer(96, AI_IMAGE_PATTERN, "an image like 'postgres:16' (no digest)"),
    ] = Field(None, description="Image reference, e.g. 'nginx:1.27-alpine' or 'postgres:16'.")
    ports: list[str] | None = Field(
        None,
        description="Published ports: 'host:container', '127.0.0.1:host:container', "
        "'host:container/udp'; [] for none.",
    )
    volumes: list[str] | None = Field(
        None,
        description="Mounts: 'volume_name:/path' or '/host/path:/path', optional ':ro'; "
        "[] for none.",
    )
    env_vars: dict[str, str] | None = Field(
        None, description="Environment variables of the container; {} for none."
    )
    networks: list[str] = Field(
        default_factory=list, description="Existing Docker networks to attach the container to."
    )
    command: list[str] | None = Field(
        None, description="Command to run instead of the image's default, as a list of words."
    )
    restart_policy: RestartPolicy = Field(
        "unless-stopped", description="When Docker restarts the container."
    )
    must_run: bool = Field(True, description="Fail the deployment if the container stops.")
    pull: bool = Field(
        True, description="Pull the image from a registry; False for a locally built image."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Extra Docker labels on the container."
    )

    # Attaching to networks, labelling, overriding the image's command and where the
    # image comes from are the user's decisions: an AI guess there breaks things quietly.
    secret_fields: ClassVar[frozenset[str]] = frozenset({"env_vars"})
    user_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"networks", "labels", "command", "pull", "restart_policy", "must_run"}
    )
    # Mounts and extra environment are asked for only when called for: a database
    # asked for volumes gets a made-up (often clashing) list nothing needs.
    ask_only_when_needed: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "volumes": ("volume", "mount", "persist", "storage", "bind"),
        "env_vars": ("environment", "env var", "variable"),
    }

    # ----- validation (runs at construction and on every assignment) --------------------

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str | None) -> str | None:
        return None if name is None else check_docker_name(name, "container name")

    @field_validator("image")
    @classmethod
    def _valid_image(cls, image: str | None) -> str | None:
        return None if image is None else check_image(image.strip())

    @field_validator("ports")
    @classmethod
    def _valid_ports(cls, ports: list[str] | None) -> list[str] | None:
        if ports is None:
            return None
        ports = [port.strip() for port in ports]
        bound: dict[tuple[str, int, str], str] = {}
        for port in ports:
            spec = parse_port(port)
            if spec.external is None:
                continue
            key = (spec.ip or "0.0.0.0", spec.external, spec.protocol)
            if key in bound:
                raise ValueError(f"ports {bound[key]!r} and {port!r} publish the same host port")
            bound[key] = port
        return ports

    @field_validator("volumes")
    @classmethod
    def _valid_volumes(cls, volumes: list[str] | None) -> list[str] | None:
        if volumes is None:
            return None
        volumes = [volume.strip() for volume in volumes]
        targets: dict[str, str] = {}
        for volume in volumes:
            target = parse_volume(volume).container_path.rstrip("/")
            if target in targets:
                raise ValueError(f"volumes {targets[target]!r} and {volume!r} mount the same path")
            targets[target] = volume
        return volumes

    @field_validator("env_vars")
    @classmethod
    def _valid_env_vars(cls, env_vars: dict[str, str] | None) -> dict[str, str] | None:
        for key, value in (env_vars or {}).items():
            check_env_key(key)
            if "\0" in value:
                raise ValueError(f"environment variable {key!r} contains a NUL byte")
        return env_vars

    @field_validator("networks")
    @classmethod
    def _valid_networks(cls, networks: list[str]) -> list[str]:
        return [check_docker_name(network, "network name", min_length=1) for network in networks]

    @field_validator("command")
    @classmethod
    def _valid_command(cls, command: list[str] | None) -> list[str] | None:
        if command is not None and not command:
            raise ValueError("command is empty: leave it None to run the image's default")
        if command is not None and any("\0" in word for word in command):
            raise ValueError("command contains a NUL byte")
        return command

    @field_validator("labels")
    @classmethod
    def _valid_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not key.strip() or "=" in key:
                raise ValueError(f"label {key!r} must be non-empty, without '='")
            if key.startswith(RESERVED_LABEL_PREFIX):
                raise ValueError(f"label {key!r}: labels starting with 'clockwork.' are reserved")
        return labels

    # ----- completion -----------------------------------------------------------------

    def calls_for(self, field: str) -> bool:
        # A connected peer's context (its host, port, credentials) calls for env vars
        # that wire this container up to it.
        if field == "env_vars" and self.connected:
            return True
        return super().calls_for(field)

    # ----- connections ----------------------------------------------------------------

    def get_connection_context(self) -> dict[str, Any]:
        """What a connected container needs: how to reach this one and how it is set up.

        Connected containers share a network, where this one answers at `hostname` on
        its `container_ports` (not the published host ports)."""
        context: dict[str, Any] = {
            "type": self.type_name(),
            "name": self.name,
            "description": self.description,
            "image": self.image,
            "hostname": self.name,
            "ports": self.ports,
            "container_ports": self.container_ports(),
            # Secret-looking values (passwords, tokens) read `<secret>` to the model.
            "env_vars": self.for_model(include={"env_vars"}).get("env_vars"),
        }
        return {key: value for key, value in context.items() if value is not None}

    def container_ports(self) -> list[int] | None:
        if self.ports is None:
            return None
        return sorted({parse_port(port).internal for port in self.ports})

    def docker_group(self) -> list[DockerResource]:
        """This container and every one linked to it through connections, transitively,
        sorted by name: the containers that share one network."""
        seen: dict[int, DockerResource] = {id(self): self}
        stack: list[DockerResource] = [self]
        while stack:
            current = stack.pop()
            for peer in (*current.connected, *current.connected_by):
                if isinstance(peer, DockerResource) and id(peer) not in seen:
                    seen[id(peer)] = peer
                    stack.append(peer)
        return sorted(seen.values(), key=lambda r: (r.name or "", r._seq))

    def group_network_name(self) -> str | None:
        """Name of the network this container shares with its peers; None when alone."""
        group = self.docker_group()
        if len(group) < 2:
            return None
        return f"clockwork-{group[0].name}-net"

    # ----- compilation ----------------------------------------------------------------

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        from .program import create_container

        if self.image is None:
            raise ProjectError(f"{self!r}: image is not set: give image= or let the AI fill it")
        return create_container(self, opts)
