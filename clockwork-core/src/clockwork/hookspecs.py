"""Every hook a Clockwork plugin can implement.

Hooks follow the register-callback style: Clockwork calls the hook with a
`register` function and the plugin calls it once per thing it provides. Clockwork
knows which distribution each registration came from, so listings and conflicts
name the plugin.

Each registration hook declares its kind where it is defined (`@registration_hook`):
that declaration is the one table the plugin host, the registry (`registry.<kind>`)
and `clockwork plugins` (order and labels) are built from. Adding a kind is adding a
hook here, and a test that implements it (test_hookspecs_tested.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("clockwork")
hookimpl = HookimplMarker("clockwork")


class Kind(NamedTuple):
    """One kind of registration: what a registration hook fills in the registry."""

    hook: str  # the hook's name, e.g. "register_resources"
    name: str  # the registry's table and the key in `clockwork plugins --json`
    label: str  # how `clockwork plugins` labels it
    by_type: bool  # register(cls, name=None), known by cls.type_name(); else register(name, x)


# Registration kinds, in the order they are declared below (and listed).
REGISTRATION_KINDS: list[Kind] = []


def registration_hook(
    name: str, *, by_type: bool = False, label: str | None = None
) -> Callable[[Any], Any]:
    """Declare a hookspec whose implementations call `register` to fill registry table
    `name`."""

    def declare(function: Any) -> Any:
        REGISTRATION_KINDS.append(
            Kind(function.__name__, name, label or name.replace("_", " "), by_type)
        )
        return hookspec(function)

    return declare


@registration_hook("resources", by_type=True)
def register_resources(register):
    """Register resource types: `register(ResourceClass)`.

    The type is known by its class name (override with `ResourceClass.type_name()`);
    two plugins registering the same name is an error.
    """


@registration_hook("assertions", by_type=True)
def register_assertions(register):
    """Register assertion types: `register(AssertionClass)`."""


@registration_hook("completers")
def register_completers(register):
    """Register AI completer backends: `register(name, factory)`.

    `factory(settings)` returns an object with the completer interface. Import heavy
    SDKs inside the factory, not at module level: plugins load at CLI start-up.
    """


@registration_hook("compilers")
def register_compilers(register):
    """Register compilers that turn ordered resources into a deployable program:
    `register(name, factory)`; import heavy SDKs inside the factory."""


@registration_hook("prompt_templates")
def register_prompt_templates(register):
    """Register prompt templates: `register(resource_type_name, template)`.

    `"*"` is the default for every type; a template for one type name overrides it.
    """


@registration_hook("completion_tools")
def register_completion_tools(register):
    """Register tools the completing model may call (web search, an MCP bridge, ...):
    `register(name, tool_function)`. A PydanticAI-style function: typed parameters and
    a docstring. Tools are off unless named in `CW_COMPLETION_TOOLS`.
    """


@registration_hook("engine_plugins")
def register_engine_plugins(register):
    """Register the Pulumi plugins your resources need at deploy time:
    `register(name, EnginePlugin(name, version, source=GoSource(...)))` from
    `clockwork.engine_setup`. `clockwork setup` installs each (downloaded, or built from
    source where `source` says how); deploys never fetch one mid-run.
    """


@registration_hook("policies")
def register_policies(register):
    """Register rules that judge each completed resource before it compiles:
    `register("family.rule", Policy(description, check))` from `clockwork.policies`.

    `check(resource, context)` returns a `Finding(field, message, warn=False)` per
    problem; `resource.ai_filled_fields` says which values the AI chose (judge those,
    leave the user's alone). A refusal stops the run (exit 2) naming rule, resource and
    field; `CW_POLICIES_OFF` switches a rule off by name.
    """


# Not a registration kind: it adds to the click group it is given, nothing is kept.
@hookspec
def register_commands(cli):
    """Add commands to the `clockwork` click group: `@cli.command()`."""
