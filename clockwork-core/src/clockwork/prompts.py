"""What the AI is told when it completes one resource.

`build_prompt_context` gathers, as JSON-safe data, everything the model may know
about a resource: its type and description, the values the user set, the fields to
fill, the (already completed) resources it connects to, its (already completed)
parent and ancestors, and the user-set values of its children and siblings. The same
data goes into the cache key, so it must be deterministic: it never includes values
that a concurrently running completion may still be choosing.

A `PromptTemplate` turns that context into instructions and a user prompt. Core
registers the default under `"*"` (hook `register_prompt_templates`); a plugin may
register one for its own resource type name. Each template has a `version`, part of
the cache key: change the wording, bump the version.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import PluginError
from .resource import Resource, masked_for_model

DEFAULT_TEMPLATE_NAME = "*"

DEFAULT_INSTRUCTIONS = """\
You complete infrastructure resources for Clockwork. A user declared a resource and \
left some of its fields empty; choose sensible, working values for exactly those fields.
- The values the user set are fixed: stay consistent with them.
- Use the connected resources' values (hosts, ports, images, credentials) so that this \
resource really works with them.
- Prefer well-known, stable choices (official images, default ports) over inventions.
- Never invent host paths outside the project, secrets or credentials that were not \
given to you."""


# ----- the context ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldToFill:
    name: str
    type: str
    description: str | None


@dataclass(frozen=True)
class PromptContext:
    """JSON-safe facts about one resource, for the prompt and the cache key."""

    resource_type: str
    type_doc: str
    name: str | None
    description: str | None
    user_fields: dict[str, Any]
    fields_to_fill: list[FieldToFill]
    connections: list[dict[str, Any]] = field(default_factory=list)
    parent: dict[str, Any] | None = None
    ancestors: list[dict[str, Any]] = field(default_factory=list)  # beyond the parent
    children: list[dict[str, Any]] = field(default_factory=list)
    siblings: list[dict[str, Any]] = field(default_factory=list)
    # `apply --repair`: what the previous choice was and which checks it failed.
    previous_failures: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        shown = repr(self.name) if self.name is not None else "(unnamed)"
        return f"{self.resource_type} {shown}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.previous_failures:
            # A plain request keeps the cache key it had before repairs existed.
            del data["previous_failures"]
        return data

    def without_failures(self) -> PromptContext:
        """The plain request: what a run without `--repair` asks for this resource."""
        return replace(self, previous_failures=[])


def build_prompt_context(
    resource: Resource,
    previous_failures: Sequence[str] = (),
    *,
    secret_names: Iterable[str] = (),
) -> PromptContext:
    """Context of `resource`, read when its parent and connections are complete;
    `previous_failures` when it is asked again because its last values failed checks.

    Whatever each resource's `for_model()` already masks, the values under every
    secret-looking key (and those `secret_names` adds, CW_SECRET_NAME_PATTERNS) in
    any mapping of the context read `<secret>`: this is where data leaves for the model.
    """
    ancestors = _ancestors_of(resource)
    names = tuple(secret_names)

    def masked(summary: dict[str, Any]) -> dict[str, Any]:
        return {key: masked_for_model(value, names) for key, value in summary.items()}

    return PromptContext(
        resource_type=resource.type_name(),
        type_doc=inspect.cleandoc(type(resource).__doc__ or ""),
        name=resource.name,
        description=resource.description,
        user_fields=masked(resource.user_set_fields()),
        fields_to_fill=[_field_to_fill(resource, name) for name in resource.fields_to_complete()],
        connections=[masked(peer) for peer in resource.connections],
        parent=masked(_completed_summary(ancestors[0])) if ancestors else None,
        ancestors=[masked(_completed_summary(ancestor)) for ancestor in ancestors[1:]],
        children=[masked(_declared_summary(child)) for child in resource.all_children],
        siblings=[masked(_declared_summary(sibling)) for sibling in _siblings_of(resource)],
        previous_failures=list(previous_failures),
    )


def _ancestors_of(resource: Resource) -> list[Resource]:
    found = []
    ancestor = resource.parent
    while ancestor is not None:
        found.append(ancestor)
        ancestor = ancestor.parent
    return found


def _siblings_of(resource: Resource) -> list[Resource]:
    """The parent's other children, less those it connects to: the model sees each of
    those once, complete, under the connections (a small model reads slowly)."""
    if resource.parent is None:
        return []
    connected = {id(peer) for peer in resource.connected}
    return [
        child
        for child in resource.parent.all_children
        if child is not resource and id(child) not in connected
    ]


def _completed_summary(resource: Resource) -> dict[str, Any]:
    """Everything about a resource that is already complete (a parent, an ancestor)."""
    return {"type": resource.type_name(), **resource.for_model()}


def _declared_summary(resource: Resource) -> dict[str, Any]:
    """Only what the user declared: a child or sibling may still be completing, and its
    AI values must not make this resource's context (and cache key) depend on timing."""
    return {"type": resource.type_name(), **resource.user_set_fields()}


