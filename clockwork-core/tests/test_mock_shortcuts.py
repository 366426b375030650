"""Evaluating under mocks takes shortcuts through the Pulumi SDK (clockwork.mock_shortcuts,
clockwork.inline_monitor): what a program registers, and what it sees of its
resources, must be what Pulumi's own mock runtime gives, and the shortcuts must not
reach outside the evaluation."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.runtime
import pytest
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc
from pulumi.runtime import resource as runtime_resource

from clockwork import BlankResource, Resource, mock_shortcuts, simulate
from clockwork.compiler import PulumiCompiler
from clockwork.graph import topological_order
from clockwork.inline_monitor import NeedsThread, calls_inline, finish_now
from clockwork.simulate import RegisteredResources, holds_secret, run_under_mocks

Observed = list[tuple[str, Any]]


def observe(observed: Observed, label: str, output: pulumi.Output[Any]) -> None:
    output.apply(lambda value: observed.append((label, value)))


def infrastructure(observed: Observed) -> None:
    """Parents, dependencies, secrets, outputs as inputs, a resource as an input, an
    alias, a read, and a resource registered from inside an apply."""
    network = pulumi.CustomResource(
        "test:index:Network",
        "network",
        {"cidr": "10.0.0.0/16", "tags": {"mixed": ["x", 1, 2.5, True, None], "empty": {}}},
    )
    group = pulumi.ComponentResource("test:index:Group", "group", None, None)
    database = pulumi.CustomResource(
        "test:index:Database",
        "database",
        {
            "password": pulumi.Output.secret("hunter2"),
            "network_id": network.id,
            "network_urn": network.urn,
            "nested": {"ids": [network.id, "literal"]},
        },
        pulumi.ResourceOptions(parent=group, depends_on=[network], delete_before_replace=True),
    )
    pulumi.CustomResource(
        "test:index:Consumer",
        "consumer",
        {"database": database, "port": 5432},
        pulumi.ResourceOptions(parent=database, aliases=[pulumi.Alias(name="old-consumer")]),
    )
    existing = pulumi.CustomResource(
        "test:index:Existing", "existing", {"hint": "x"}, pulumi.ResourceOptions(id="ext-1")
    )
    group.register_outputs({"database": database.id})
    database.id.apply(
        lambda database_id: pulumi.CustomResource(
            "test:index:Later", f"later-{database_id}", {"from": database_id}
        )
    )
    observe(observed, "network.id", network.id)
    observe(observed, "network.tags", network.tags)  # type: ignore[attr-defined]
    observe(observed, "database.urn", database.urn)
    observe(observed, "database.password", database.password)  # type: ignore[attr-defined]
    observe(observed, "database.nested", database.nested)  # type: ignore[attr-defined]
    observe(observed, "existing.id", existing.id)
    observe(observed, "urn", pulumi.create_urn("n", "test:index:T", parent=database))


def plainly(program: Callable[[], None], preview: bool) -> RegisteredResources:
    """`program` under Pulumi's mock runtime as Pulumi runs it: no shortcut, every
    monitor call on a worker thread."""
    simulate._ensure_event_loop()
    monitor = simulate._recording_monitor()
    pulumi.runtime.set_mocks(
        monitor.mocks, project="clockwork-test", stack="test", preview=preview, monitor=monitor
    )
    pulumi.runtime.test(program)()
    return monitor.registered


def by_urn(registered: RegisteredResources) -> list[tuple[Any, ...]]:
    return sorted(
        (r.urn, r.type, r.name, r.inputs, r.parent, sorted(r.dependencies), r.custom)
        + (r.delete_before_replace,)
        for r in registered
    )


@pytest.mark.parametrize("preview", [False, True])
def test_a_program_registers_and_sees_what_pulumis_own_mock_runtime_gives(preview: bool) -> None:
    seen_plainly: Observed = []
    expected = plainly(lambda: infrastructure(seen_plainly), preview)
    seen: Observed = []
    registered = run_under_mocks(lambda: infrastructure(seen), preview=preview)

    assert by_urn(registered) == by_urn(expected)
    assert sorted(seen, key=repr) == sorted(seen_plainly, key=repr)
    # The program is rich enough to mean something: every kind of input reached the record.
    assert registered.names() == ["network", "group", "database", "consumer", "later-database-id"]
    assert holds_secret(registered.named("database").inputs)
    assert registered.named("database").dependencies == [registered.named("network").urn]
    assert registered.named("consumer").parent == registered.named("database").urn
    assert ("network.id", "network-id") in seen


class Leaf(Resource):
    size: int | None = None

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        return pulumi.CustomResource("test:index:Leaf", self.name, {"size": self.size}, opts)


def clockwork_project() -> list[Resource]:
    """Composites of connected leaves, connected across composites too."""
    shared = Leaf(name="shared", size=0)
    roots: list[Resource] = [shared]
    previous: Leaf | None = None
    for group_index in range(4):
        leaves = [Leaf(name=f"leaf-{group_index}-{i}", size=i) for i in range(4)]
        leaves[0].connect(shared)
        for leaf in leaves[1:]:
            leaf.connect(leaves[0])
        if previous is not None:
            leaves[-1].connect(previous)
        previous = leaves[0]
        roots.append(BlankResource(name=f"group-{group_index}").add(*leaves))
    return roots


@pytest.mark.parametrize("preview", [False, True])
def test_a_compiled_clockwork_project_registers_what_pulumis_own_mock_runtime_gives(
    preview: bool,
) -> None:
    def program() -> Callable[[], None]:
        return PulumiCompiler().build_program(topological_order(clockwork_project()))

    expected = plainly(program(), preview)
    registered = run_under_mocks(program(), preview=preview)

    assert by_urn(registered) == by_urn(expected)
    assert len(registered) == 1 + 4 * 5
    assert all(r.dependencies for r in registered if r.name.startswith("leaf-"))


def test_each_shortcut_finds_what_it_replaces_in_this_pulumi_sdk() -> None:
    assert mock_shortcuts.installed() == {
        "stack_trace": True,
        "contains_unknowns": True,
        "create_urn": True,
        "log_debug": True,
        "mock_monitor_sync_await": True,
    }


class Traced:
    """Pulumi looks for user code below three `__init__` frames (Resource, CustomResource,
    the concrete class): a stand-in for that stack."""

    def __init__(self, depth: int = 3) -> None:
        if depth > 1:
            self.trace = Traced(depth - 1).trace
        else:
            self.trace = runtime_resource._get_stack_trace()


def test_outside_an_evaluation_pulumi_keeps_its_own_functions() -> None:
    mock_shortcuts.install()

    outside = Traced().trace
    with mock_shortcuts.taken():
        inside = Traced().trace

    assert len(outside.frames) > 0  # this test's own frames, as the engine would show them
    assert len(inside.frames) == 0
    other_thread: list[bool] = []
    with mock_shortcuts.taken():
        worker = threading.Thread(
            target=lambda: other_thread.append(mock_shortcuts.evaluating_under_mocks())
        )
        worker.start()
        worker.join()
    assert other_thread == [False]  # a real engine's program thread is untouched


@pytest.mark.parametrize("parent", [None, "urn:pulumi:test::clockwork-test::test:index:Group::g"])
def test_create_urn_gives_the_output_pulumis_gives(parent: str | None) -> None:
    pulumis = runtime_resource.create_urn.__wrapped__  # type: ignore[attr-defined]

    async def described(output: pulumi.Output[Any]) -> tuple[Any, ...]:
        return (
            await output.future(),
            await output.is_known(),
            await output.is_secret(),
            await output.resources(),
        )

    async def both() -> list[tuple[Any, ...]]:
        with mock_shortcuts.taken():
            shortcut = runtime_resource.create_urn("name", "test:index:T", parent)
        return [await described(shortcut), await described(pulumis("name", "test:index:T", parent))]

    results: list[list[tuple[Any, ...]]] = []
    simulate._ensure_event_loop()
    monitor = simulate._recording_monitor()
    pulumi.runtime.set_mocks(monitor.mocks, project="clockwork-test", stack="test", monitor=monitor)
    pulumi.runtime.test(lambda: pulumi.Output.from_input(both()).apply(results.append))()

    [[shortcut, pulumis_own]] = results
    assert shortcut == pulumis_own
    assert shortcut[0].endswith("test:index:T::name")


SHARED: list[Any] = ["a"]
LOOPED: list[Any] = [1]
LOOPED.append(LOOPED)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        3,
        Unknown(),
        [1, [2, {"deep": Unknown()}]],
        {"a": [1, 2], "b": {"c": "d"}},
        {"first": SHARED, "second": SHARED},
        LOOPED,
        {"x": LOOPED, "y": [Unknown()]},
    ],
)
def test_contains_unknowns_answers_as_pulumis_does(value: Any) -> None:
    pulumis = rpc.contains_unknowns.__wrapped__  # type: ignore[attr-defined]
    with mock_shortcuts.taken():
        assert rpc.contains_unknowns(value) == pulumis(value)


def test_a_monitor_call_that_must_wait_runs_on_a_worker_thread_instead() -> None:
    mock_shortcuts.install()

    async def ready() -> str:
        return "ready"

    async def must_wait() -> str:
        await asyncio.sleep(0)
        return "waited"

    def monitor_call(coroutine: Callable[[], Any]) -> tuple[str, bool]:
        value = mocks._sync_await(coroutine())
        return value, threading.current_thread() is threading.main_thread()

    async def evaluation() -> list[tuple[str, bool]]:
        loop = asyncio.get_running_loop()
        with mock_shortcuts.taken(), calls_inline(loop):
            return [
                await loop.run_in_executor(None, monitor_call, ready),
                await loop.run_in_executor(None, monitor_call, must_wait),
            ]

    assert asyncio.run(evaluation()) == [("ready", True), ("waited", False)]


def test_finish_now_finishes_a_coroutine_or_says_it_cannot() -> None:
    async def plain() -> int:
        return 7

    async def waits() -> int:
        await asyncio.sleep(0)
        return 8

    assert finish_now(plain()) == 7
    with pytest.raises(NeedsThread):
        finish_now(waits())


def test_nothing_an_evaluation_made_outlives_it_but_what_it_returns() -> None:
    """The root Stack is the evaluation's own, and the young generation is collected at
    the end: a long test session does not carry each evaluation's object graph (Pulumi
    resources, Outputs, futures) into the next."""
    made: list[weakref.ref[pulumi.Resource]] = []

    def program() -> None:
        for index in range(20):
            resource = pulumi.CustomResource("test:index:Thing", f"thing-{index}", {"i": index})
            made.append(weakref.ref(resource))
        pulumi.export("urns", [ref().urn for ref in made])  # type: ignore[union-attr]

    before = pulumi.runtime.settings.get_root_resource()
    registered = run_under_mocks(program)

    assert len(registered) == 20
    assert [ref for ref in made if ref() is not None] == []
    assert pulumi.runtime.settings.get_root_resource() is before
