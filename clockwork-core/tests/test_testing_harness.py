"""clockwork.testing itself: the Pulumi mock harness and the plugin host helpers."""

from __future__ import annotations

import pulumi
import pytest

from clockwork import BlankResource, Resource, hookimpl
from clockwork import plugins as plugins_module
from clockwork.plugins import PluginHost, get_plugin_host, set_plugin_host
from clockwork.testing import (
    clockwork_plugins,  # noqa: F401 (pytest fixture, used by name below)
    compile_under_mocks,
    get_plugin_host_or_none,
    plugin_host,
    run_under_mocks,
)


class Gadget(Resource):
    def to_pulumi(self, opts=None):
        return pulumi.CustomResource("test:index:Gadget", self.name, {"n": 1}, opts)


class GadgetPlugin:
    """A plugin object, registered inline as a test would."""

    @hookimpl
    def register_resources(self, register):
        register(Gadget)


def thing(name: str, **inputs) -> pulumi.CustomResource:
    return pulumi.CustomResource("test:index:Thing", name, inputs)


@pytest.fixture
def restore_host():
    """Put back whatever process-wide host was there before the test."""
    previous = get_plugin_host_or_none()
    yield
    set_plugin_host(previous)


# ----- run_under_mocks --------------------------------------------------------------------


def test_successive_runs_do_not_leak_registrations():
    first = run_under_mocks(lambda: [thing("one"), thing("two")])
    second = run_under_mocks(lambda: thing("three"))

    assert sorted(first.names()) == ["one", "two"]
    assert second.names() == ["three"]
    assert sorted(first.names()) == ["one", "two"]  # the first result is not touched later


def test_same_names_in_successive_runs_do_not_clash():
    first = run_under_mocks(lambda: thing("same", v=1))
    second = run_under_mocks(lambda: thing("same", v=2))
    assert first.named("same").inputs == {"v": 1}
    assert second.named("same").inputs == {"v": 2}


def test_a_failed_run_does_not_leak_into_the_next():
    def failing() -> None:
        thing("before")
        raise RuntimeError("program failed")

    with pytest.raises(RuntimeError, match="program failed"):
        run_under_mocks(failing)
    assert run_under_mocks(lambda: thing("clean")).names() == ["clean"]


def test_empty_program_registers_nothing():
    assert run_under_mocks(lambda: None) == []


def test_registered_resource_records_type_inputs_parent_and_dependencies():
    def program() -> None:
        group = pulumi.ComponentResource("test:index:Group", "group")
        base = thing("base", size=2)
        pulumi.CustomResource("test:index:Thing", "child", {"k": "v"},
                              pulumi.ResourceOptions(parent=group, depends_on=[base]))

    registered = run_under_mocks(program)

    child = registered.named("child")
    assert child.type == "test:index:Thing"
    assert child.inputs == {"k": "v"}
    assert child.custom is True
    assert registered.name_of(child.parent) == "group"
    assert [registered.name_of(urn) for urn in child.dependencies] == ["base"]
    assert registered.named("group").custom is False
    assert registered.named("group").parent == ""  # the stack is not a parent worth naming
    assert registered.named("base").inputs == {"size": 2}
    assert "pulumi:pulumi:Stack" not in {r.type for r in registered}
    assert [r.name for r in registered.of_type("test:index:Group")] == ["group"]
    assert registered.name_of("urn:pulumi:test::nowhere::x::y") is None


def test_named_requires_exactly_one_match():
    registered = run_under_mocks(lambda: thing("only"))
    with pytest.raises(KeyError, match="0 registered resources named 'missing'"):
        registered.named("missing")


def test_project_and_stack_appear_in_urns():
    registered = run_under_mocks(lambda: thing("x"), project="proj", stack="dev")
    assert registered.named("x").urn.startswith("urn:pulumi:dev::proj::")


# ----- plugin hosts -----------------------------------------------------------------------


def test_plugin_host_installs_a_fresh_host_and_restores_the_previous(restore_host):
    previous = PluginHost()
    set_plugin_host(previous)

    with plugin_host(GadgetPlugin(), distribution="gadgets") as host:
        assert get_plugin_host() is host
        assert host is not previous
        assert host.registry.resources["Gadget"].distribution == "gadgets"
        assert host.registry.resources["BlankResource"].distribution == "clockwork-core"
        assert "pulumi" in host.registry.compilers

    assert get_plugin_host() is previous


def test_plugin_host_restores_none_when_none_was_set(restore_host):
    set_plugin_host(None)
    with plugin_host():
        assert plugins_module._host is not None
    assert get_plugin_host_or_none() is None


def test_plugin_host_restores_after_an_exception(restore_host):
    previous = PluginHost()
    set_plugin_host(previous)
    with pytest.raises(RuntimeError), plugin_host():
        raise RuntimeError("test body failed")
    assert get_plugin_host() is previous


def test_nested_plugin_hosts_unwind_in_order(restore_host):
    outer_before = PluginHost()
    set_plugin_host(outer_before)
    with plugin_host() as outer:
        with plugin_host(GadgetPlugin()) as inner:
            assert get_plugin_host() is inner
        assert get_plugin_host() is outer
        assert "Gadget" not in outer.registry.resources
    assert get_plugin_host() is outer_before


def test_plugin_host_scans_no_entry_points_by_default(restore_host):
    with plugin_host() as host:
        assert {r.distribution for r in host.registry.resources.values()} == {"clockwork-core"}


def test_clockwork_plugins_fixture(clockwork_plugins):  # noqa: F811 (fixture argument)
    host = clockwork_plugins(GadgetPlugin(), distribution="gadgets")
    assert get_plugin_host() is host
    assert host.registry.resources["Gadget"].distribution == "gadgets"


def test_compile_under_mocks_uses_the_current_host(restore_host):
    with plugin_host(GadgetPlugin()):
        group = BlankResource(name="box").add(Gadget(name="g"))
        registered = compile_under_mocks([group])
    assert registered.named("g").inputs == {"n": 1}
    assert registered.name_of(registered.named("g").parent) == "box"


def test_compile_under_mocks_with_an_unknown_compiler_fails(restore_host):
    with plugin_host(), pytest.raises(KeyError):
        compile_under_mocks([Gadget(name="g")], compiler="terraform")