def _field_to_fill(resource: Resource, name: str) -> FieldToFill:
    info = type(resource).model_fields[name]
    return FieldToFill(name=name, type=type_label(info.annotation), description=info.description)


def type_label(annotation: Any) -> str:
    """A short, readable name for a field's type, without the `None` the user may leave."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return " | ".join(type_label(member) for member in members)
    if origin is typing.Annotated:
        return type_label(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        arguments = ", ".join(type_label(arg) for arg in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{arguments}]"
    if annotation is Any:
        return "any JSON value"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


# ----- templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptTemplate:
    """Instructions plus a user prompt made from a `PromptContext`.

    `guidance` is appended to the instructions: the easy way for a plugin to add advice
    for its type; `{name}`, `{type}` and `{description}` in it are filled in. Override
    `render` to change the prompt itself.
    """

    version: str
    instructions: str = DEFAULT_INSTRUCTIONS
    guidance: str = ""

    def system_instructions(self, context: PromptContext | None = None) -> str:
        guidance = self.guidance
        if context is not None and guidance:
            guidance = guidance.format_map(
                _Placeholders(
                    name=context.name,
                    type=context.resource_type,
                    description=context.description,
                )
            )
        return f"{self.instructions}\n\n{guidance}".strip()

    def render(self, context: PromptContext) -> str:
        sections = [
            _resource_section(context),
            _json_section("Values the user set (fixed)", context.user_fields),
            _fields_section(context.fields_to_fill),
            _json_section(
                "Resources it connects to (complete; use their values)", context.connections
            ),
            _json_section("Its parent (complete)", context.parent),
            _json_section("The parent's ancestors, nearest first", context.ancestors),
            _json_section("Other resources with the same parent", context.siblings),
            _json_section(
                "Its children (they are completed after it, from its values)", context.children
            ),
            _failures_section(context.previous_failures),
        ]
        return "\n\n".join(section for section in sections if section)


def _resource_section(context: PromptContext) -> str:
    lines = [f"Complete the resource {context.label}."]
    if context.type_doc:
        lines.append(f"About {context.resource_type}: {context.type_doc}")
    if context.description:
        lines.append(f"Description: {context.description}")
    return "\n".join(lines)


def _fields_section(fields: list[FieldToFill]) -> str:
    lines = ["Fields to fill (give a value for every one):"]
    for wanted in fields:
        about = f": {wanted.description}" if wanted.description else ""
        lines.append(f"- {wanted.name} ({wanted.type}){about}")
    return "\n".join(lines)


def _failures_section(failures: list[str]) -> str:
    if not failures:
        return ""
    lines = ["Your previous choice failed these checks; choose values that make them pass:"]
    lines += [f"- {failure}" for failure in failures]
    return "\n".join(lines)


def _json_section(title: str, data: Mapping[str, Any] | list[Any] | None) -> str:
    if not data:
        return ""
    # One line per item: indentation is most of an indented dump's tokens, and a small
    # local model reads the prompt at a few hundred tokens a second.
    if isinstance(data, list):
        body = "\n".join(f"- {_compact(item)}" for item in data)
    else:
        body = _compact(data)
    return f"{title}:\n{body}"


def _compact(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


DEFAULT_TEMPLATE = PromptTemplate(version="core-2")


class _Placeholders(dict[str, Any]):
    """Known placeholders filled in; any other `{...}` is left as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_for(resource_type: str, templates: Mapping[str, Any]) -> PromptTemplate:
    """The template registered for `resource_type`, else the `"*"` default.

    `templates` is the registry's `prompt_templates` table (name -> Registration)."""
    for name in (resource_type, DEFAULT_TEMPLATE_NAME):
        registration = templates.get(name)
        if registration is not None:
            return as_prompt_template(registration.value, registration.distribution)
    return DEFAULT_TEMPLATE


def as_prompt_template(value: Any, distribution: str = "a plugin") -> PromptTemplate:
    """A registered template: a PromptTemplate, or plain text taken as guidance for the
    type (versioned by its own hash, so editing it invalidates cached completions)."""
    if isinstance(value, PromptTemplate):
        return value
    if isinstance(value, str):
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
        return PromptTemplate(version=f"text-{digest}", guidance=value)
    raise PluginError(
        f"{distribution} registered a prompt template of type {type(value).__name__}; "
        "register a clockwork.prompts.PromptTemplate or a string"
    )
