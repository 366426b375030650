"""Registers the apple plugin with Clockwork (entry point `clockwork`, name `apple`).

Classes are imported inside the hooks: `clockwork --help` loads this module, and
only commands that need the types pay for building their models.
"""

from clockwork import hookimpl


@hookimpl
def register_resources(register):
    from .resource import AppleContainerResource

    register(AppleContainerResource)


@hookimpl
def register_assertions(register):
    from .assertions import AppleContainerRunningAssert

    register(AppleContainerRunningAssert)


COMMAND_MODULE = "github.com/pulumi/pulumi-command/provider"
# The provider module has no tags of its own: the pseudo-version of the commit that
# the SDK's release tag (v1.2.1) points to.
COMMAND_COMMITS = {"1.2.1": "v0.0.0-20260303235922-7f3eb6f3b77c"}


@hookimpl
def register_engine_plugins(register):
    from clockwork.engine_setup import GoSource, sdk_plugin

    package = f"{COMMAND_MODULE}/cmd/pulumi-resource-command"
    sources = {
        version: GoSource(
            get=(f"{package}@{commit}",),
            binaries=(package,),
            ldflags=f"-s -w -X {COMMAND_MODULE}/pkg/version.Version={version}",
            minutes=3,
        )
        for version, commit in COMMAND_COMMITS.items()
    }
    register("command", sdk_plugin("pulumi_command", sources))
