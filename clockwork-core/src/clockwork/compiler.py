"""The Pulumi compiler: ordered, completed resources → a Pulumi program function.

Composites become ComponentResources and their children are parented to them;
`.connect()` becomes `depends_on`; each resource's `to_pulumi()` runs once, in
dependency order. Importing this module imports pulumi: only compile paths do.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from contextvars import ContextVar
from typing import Any

import pulumi

from .errors import ClockworkError
from .resource import Resource

COMPOSITE_TYPE = "clockwork:composite:{}"

# Pulumi resources several Clockwork resources share (e.g. one network for a group of
# connected containers), created once per program run.
_shared: ContextVar[dict[Hashable, Any] | None] = ContextVar("clockwork_shared", default=None)


def shared_resource(key: Hashable, create: Callable[[], Any]) -> Any:
    """The Pulumi resource stored under `key` in this program run, created on first ask.

    Call it from `to_pulumi()`; outside a compile it simply creates."""
    shared = _shared.get()
    if shared is None:
        return create()
    if key not in shared:
        shared[key] = create()
    return shared[key]


class CompileError(ClockworkError):
    """A resource could not be turned into Pulumi resources; nothing is deployed."""


class PulumiCompiler:
    name = "pulumi"

    def build_program(self, ordered: Sequence[Resource]) -> Callable[[], None]:
        """A Pulumi program that registers `ordered` (already topologically sorted)."""
        unnamed = next((r for r in ordered if r.name is None), None)
        if unnamed is not None:  # checked before anything registers: all or nothing
            raise CompileError(f"{unnamed!r} has no name: set name= or let the AI complete it")

        def program() -> None:
            created: dict[int, Any] = {}
            token = _shared.set({})
            try:
                for resource in ordered:
                    created[id(resource)] = _compile_one(resource, created)
            finally:
                _shared.reset(token)

        return program


def _compile_one(resource: Resource, created: dict[int, Any]) -> Any:
    parent = created.get(id(resource.parent)) if resource.parent is not None else None
    depends_on = [created[id(peer)] for peer in resource.connected if created.get(id(peer))]
    opts = pulumi.ResourceOptions(parent=parent, depends_on=depends_on or None)
    try:
        if resource.all_children:
            # A composite is a component; its own Pulumi resources (if any) live inside it.
            component = pulumi.ComponentResource(
                COMPOSITE_TYPE.format(resource.type_name()), resource.require_name(), None, opts
            )
            resource.to_pulumi(pulumi.ResourceOptions(parent=component))
            component.register_outputs({})
            return component
        return resource.to_pulumi(opts)
    except ClockworkError:
        raise
    except Exception as error:
        raise CompileError(
            f"{resource!r}: to_pulumi() failed: {type(error).__name__}: {error}"
        ) from error
