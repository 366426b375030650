"""Long chains of `.connect()`: as deep as the graph goes, compiled and evaluated.

Pulumi's Python SDK checks every dependency for a cycle by walking, recursively, all
the dependency transitively depends on: a chain of ~1,000 resources crashed `plan`
with RecursionError, and shorter ones cost O(n³). Clockwork puts an incremental check
with the same answers in its place (clockwork.compiler.LinearCycleCheck); these tests
run chains past the old limit and hold the new check to Pulumi's answers.
"""

from __future__ import annotations

import asyncio
import random
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import resource_cycle_breaker, rpc

import clockwork_files.plugin
from clockwork import compiler, pipeline
from clockwork.compiler import LinearCycleCheck, install_linear_cycle_check
from clockwork.testing import compile_under_mocks, plugin_host, run_under_mocks
from clockwork_files import FileResource

FILE_TYPE = "pulumi-python:dynamic/clockwork:File"
EDGES = resource_cycle_breaker._DEPENDENCIES_PROPERTY


@pytest.fixture(autouse=True)
def files_plugin(no_pulumi_cli: Path) -> Iterator[None]:
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        yield


def file_chain(project: Path, length: int) -> list[FileResource]:
    files = []
    for i in range(length):
        file = FileResource(
            name=f"f{i}.txt", directory="out", description=f"link {i}", content=f"{i}\n"
        )
        file._project_dir = project
        if files:
            file.connect(files[-1])
        files.append(file)
    return files


# Seconds here; the timeouts only bound the failure: before the fix, Pulumi took minutes
# formatting the RecursionErrors of every resource past the limit.
@pytest.mark.timeout(120)
def test_a_chain_of_2000_files_compiles_each_depending_on_the_one_before(tmp_path: Path) -> None:
    registered = compile_under_mocks(file_chain(tmp_path, 2000))

    assert registered.names() == [f"f{i}.txt" for i in range(2000)]
    assert {r.type for r in registered} == {FILE_TYPE}
    assert registered[0].dependencies == []
    for earlier, later in zip(registered, registered[1:], strict=False):
        assert later.dependencies == [earlier.urn], later.name
    assert registered[-1].inputs["path"] == str(tmp_path / "out" / "f1999.txt")


@pytest.mark.timeout(120)
def test_plan_evaluates_a_chain_longer_than_the_recursion_limit(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource

        files = []
        for i in range(1200):
            file = FileResource(name=f"f{i}.txt", directory="out", description="a link",
                                content=f"{i}\\n")
            if files:
                file.connect(files[-1])
            files.append(file)
    """)
    )

    result = pipeline.plan(project / "main.py")

    registered = result.registered
    assert [r.name for r in registered] == [f"f{i}.txt" for i in range(1200)]
    urns = {r.name: r.urn for r in registered}
    for i, resource in enumerate(registered):
        assert resource.dependencies == ([urns[f"f{i - 1}.txt"]] if i else [])
    assert result.preview_skipped is not None  # no engine here: evaluation only


def test_pulumi_runs_clockworks_cycle_check_after_a_compile(tmp_path: Path) -> None:
    compile_under_mocks(file_chain(tmp_path, 2))

    assert install_linear_cycle_check()  # this SDK's check is where Clockwork expects it
    assert rpc.declare_dependency is compiler._cycle_check
    assert isinstance(rpc.declare_dependency, LinearCycleCheck)


# ----- real cycles are still refused, as Pulumi refuses them ------------------------------


class Thing(pulumi.CustomResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Thing", name, {}, opts)


def test_a_child_depending_on_its_own_component_is_a_cycle() -> None:
    def program() -> None:
        component = pulumi.ComponentResource("test:index:Group", "group", None)
        Thing("child", pulumi.ResourceOptions(parent=component, depends_on=[component]))

    with pytest.raises(RuntimeError, match="circular dependency .* named child"):
        run_under_mocks(program)


def test_a_cycle_closed_through_an_output_is_refused() -> None:
    """`a` depends on what an Output resolves to, `b`, which depends on `a`: the edge
    that closes the loop goes against the ranks and must be searched."""

    def program() -> None:
        later: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        a = Thing("a", pulumi.ResourceOptions(depends_on=[pulumi.Output.from_input(later)]))
        b = Thing("b", pulumi.ResourceOptions(depends_on=[a]))
        later.set_result(b)

    with pytest.raises(RuntimeError, match="circular dependency"):
        run_under_mocks(program)


# ----- LinearCycleCheck gives Pulumi's answers ----------------------------------------------


class Node:
    """Stands in for a Pulumi resource: both checks only hash it and set attributes."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"Node({self.index})"


def pulumis_check(from_resource: Any, to_resource: Any) -> bool:
    """Pulumi's own declare_dependency (resource_cycle_breaker), from its parts."""
    if resource_cycle_breaker._reachable(from_resource=to_resource, to_resource=from_resource):
        return False
    resource_cycle_breaker._add_dep(from_resource, to_resource)
    return True


def edges_of(nodes: list[Node]) -> dict[int, set[int]]:
    return {n.index: {m.index for m in getattr(n, EDGES, set())} for n in nodes}


def assert_ranks_ordered(nodes: list[Node]) -> None:
    """Everything ranks above all it depends on (what makes the fast path right)."""
    for node in nodes:
        for dependency in getattr(node, EDGES, set()):
            assert node._clockwork_dependency_rank > dependency._clockwork_dependency_rank


@pytest.mark.parametrize("seed", range(40))
def test_same_answers_as_pulumis_check_on_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(2, 30)
    ours = [Node(i) for i in range(size)]
    theirs = [Node(i) for i in range(size)]
    check = LinearCycleCheck(EDGES)
    order = list(range(size))
    rng.shuffle(order)  # the order resources first show up in, unlike their indexes
    for _ in range(size * 4):
        a, b = rng.choice(order), rng.choice(order)
        if rng.random() < 0.7 and a < b:  # mostly later → earlier, as programs declare
            a, b = b, a
        assert check(ours[a], ours[b]) == pulumis_check(theirs[a], theirs[b]), (a, b)
        assert_ranks_ordered(ours)
    assert edges_of(ours) == edges_of(theirs)
    assert not check.exhaustive


def test_a_self_dependency_is_a_cycle_for_both() -> None:
    ours, theirs = Node(0), Node(0)
    assert LinearCycleCheck(EDGES)(ours, ours) is False
    assert pulumis_check(theirs, theirs) is False


def test_edges_recorded_before_the_check_make_it_search_every_edge() -> None:
    a, b, c = Node(0), Node(1), Node(2)
    resource_cycle_breaker._add_dep(a, b)  # recorded by Pulumi's own check, unranked
    check = LinearCycleCheck(EDGES)

    assert check(b, c) is True
    assert check(c, a) is False  # c → a → b → c: found by walking, not by ranks
    assert check.exhaustive
    assert check(a, c) is True
    assert edges_of([a, b, c]) == {0: {1, 2}, 1: {2}, 2: set()}


def test_a_chain_declared_in_order_never_searches() -> None:
    check = LinearCycleCheck(EDGES)
    searched: list[Any] = []
    original = check._region
    check._region = lambda *args, **kwargs: (
        searched.append(args)
        or original(  # type: ignore[method-assign]
            *args, **kwargs
        )
    )
    nodes = [Node(i) for i in range(50_000)]

    for earlier, later in zip(nodes, nodes[1:], strict=False):
        assert check(later, earlier)

    assert searched == []
    assert check(nodes[0], nodes[-1]) is False  # closing the chain is still a cycle
