"""What a DockerResource becomes in a Pulumi program (imports pulumi_docker: compile only)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from clockwork.compiler import shared_resource

from .resource import DockerResource
from .specs import NAME_LABEL, PROJECT_LABEL, parse_port, parse_volume


def create_container(resource: DockerResource, opts: pulumi.ResourceOptions | None) -> Any:
    """The image (unless local), the shared network of its group, and the container."""
    name = resource.require_name()  # the compiler refuses unnamed resources before this
    opts = opts or pulumi.ResourceOptions()
    image = pulled_image(resource, opts)
    if image is not None:
        # Explicit as well as through image_id, so the order holds even while the id is
        # unknown (previews, mocks).
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[image]))
    return docker.Container(
        name,
        name=name,
        image=image.image_id if image is not None else resource.image,
        ports=port_args(resource) or None,
        envs=environment(resource),
        volumes=volume_args(resource) or None,
        networks_advanced=network_args(resource, name) or None,
        restart=resource.restart_policy,
        must_run=resource.must_run,
        command=resource.command,
        labels=label_args(resource),
        opts=opts,
    )


def environment(resource: DockerResource) -> Any:
    """`KEY=VALUE` lines, as a Pulumi secret: encrypted in the state, never shown."""
    lines = [f"{key}={value}" for key, value in (resource.env_vars or {}).items()]
    return pulumi.Output.secret(lines) if lines else None


def pulled_image(
    resource: DockerResource, opts: pulumi.ResourceOptions
) -> docker.RemoteImage | None:
    """The image pulled from its registry; None for a local image (pull=False)."""
    if not resource.pull:
        return None
    return docker.RemoteImage(
        f"{resource.name}-image",
        name=resource.image,
        keep_locally=True,  # other containers (and the user) may use the same image
        opts=pulumi.ResourceOptions(parent=opts.parent),
    )


def port_args(resource: DockerResource) -> list[docker.ContainerPortArgs]:
    specs = (parse_port(port) for port in resource.ports or [])
    return [
        docker.ContainerPortArgs(
            internal=spec.internal, external=spec.external, ip=spec.ip, protocol=spec.protocol
        )
        for spec in specs
    ]


def volume_args(resource: DockerResource) -> list[docker.ContainerVolumeArgs]:
    args = []
    for volume in resource.volumes or []:
        spec = parse_volume(volume)
        host_path = spec.host_path
        if host_path is not None:  # Docker wants absolute paths; relative ones are the project's
            host_path = str((resource.project_dir / host_path).resolve())
        args.append(
            docker.ContainerVolumeArgs(
                container_path=spec.container_path,
                host_path=host_path,
                volume_name=spec.volume_name,
                read_only=spec.read_only or None,
            )
        )
    return args


def network_args(resource: DockerResource, name: str) -> list[docker.ContainerNetworksAdvancedArgs]:
    """The user's networks, plus the group's shared one where peers reach it by name."""
    args = [docker.ContainerNetworksAdvancedArgs(name=network) for network in resource.networks]
    network_name = resource.group_network_name()
    if network_name is not None:
        network = shared_resource(
            ("clockwork-docker", "network", network_name),
            lambda: group_network(network_name, project_name(resource)),
        )
        args.append(docker.ContainerNetworksAdvancedArgs(name=network.name, aliases=[name]))
    return args


def group_network(name: str, project: str) -> docker.Network:
    # Top level, not inside one member's composite: it belongs to the whole group.
    return docker.Network(
        name,
        name=name,
        labels=[docker.NetworkLabelArgs(label=PROJECT_LABEL, value=project)],
    )


def label_args(resource: DockerResource) -> list[docker.ContainerLabelArgs]:
    labels = {
        **resource.labels,
        NAME_LABEL: resource.name or "",
        PROJECT_LABEL: project_name(resource),
    }
    return [docker.ContainerLabelArgs(label=key, value=value) for key, value in labels.items()]


def project_name(resource: DockerResource) -> str:
    return resource.project_dir.name
