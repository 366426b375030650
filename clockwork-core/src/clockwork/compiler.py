"""The Pulumi compiler: ordered, completed resources → a Pulumi program function.

Composites become ComponentResources and their children are parented to them;
`.connect()` becomes `depends_on`; each resource's `to_pulumi()` runs once, in
dependency order. Importing this module imports pulumi: only compile paths do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from contextvars import ContextVar
from typing import Any

import pulumi

from .engine import IDENTITIES_OUTPUT, read_deployed
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

    def __init__(self, stack: str = "dev"):
        self.stack = stack

    def build_program(self, ordered: Sequence[Resource]) -> Callable[[], None]:
        """A Pulumi program that registers `ordered` (already topologically sorted).

        A resource deployed before under another URN (renamed, or moved into or out of a
        composite: the same `identity()`) gets that URN as an alias, so the engine keeps
        it instead of creating it anew and deleting the old one. The program exports
        each resource's URN by identity for the next run (`engine.record_deployed`)."""
        unnamed = next((r for r in ordered if r.name is None), None)
        if unnamed is not None:  # checked before anything registers: all or nothing
            raise CompileError(unnamed.no_name_message())
        previous = read_deployed(ordered[0].project_dir, self.stack) if ordered else {}

        def program() -> None:
            install_linear_cycle_check()  # before anything registers; see there
            created: dict[int, Any] = {}
            token = _shared.set({})
            try:
                for resource in ordered:
                    created[id(resource)] = _compile_one(resource, created, previous)
            finally:
                _shared.reset(token)
            pulumi.export(
                IDENTITIES_OUTPUT,
                {
                    resource.identity(): created[id(resource)].urn
                    for resource in ordered
                    if isinstance(created.get(id(resource)), pulumi.Resource)
                },
            )

        return program


def previous_urn(resource: Resource, previous: dict[str, str]) -> str | None:
    """The URN `resource` was last deployed under, from the deploy record: by its
    identity, else by a former one. Former identities may read the disk (a file's
    spelling there), so they are asked only when the identity is not on record."""
    if not previous:
        return None
    urn = previous.get(resource.identity())
    if urn is not None:
        return urn
    return next((previous[i] for i in resource.former_identities() if i in previous), None)


def _compile_one(resource: Resource, created: dict[int, Any], previous: dict[str, str]) -> Any:
    parent = created.get(id(resource.parent)) if resource.parent is not None else None
    depends_on = [created[id(peer)] for peer in resource.connected if created.get(id(peer))]
    alias = previous_urn(resource, previous)
    opts = pulumi.ResourceOptions(
        parent=parent, depends_on=depends_on or None, aliases=[alias] if alias else None
    )
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


# ----- Pulumi's dependency cycle check, without recursion and in linear time ------------------
#
# Before a resource registers, Pulumi's Python SDK checks each of its dependencies
# (`depends_on`, and resources behind the Outputs in its inputs) for a cycle:
# pulumi.runtime.resource_cycle_breaker.declare_dependency(resource, dependency) walks
# everything the dependency transitively depends on, with a recursive generator, to see
# whether the resource is among it. Clockwork passes only direct dependencies (what each
# resource `.connect()`s to), but a chain of n connections is still n levels deep for
# that walk: past ~970 links it raises RecursionError (in `plan` under mocks and in the
# engine's program thread alike: the inline program runs in this process), and below
# that each walk costs O(depth²) (every value yielded climbs every level of
# `yield from`), so the chain costs O(n³): 500 links took 2-6 s, 2,000 would take
# minutes. Raising the recursion limit would only trade the crash for that time (and
# for a possible C-stack overflow in a thread).
#
# So Clockwork replaces that function, for the whole process, with one that gives the
# same answer for every edge (tests/test_long_chains.py checks it against Pulumi's on
# random graphs) and records edges the same way, but incrementally: every resource in
# the dependency graph carries a rank such that a resource ranks above all it depends
# on (Pearce & Kelly's dynamic topological order). An edge from a higher rank to a lower
# one cannot close a cycle: O(1), the usual case (Clockwork registers in dependency
# order). Only an edge against the ranks searches, within the ranks between its ends,
# and re-ranks what it found. No recursion anywhere.

_RANK = "_clockwork_dependency_rank"
_DEPENDENTS = "_clockwork_dependents"  # the reverse edges, for re-ranking


