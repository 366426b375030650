"""AppleContainerResource: a Linux container run by Apple's `container` CLI (macOS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field, field_validator, model_validator

from clockwork import ProjectError, Resource

from . import specs

if TYPE_CHECKING:
    import pulumi


class AppleContainerResource(Resource):
    """A container started with `container run --detach`, removed on destroy."""

    name: str | None = Field(
        None, description="Container name (letters, digits, '_', '.', '-'), e.g. 'web'."
    )
    image: str | None = Field(None, description="Image reference, e.g. 'nginx:1.27'.")
    ports: list[str] | None = Field(
        None,
        description="Published ports 'HOST:CONTAINER' or 'IP:HOST:CONTAINER', "
        "optionally with '/tcp' or '/udp', e.g. ['8080:80'].",
    )
    volumes: list[str] = Field(
        default_factory=list,
        description="Mounts 'SOURCE:TARGET[:ro]': SOURCE is a host path ('/..', './..', "
        "'~/..') or a volume name.",
    )
    env_vars: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of the container."
    )
    networks: list[str] = Field(
        default_factory=list, description="Networks to attach the container to."
    )
    command: list[str] | None = Field(
        None, description="Arguments that replace the image's command."
    )
    must_run: bool = Field(
        True, description="Fail the deploy when the container stops right after it starts."
    )

    # Mounts, environment, networks and the command are the user's call: the AI only
    # chooses a name, an image and ports.
    user_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"volumes", "env_vars", "networks", "command", "must_run"}
    )

    # ----- validation -----------------------------------------------------------------

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str | None) -> str | None:
        return None if name is None else specs.entity_name(name, "name")

    @field_validator("image")
    @classmethod
    def _valid_image(cls, image: str | None) -> str | None:
        return None if image is None else specs.image_reference(image)

    @field_validator("ports")
    @classmethod
    def _valid_ports(cls, ports: list[str] | None) -> list[str] | None:
        if ports is None:
            return None
        canonical = [specs.port(spec) for spec in ports]
        seen: dict[tuple[str, str, str], str] = {}
        for spec in canonical:
            where = specs.published_on(spec)
            if where in seen:
                raise ValueError(f"ports {seen[where]!r} and {spec!r} publish the same host port")
            seen[where] = spec
        return canonical

    @field_validator("volumes")
    @classmethod
    def _valid_volumes(cls, volumes: list[str]) -> list[str]:
        for spec in volumes:
            specs.volume(spec)
        return volumes

    @field_validator("env_vars")
    @classmethod
    def _valid_env_vars(cls, env_vars: dict[str, str]) -> dict[str, str]:
        for key, value in env_vars.items():
            specs.env_var(key, value)
        return env_vars

    @field_validator("networks")
    @classmethod
    def _valid_networks(cls, networks: list[str]) -> list[str]:
        # A ',' would add options (`NAME,mac=...`): the strict name rule leaves none.
        return [specs.entity_name(network, "network") for network in networks]

    @field_validator("command")
    @classmethod
    def _valid_command(cls, command: list[str] | None) -> list[str] | None:
        if command is None:
            return None
        return [specs.argument(arg, f"command[{i}]") for i, arg in enumerate(command)]

    @model_validator(mode="after")
    def _volume_targets_differ(self) -> Self:
        targets = [specs.volume(spec).target for spec in self.volumes]
        duplicates = sorted({t for t in targets if targets.count(t) > 1})
        if duplicates:
            raise ValueError(f"volumes mount more than one source at {duplicates[0]!r}")
        return self

    def parsed_volumes(self) -> list[specs.Volume]:
        return [specs.volume(spec) for spec in self.volumes]

    # ----- compilation ----------------------------------------------------------------

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        from .program import create_command

        if self.name is None or self.image is None:
            missing = " and ".join(f for f in ("name", "image") if getattr(self, f) is None)
            raise ProjectError(f"{self!r}: {missing} not set: give it or let the AI fill it")
        return create_command(self, opts)
