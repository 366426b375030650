"""clockwork.testing itself: the Pulumi mock harness, the plugin host helpers and the
project folder fixture; and clockwork.completion_testing's scripted model."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pydantic import Field

from clockwork import BlankResource, Resource, hookimpl
from clockwork import plugins as plugins_module
from clockwork.completion import complete_project
from clockwork.completion_testing import ScriptedModel, project_of, scripted_completer
from clockwork.loader import load_project
from clockwork.plugins import PluginHost, Registry, get_plugin_host, set_plugin_host
from clockwork.prompts import PromptContext, PromptTemplate
from clockwork.settings import Settings
from clockwork.testing import (
    ClockworkProject,
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
        pulumi.CustomResource(
            "test:index:Thing",
            "child",
            {"k": "v"},
            pulumi.ResourceOptions(parent=group, depends_on=[base]),
        )

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


# ----- the project folder -----------------------------------------------------------------


def test_clockwork_project_binds_resources_and_all_their_children(
    clockwork_project, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # anything unbound falls back to the current folder
    box = BlankResource(name="box").add(BlankResource(name="inner").add(Gadget(name="g")))
    other, unbound = Gadget(name="other"), Gadget(name="unbound")

    returned = clockwork_project.bind(box, other)

    assert returned is box
    assert clockwork_project.path == tmp_path / "project" and clockwork_project.path.is_dir()
    bound = [box, box.children["inner"], box.children["inner"].children["g"], other]
    assert [r.project_dir for r in bound] == [clockwork_project.path] * 4
    assert unbound.project_dir == tmp_path
    assert clockwork_project / "site" == clockwork_project.path / "site"
    assert Path(clockwork_project) == clockwork_project.path


def test_bind_to_project_binds_the_children_it_has_and_chains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    box = BlankResource(name="box").add(Gadget(name="early"))

    assert box.bind_to_project(tmp_path / "p") is box
    late = Gadget(name="late")
    box.add(late)

    assert box.children["early"].project_dir == tmp_path / "p"
    assert late.project_dir == tmp_path  # added after binding: bind again to include it
    box.bind_to_project(str(tmp_path / "q"))
    assert (box.project_dir, late.project_dir) == (tmp_path / "q", tmp_path / "q")


def test_a_deep_tree_is_bound_without_recursion(tmp_path):
    root = node = BlankResource(name="n0")
    for depth in range(1, 3000):
        child = BlankResource(name=f"n{depth}")
        node.add(child)
        node = child

    root.bind_to_project(tmp_path)

    assert node.project_dir == tmp_path


def test_clockwork_project_main_py_binds_as_the_loader_does(clockwork_project):
    main = clockwork_project.write_main("""
        from clockwork import BlankResource
        site = BlankResource(name="site").add(BlankResource(name="page"))
    """)

    project = load_project(main)

    assert main == clockwork_project.main_py
    assert [r.project_dir for r in project.resources] == [clockwork_project.path.resolve()] * 2
    assert isinstance(clockwork_project, ClockworkProject)


# ----- the scripted model ----------------------------------------------------------------


class Service(Resource):
    """A network service."""

    image: str | None = Field(None, description="Container image.")


class RewordedTemplate(PromptTemplate):
    """A template that words everything its own way: no "Complete the resource" line."""

    def system_instructions(self, context: PromptContext | None = None) -> str:
        return "Fill in the blanks."

    def render(self, context: PromptContext) -> str:
        return f"Blanks: {[wanted.name for wanted in context.fields_to_fill]}"


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return Settings(api_key="sk-test", cache_dir=tmp_path / "cache", _env_file=None)


def test_the_scripted_model_knows_each_resource_whatever_the_prompt_says(tmp_path, settings):
    registry = Registry()
    registry.add("prompt_templates", "*", RewordedTemplate(version="reworded-1"), "test-plugin")
    db, api = Service(name="db"), Service(name="api")
    model = ScriptedModel(
        {"db": {"image": "postgres:16"}, "api": {"image": "shop/api:1"}}, delay=0.05
    )  # the two calls overlap: each must still see its own

    complete_project(
        project_of(tmp_path, db, api),
        settings,
        use_cache=False,
        completer=scripted_completer(settings, model),
        registry=registry,
    )

    assert (db.image, api.image) == ("postgres:16", "shop/api:1")
    assert sorted(call.resource for call in model.calls) == ["api", "db"]
    assert {call.prompt for call in model.calls} == {"Blanks: ['image']"}
    assert model.events[:2] == [("start", "db"), ("start", "api")]  # concurrent indeed
    for call in model.calls:
        assert call.request is not None
        assert call.request.resource is {"db": db, "api": api}[call.resource]


def test_the_scripted_model_names_a_resource_it_has_no_answer_for(tmp_path, settings):
    model = ScriptedModel({"db": {"image": "postgres:16"}})

    with pytest.raises(KeyError, match="no answer for resource 'cache'"):
        complete_project(
            project_of(tmp_path, Service(name="cache")),
            settings,
            use_cache=False,
            completer=scripted_completer(settings, model),
        )
