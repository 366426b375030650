"""Core's own plugin: registered through the same hooks as every other plugin.

Like every plugin module it stays light to import: classes load inside the hooks.
"""

from .hookspecs import hookimpl


@hookimpl
def register_resources(register):
    from .resource import BlankResource

    register(BlankResource)


@hookimpl
def register_assertions(register):
    from .assertions import HealthcheckAssert, PortAccessibleAssert

    register(PortAccessibleAssert)
    register(HealthcheckAssert)


@hookimpl
def register_completers(register):
    # The factory imports pydantic-ai only when a resource actually needs completing.
    def pydantic_ai_completer(settings):
        from .pydantic_ai_completer import PydanticAICompleter

        return PydanticAICompleter(settings)

    register("pydantic-ai", pydantic_ai_completer)


@hookimpl
def register_prompt_templates(register):
    from .prompts import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_NAME

    register(DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE)


@hookimpl
def register_compilers(register):
    # The factory imports pulumi only when a compile actually happens.
    def pulumi_compiler(settings=None):
        from .compiler import PulumiCompiler

        return PulumiCompiler(settings.stack if settings is not None else "dev")

    register("pulumi", pulumi_compiler)


@hookimpl
def register_policies(register):
    from .policies import CONTROL_CHARACTERS

    register("core.control-chars", CONTROL_CHARACTERS)
