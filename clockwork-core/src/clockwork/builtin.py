"""Core's own plugin: registered through the same hooks as every other plugin."""

from .assertions import HealthcheckAssert, PortAccessibleAssert
from .hookspecs import hookimpl
from .resource import BlankResource


@hookimpl
def register_resources(register):
    register(BlankResource)


@hookimpl
def register_assertions(register):
    register(PortAccessibleAssert)
    register(HealthcheckAssert)


@hookimpl
def register_compilers(register):
    # The factory imports pulumi only when a compile actually happens.
    def pulumi_compiler(settings=None):
        from .compiler import PulumiCompiler

        return PulumiCompiler()

    register("pulumi", pulumi_compiler)
