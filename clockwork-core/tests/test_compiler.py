"""The Pulumi compiler, run under Pulumi's mock engine through clockwork.testing."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from clockwork import BlankResource, ProjectError, Resource
from clockwork.compiler import COMPOSITE_TYPE, CompileError, PulumiCompiler
from clockwork.graph import topological_order
from clockwork.testing import RegisteredResources, compile_under_mocks, plugin_host, run_under_mocks

THING = "test:index:Thing"
BLANK = COMPOSITE_TYPE.format("BlankResource")


class Thing(Resource):
    """A leaf that registers one custom resource."""

    size: int | None = None

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        return pulumi.CustomResource(THING, self.name, {"size": self.size}, opts)


class Service(Resource):
    """A composite that also has a Pulumi resource of its own."""

    image: str = "nginx"

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        return pulumi.CustomResource("test:index:Service", self.name, {"image": self.image}, opts)


class Broken(Resource):
    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        raise RuntimeError("the cloud is on fire")


class Refusing(Resource):
    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        raise ProjectError(f"{self!r}: refusing on purpose")


@pytest.fixture(autouse=True)
def core_only_host():
    with plugin_host() as host:
        yield host


def parents(registered: RegisteredResources) -> dict[str, str | None]:
    return {r.name: registered.name_of(r.parent) for r in registered}


def dependencies(registered: RegisteredResources) -> dict[str, set[str | None]]:
    return {r.name: {registered.name_of(urn) for urn in r.dependencies} for r in registered}


# ----- composition ------------------------------------------------------------------------


def test_three_level_composite_registers_exactly_the_tree():
    top = BlankResource(name="top").add(
        Thing(name="t1"),
        BlankResource(name="mid").add(
            Thing(name="m1"),
            BlankResource(name="inner").add(Thing(name="i1"), Thing(name="i2")),
            Thing(name="m2"),
        ),
        Thing(name="t2"),
    )
    registered = compile_under_mocks([top])

    assert parents(registered) == {
        "top": None,
        "t1": "top",
        "t2": "top",
        "mid": "top",
        "m1": "mid",
        "m2": "mid",
        "inner": "mid",
        "i1": "inner",
        "i2": "inner",
    }
    assert len(registered) == 9  # nothing twice
    types = {r.name: r.type for r in registered}
    assert {n for n, t in types.items() if t == BLANK} == {"top", "mid", "inner"}
    assert {n for n, t in types.items() if t == THING} == {"t1", "t2", "m1", "m2", "i1", "i2"}
    assert all(not r.custom for r in registered.of_type(BLANK))
    assert all(r.custom for r in registered.of_type(THING))
    assert all(r.dependencies == [] for r in registered)


def test_compiling_a_leaf_also_compiles_its_ancestors():
    leaf = Thing(name="leaf")
    BlankResource(name="outer").add(BlankResource(name="holder").add(leaf))
    registered = compile_under_mocks([leaf])
    assert parents(registered) == {"outer": None, "holder": "outer", "leaf": "holder"}


def test_inputs_reach_the_engine():
    registered = compile_under_mocks([Thing(name="a", size=3)])
    assert registered.named("a").inputs == {"size": 3}


def test_composite_with_its_own_resource_puts_it_inside_the_component():
    web = Service(name="web", image="caddy").add(Thing(name="cache"))
    registered = compile_under_mocks([web])

    [component] = registered.of_type(COMPOSITE_TYPE.format("Service"))
    [own] = registered.of_type("test:index:Service")
    assert component.name == own.name == "web"
    assert component.parent == ""
    assert own.parent == component.urn
    assert own.inputs == {"image": "caddy"}
    assert registered.named("cache").parent == component.urn
    assert len(registered) == 3


# ----- connections ------------------------------------------------------------------------


def test_diamond_of_connections_gives_exactly_those_dependencies():
    a = Thing(name="a")
    b = Thing(name="b").connect(a)
    c = Thing(name="c").connect(a)
    d = Thing(name="d").connect(b, c)
    registered = compile_under_mocks([d])

    assert dependencies(registered) == {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}
    assert len(registered.named("d").dependencies) == 2
    assert all(r.parent == "" for r in registered)


def test_dependencies_resolve_whatever_the_declaration_order():
    d = Thing(name="d")
    c = Thing(name="c")
    b = Thing(name="b")
    a = Thing(name="a")
    d.connect(b, c)
    b.connect(a)
    c.connect(a)
    registered = compile_under_mocks([a, b, c, d])
    assert dependencies(registered) == {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}


def test_connection_to_a_composite_depends_on_its_children():
    db = BlankResource(name="db").add(
        Thing(name="primary"),
        BlankResource(name="replicas").add(Thing(name="r1"), Thing(name="r2")),
    )
    app = Thing(name="app").connect(db)
    registered = compile_under_mocks([app])

    # A local component stands for what it holds: the engine gets the leaves.
    assert dependencies(registered)["app"] == {"primary", "r1", "r2"}
    assert registered.named("app").parent == ""


def test_connection_to_a_composite_declared_later_still_covers_its_children():
    app = Thing(name="app")
    db = BlankResource(name="db").add(Thing(name="primary"), Thing(name="replica"))
    app.connect(db)
    registered = compile_under_mocks([app, db])
    assert dependencies(registered)["app"] == {"primary", "replica"}


def test_connected_composite_depends_on_its_peer():
    queue = Thing(name="queue")
    workers = BlankResource(name="workers").add(Thing(name="w1")).connect(queue)
    registered = compile_under_mocks([workers])

    assert dependencies(registered)["workers"] == {"queue"}
    assert registered.named("w1").parent == registered.named("workers").urn


def test_connection_to_a_child_inside_another_composite():
    inner = Thing(name="inner")
    BlankResource(name="box").add(inner)
    outer = Thing(name="outer").connect(inner)
    registered = compile_under_mocks([outer])
    assert dependencies(registered)["outer"] == {"inner"}
    assert parents(registered) == {"box": None, "inner": "box", "outer": None}


# ----- failures ---------------------------------------------------------------------------


def test_failing_to_pulumi_is_a_compile_error_naming_the_resource():
    a = Thing(name="a")
    broken = Broken(name="kaput").connect(a)
    after = Thing(name="after").connect(broken)

    with pytest.raises(CompileError) as caught:
        compile_under_mocks([after])  # reaches broken and a through connections
    message = str(caught.value)
    assert "Broken('kaput')" in message
    assert "RuntimeError: the cloud is on fire" in message
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_nothing_after_the_failing_resource_is_registered():
    a = Thing(name="a")
    broken = Broken(name="kaput").connect(a)
    after = Thing(name="after").connect(broken)
    program = PulumiCompiler().build_program(topological_order([after]))
    errors: list[BaseException] = []

    def catching() -> None:  # to see what the engine got before the failure
        try:
            program()
        except CompileError as error:
            errors.append(error)

    registered = run_under_mocks(catching)
    assert len(errors) == 1
    assert registered.names() == ["a"]


def test_failure_inside_a_composite_names_the_composite_child():
    group = BlankResource(name="group").add(Thing(name="ok"), Broken(name="bad"))
    with pytest.raises(CompileError, match=r"Broken\('bad'\): to_pulumi\(\) failed"):
        compile_under_mocks([group])


def test_clockwork_errors_from_to_pulumi_pass_unchanged():
    with pytest.raises(ProjectError) as caught:
        compile_under_mocks([Refusing(name="r")])
    assert not isinstance(caught.value, CompileError)
    assert str(caught.value) == "Refusing('r'): refusing on purpose"


def test_resource_without_name_fails_before_running():
    calls: list[str] = []

    class Counting(Thing):
        def to_pulumi(self, opts=None):
            calls.append(self.display_name)
            return super().to_pulumi(opts)

    named = Counting(name="named")
    unnamed = Counting().connect(named)

    with pytest.raises(CompileError, match=r"<unnamed Counting>.* has no name"):
        PulumiCompiler().build_program(topological_order([unnamed]))
    with pytest.raises(CompileError, match="has no name"):
        compile_under_mocks([unnamed])
    assert calls == []  # not even the named one was compiled


def test_unnamed_child_of_a_composite_is_caught_too():
    group = BlankResource(name="g").add(Thing())
    with pytest.raises(CompileError, match="has no name"):
        compile_under_mocks([group])


def test_compile_error_is_a_clockwork_error():
    from clockwork import ClockworkError

    assert issubclass(CompileError, ClockworkError)
