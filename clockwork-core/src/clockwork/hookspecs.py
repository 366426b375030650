"""Every hook a Clockwork plugin can implement.

Hooks follow the register-callback style: Clockwork calls the hook with a
`register` function and the plugin calls it once per thing it provides. Clockwork
knows which distribution each registration came from, so listings and conflicts
name the plugin.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("clockwork")
hookimpl = HookimplMarker("clockwork")


@hookspec
def register_resources(register):
    """Register resource types: `register(ResourceClass)`.

    The type is known by its class name (override with `ResourceClass.type_name()`);
    two plugins registering the same name is an error.
    """


@hookspec
def register_assertions(register):
    """Register assertion types: `register(AssertionClass)`."""


@hookspec
def register_completers(register):
    """Register AI completer backends: `register(name, factory)`.

    `factory(settings)` returns an object with the completer interface. Import heavy
    SDKs inside the factory, not at module level: plugins load at CLI start-up.
    """


@hookspec
def register_prompt_templates(register):
    """Register prompt templates: `register(resource_type_name, template)`.

    `"*"` is the default for every type; a template for one type name overrides it.
    """


@hookspec
def register_completion_tools(register):
    """Register tools the completing model may call (web search, an MCP bridge, ...):
    `register(name, tool_function)`. A PydanticAI-style function: typed parameters and
    a docstring. Tools are off unless named in `CW_COMPLETION_TOOLS`.
    """


@hookspec
def register_compilers(register):
    """Register compilers that turn ordered resources into a deployable program:
    `register(name, factory)`; import heavy SDKs inside the factory."""


@hookspec
def register_engine_plugins(register):
    """Register the Pulumi plugins your resources need at deploy time:
    `register(name, EnginePlugin(name, version, source=GoSource(...)))` from
    `clockwork.engine_setup`. `clockwork setup` installs each (downloaded, or built from
    source where `source` says how); deploys never fetch one mid-run.
    """


@hookspec
def register_commands(cli):
    """Add commands to the `clockwork` click group: `@cli.command()`."""
