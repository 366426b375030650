"""Registers the docker plugin with Clockwork (entry point `clockwork`, name `docker`).

Classes are imported inside the hooks: `clockwork --help` loads this module, and
only commands that need the types pay for building their models.
"""

from clockwork import hookimpl


@hookimpl
def register_resources(register):
    from .resource import DockerResource

    register(DockerResource)


@hookimpl
def register_assertions(register):
    from .assertions import ContainerRunningAssert, LogContainsAssert

    register(ContainerRunningAssert)
    register(LogContainsAssert)


@hookimpl
def register_engine_plugins(register):
    from clockwork.engine_setup import sdk_plugin

    from .engine_source import SDK_VERSION, docker_bridge_source

    # pulumi-docker's own provider module is not on the Go proxy; where it cannot be
    # downloaded, setup builds our bridge of the same Terraform provider instead.
    register("docker", sdk_plugin("pulumi_docker", {SDK_VERSION: docker_bridge_source()}))


@hookimpl
def register_policies(register):
    from .policies import policies

    for name, policy in policies():
        register(name, policy)