class LinearCycleCheck:
    """A drop-in for Pulumi's `declare_dependency(from_resource, to_resource) -> bool`:
    records that `from_resource` depends on `to_resource` unless that would close a
    cycle (then returns False and records nothing)."""

    def __init__(self, dependencies_attribute: str) -> None:
        self._deps = dependencies_attribute  # where Pulumi keeps each resource's edges
        self._lock = threading.Lock()  # one program at a time, but the engine's is a thread
        self._highest = 0
        self._lowest = 0
        # Set if an edge recorded before this check was installed shows up: ranks do not
        # cover it, so from then on every edge is checked by a full (iterative) walk.
        self.exhaustive = False

    def __call__(self, from_resource: Any, to_resource: Any) -> bool:
        with self._lock:
            if from_resource is to_resource:
                return False
            if not self.exhaustive and (
                self._unranked_with_edges(from_resource) or self._unranked_with_edges(to_resource)
            ):
                self.exhaustive = True
            if self.exhaustive:
                if self._reaches(to_resource, from_resource):
                    return False
            elif not self._keep_ranked(from_resource, to_resource):
                return False
            self._add_edge(from_resource, to_resource)
            return True

    def _edges(self, resource: Any) -> set[Any]:
        edges: set[Any] = getattr(resource, self._deps, None) or set()
        return edges

    def _unranked_with_edges(self, resource: Any) -> bool:
        return getattr(resource, _RANK, None) is None and bool(self._edges(resource))

    def _add_edge(self, from_resource: Any, to_resource: Any) -> None:
        edges = getattr(from_resource, self._deps, None)
        if edges is None:
            setattr(from_resource, self._deps, {to_resource})
        else:
            edges.add(to_resource)
        dependents = getattr(to_resource, _DEPENDENTS, None)
        if dependents is None:
            setattr(to_resource, _DEPENDENTS, {from_resource})
        else:
            dependents.add(from_resource)

    def _reaches(self, start: Any, target: Any) -> bool:
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            if node is target:
                return True
            for nxt in self._edges(node):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def _keep_ranked(self, from_resource: Any, to_resource: Any) -> bool:
        """Rank both ends so that `from_resource` ranks above `to_resource`; False if the
        edge would close a cycle (then no rank has moved)."""
        rank_to = getattr(to_resource, _RANK, None)
        if rank_to is None:  # in no edge yet: it can go below everything
            self._lowest -= 1
            rank_to = self._lowest
            setattr(to_resource, _RANK, rank_to)
        rank_from = getattr(from_resource, _RANK, None)
        if rank_from is None:  # in no edge yet: above everything
            self._highest += 1
            rank_from = self._highest
            setattr(from_resource, _RANK, rank_from)
        if rank_from > rank_to:
            return True  # every path goes down in rank: none leads from to_resource up here
        # What to_resource depends on, ranked above from_resource: a cycle if that holds
        # from_resource; otherwise all of it must move below what depends on from_resource.
        below = self._region(
            to_resource, self._deps, lambda rank: rank > rank_from, stop=from_resource
        )
        if below is None:
            return False
        above = self._region(from_resource, _DEPENDENTS, lambda rank: rank < rank_to)
        assert above is not None
        below.sort(key=lambda node: getattr(node, _RANK))
        above.sort(key=lambda node: getattr(node, _RANK))
        ranks = sorted(getattr(node, _RANK) for node in below + above)
        for node, rank in zip(below + above, ranks, strict=True):
            setattr(node, _RANK, rank)
        return True

    def _region(
        self, start: Any, attribute: str, within: Callable[[int], bool], stop: Any = None
    ) -> list[Any] | None:
        """`start` and all reachable from it through `attribute` edges whose ranks are
        `within`; None if `stop` is reachable so."""
        seen = {start}
        stack = [start]
        found: list[Any] = []
        while stack:
            node = stack.pop()
            found.append(node)
            for nxt in getattr(node, attribute, None) or ():
                if nxt is stop:
                    return None
                if nxt not in seen and within(getattr(nxt, _RANK)):
                    seen.add(nxt)
                    stack.append(nxt)
        return found


_cycle_check: LinearCycleCheck | None = None
_install_lock = threading.Lock()


def install_linear_cycle_check() -> bool:
    """Put LinearCycleCheck in place of Pulumi's cycle check (once per process). False
    if this Pulumi SDK's is not where it used to be: then Pulumi's own stays."""
    global _cycle_check
    from pulumi.runtime import resource_cycle_breaker, rpc

    with _install_lock:
        if _cycle_check is not None:
            return rpc.declare_dependency is _cycle_check
        attribute = getattr(resource_cycle_breaker, "_DEPENDENCIES_PROPERTY", None)
        original = getattr(resource_cycle_breaker, "declare_dependency", None)
        in_use = getattr(rpc, "declare_dependency", None)
        if not isinstance(attribute, str) or original is None or in_use is not original:
            return False
        _cycle_check = LinearCycleCheck(attribute)
        rpc.declare_dependency = _cycle_check
        resource_cycle_breaker.declare_dependency = _cycle_check
        return True
