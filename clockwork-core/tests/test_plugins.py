"""The plugin host: hooks, the registry, conflicts, broken plugins, entry points."""

from __future__ import annotations

import sys
import textwrap
import types

import click
import pytest
from click.testing import CliRunner

from clockwork import (
    Assertion,
    BlankResource,
    HealthcheckAssert,
    PluginError,
    PortAccessibleAssert,
    Resource,
    hookimpl,
)
from clockwork import plugins as plugins_module
from clockwork.plugins import (
    CORE_DISTRIBUTION,
    ENTRY_POINT_GROUP,
    KINDS,
    PluginHost,
    Registry,
    _allowed_from_env,
    _canonical,
    distribution_of_module,
    get_plugin_host,
    installed_clockwork_distributions,
    set_plugin_host,
)


class Widget(Resource):
    size: int | None = None


class Gadget(Resource):
    pass


class AlwaysPasses(Assertion):
    def check(self, resource):
        return "fine"


def plugin_module(name: str, **hooks) -> types.ModuleType:
    """A plugin module built in memory, as an entry point would load it."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, function)
    return module


# ----- one plugin per hook ------------------------------------------------------------


def test_plugin_implementing_register_resources():
    class WidgetPlugin:
        @hookimpl
        def register_resources(self, register):
            register(Widget)
            register(Gadget, name="FancyGadget")

    host = PluginHost()
    host.register(WidgetPlugin(), distribution="widgets")
    registry = host.registry
    assert registry.get("resources", "Widget") is Widget
    assert registry.get("resources", "FancyGadget") is Gadget
    assert "Gadget" not in registry.resources
    assert registry.resources["Widget"].distribution == "widgets"
    assert registry.resources["Widget"].name == "Widget"


def test_plugin_implementing_register_assertions():
    @hookimpl
    def register_assertions(register):
        register(AlwaysPasses)

    host = PluginHost()
    host.register(plugin_module("checks_plugin", register_assertions=register_assertions),
                  distribution="checks")
    assert host.registry.get("assertions", "AlwaysPasses") is AlwaysPasses
    assert host.registry.assertions["AlwaysPasses"].distribution == "checks"


def test_plugin_implementing_register_completers():
    made = []

    def echo_factory(settings):
        made.append(settings)
        return "echo-completer"

    @hookimpl
    def register_completers(register):
        register("echo", echo_factory)

    host = PluginHost()
    host.register(plugin_module("echo_plugin", register_completers=register_completers),
                  distribution="clockwork-echo")
    factory = host.registry.get("completers", "echo")
    assert factory is echo_factory
    assert made == []  # registering must not build the completer
    assert factory("settings") == "echo-completer"
    assert host.registry.completers["echo"].distribution == "clockwork-echo"


def test_plugin_implementing_register_prompt_templates():
    class Templates:
        @hookimpl
        def register_prompt_templates(self, register):
            register("*", "Default template for {type}")
            register("Widget", "Widget template")

    host = PluginHost()
    host.register(Templates(), distribution="templates")
    assert host.registry.get("prompt_templates", "*") == "Default template for {type}"
    assert host.registry.get("prompt_templates", "Widget") == "Widget template"
    assert host.registry.by_distribution("templates")["prompt_templates"] == ["*", "Widget"]


def test_plugin_implementing_register_completion_tools():
    def web_search(query: str) -> str:
        """Search the web."""
        return f"results for {query}"

    class Tools:
        @hookimpl
        def register_completion_tools(self, register):
            register("web_search", web_search)

    host = PluginHost()
    host.register(Tools(), distribution="clockwork-search")
    registry = host.registry
    assert registry.get("completion_tools", "web_search") is web_search
    assert registry.completion_tools["web_search"].distribution == "clockwork-search"
    assert registry.by_distribution("clockwork-search")["completion_tools"] == ["web_search"]


def test_plugin_implementing_register_compilers():
    class FakeCompiler:
        name = "fake"

    @hookimpl
    def register_compilers(register):
        register("fake", lambda settings=None: FakeCompiler())

    host = PluginHost()
    host.register(plugin_module("fake_compiler_plugin", register_compilers=register_compilers),
                  distribution="fake-compilers")
    compiler = host.registry.get("compilers", "fake")()
    assert isinstance(compiler, FakeCompiler)
    assert host.registry.compilers["fake"].distribution == "fake-compilers"


def test_plugin_implementing_register_commands():
    @hookimpl
    def register_commands(cli):
        @cli.command()
        @click.argument("who")
        def greet(who):
            """Say hello."""
            click.echo(f"hello {who}")

    cli = click.Group("clockwork")
    host = PluginHost()
    host.register(plugin_module("greet_plugin", register_commands=register_commands),
                  distribution="greeter")
    assert "greet" not in cli.commands
    host.add_commands(cli)
    assert "greet" in cli.commands
    result = CliRunner().invoke(cli, ["greet", "world"])
    assert result.exit_code == 0
    assert result.output == "hello world\n"
    assert host.problems == []


def test_failing_register_commands_is_a_problem_and_other_commands_still_added():
    class Broken:
        @hookimpl
        def register_commands(self, cli):
            raise RuntimeError("no commands today")

    class Good:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("ok", callback=lambda: None))

    cli = click.Group("clockwork")
    host = PluginHost()
    host.register(Broken(), distribution="broken-cmds")
    host.register(Good(), distribution="good-cmds")
    host.add_commands(cli)
    assert "ok" in cli.commands
    assert len(host.problems) == 1
    assert "broken-cmds" in host.problems[0]
    assert "register_commands" in host.problems[0]
    assert "no commands today" in host.problems[0]

    strict = PluginHost(strict=True)
    strict.register(Broken(), distribution="broken-cmds")
    with pytest.raises(PluginError, match="broken-cmds"):
        strict.add_commands(click.Group("clockwork"))


def test_one_plugin_can_implement_several_hooks():
    class Everything:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

        @hookimpl
        def register_assertions(self, register):
            register(AlwaysPasses)

        @hookimpl
        def register_completers(self, register):
            register("everything", object)

    host = PluginHost()
    host.register(Everything(), distribution="clockwork-everything")
    assert host.registry.by_distribution("clockwork-everything") == {
        **{kind: [] for kind in KINDS.values()},
        "resources": ["Widget"],
        "assertions": ["AlwaysPasses"],
        "completers": ["everything"],
    }


# ----- the registry -------------------------------------------------------------------


def test_builtin_plugin_registers_core_types_as_clockwork_core():
    host = PluginHost()
    host.register_builtin()
    registry = host.registry
    assert registry.get("resources", "BlankResource") is BlankResource
    assert registry.get("assertions", "PortAccessibleAssert") is PortAccessibleAssert
    assert registry.get("assertions", "HealthcheckAssert") is HealthcheckAssert
    assert "pulumi" in registry.compilers
    contributed = registry.by_distribution(CORE_DISTRIBUTION)
    assert set(contributed) == set(KINDS.values())
    assert contributed["resources"] == ["BlankResource"]
    assert contributed["assertions"] == ["HealthcheckAssert", "PortAccessibleAssert"]
    assert "pulumi" in contributed["compilers"]
    loaded = host.distributions()[CORE_DISTRIBUTION]
    assert loaded.module == "clockwork.builtin"
    assert loaded.version  # clockwork-core is installed


def test_builtin_pulumi_compiler_factory_builds_a_compiler():
    host = PluginHost()
    host.register_builtin()
    compiler = host.registry.get("compilers", "pulumi")(None)
    assert compiler.name == "pulumi"
    assert callable(compiler.build_program)


def test_registrations_are_attributed_to_each_distribution():
    class A:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

    class B:
        @hookimpl
        def register_resources(self, register):
            register(Gadget)

    host = PluginHost()
    host.register_builtin()
    host.register(A(), distribution="dist-a")
    host.register(B(), distribution="dist-b")
    resources = host.registry.resources
    assert resources["Widget"].distribution == "dist-a"
    assert resources["Gadget"].distribution == "dist-b"
    assert resources["BlankResource"].distribution == CORE_DISTRIBUTION
    assert host.registry.by_distribution("dist-a")["resources"] == ["Widget"]
    assert host.registry.by_distribution("nobody") == {kind: [] for kind in KINDS.values()}


def test_distributions_lists_each_once_core_first_then_by_name():
    class P:
        @hookimpl
        def register_completers(self, register):
            pass

    host = PluginHost()
    host.register(P(), distribution="zeta", name="zeta:1")
    host.register(P(), distribution="alpha", name="alpha:1")
    host.register(P(), distribution="alpha", name="alpha:2")
    host.register_builtin()
    assert list(host.distributions()) == [CORE_DISTRIBUTION, "alpha", "zeta"]


def test_registry_is_rebuilt_after_a_new_registration():
    class Late:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

    host = PluginHost()
    host.register_builtin()
    first = host.registry
    assert host.registry is first  # cached
    assert "Widget" not in first.resources
    host.register(Late(), distribution="late")
    assert host.registry is not first
    assert "Widget" in host.registry.resources


def test_same_resource_name_from_two_plugins_names_both_distributions():
    class First:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

    class OtherWidget(Resource):
        @classmethod
        def type_name(cls):
            return "Widget"

    class Second:
        @hookimpl
        def register_resources(self, register):
            register(OtherWidget)

    host = PluginHost()
    host.register(First(), distribution="clockwork-widgets")
    host.register(Second(), distribution="clockwork-copycat")
    with pytest.raises(PluginError) as caught:
        host.registry  # noqa: B018
    message = str(caught.value)
    assert "'Widget'" in message
    assert "clockwork-widgets" in message
    assert "clockwork-copycat" in message


def test_a_plugin_may_not_claim_a_core_name():
    class Impostor:
        @hookimpl
        def register_resources(self, register):
            register(Widget, name="BlankResource")

    host = PluginHost()
    host.register_builtin()
    host.register(Impostor(), distribution="impostor")
    with pytest.raises(PluginError, match="clockwork-core") as caught:
        host.registry  # noqa: B018
    assert "impostor" in str(caught.value)


def test_conflicts_are_fatal_even_when_not_strict():
    class Twice:
        @hookimpl
        def register_completers(self, register):
            register("same", 1)
            register("same", 2)

    host = PluginHost(strict=False)
    host.register(Twice(), distribution="twice")
    with pytest.raises(PluginError, match="registered by both twice and twice"):
        host.registry  # noqa: B018


def test_registry_add_directly():
    registry = Registry()
    registry.add("compilers", "x", "value", "dist")
    assert registry.get("compilers", "x") == "value"
    with pytest.raises(PluginError, match="compiler 'x' is registered by both dist and other"):
        registry.add("compilers", "x", "value2", "other")
    with pytest.raises(KeyError):
        registry.get("compilers", "missing")


def test_plugin_raising_in_register_resources_is_one_problem_and_others_still_load():
    class Broken:
        @hookimpl
        def register_resources(self, register):
            raise ValueError("cannot register today")

    class Good:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

    host = PluginHost()
    host.register_builtin()
    host.register(Good(), distribution="clockwork-good")
    host.register(Broken(), distribution="clockwork-broken")
    registry = host.registry
    assert "Widget" in registry.resources
    assert "BlankResource" in registry.resources
    assert len(host.problems) == 1
    problem = host.problems[0]
    assert "clockwork-broken" in problem
    assert "register_resources" in problem
    assert "ValueError: cannot register today" in problem


def test_problem_is_logged_as_a_warning(caplog):
    class Broken:
        @hookimpl
        def register_assertions(self, register):
            raise RuntimeError("kaput")

    host = PluginHost()
    host.register(Broken(), distribution="clockwork-kaput")
    with caplog.at_level("WARNING", logger="clockwork.plugins"):
        host.registry  # noqa: B018
    assert any("clockwork-kaput" in r.getMessage() for r in caplog.records)


def test_strict_host_raises_for_a_failing_plugin():
    class Broken:
        @hookimpl
        def register_resources(self, register):
            raise ValueError("cannot register today")

    host = PluginHost(strict=True)
    host.register(Broken(), distribution="clockwork-broken")
    with pytest.raises(PluginError) as caught:
        host.registry  # noqa: B018
    assert "clockwork-broken" in str(caught.value)
    assert "CW_STRICT_PLUGINS=1" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)


def test_hookimpl_with_wrong_argument_is_refused_at_registration():
    class Wrong:
        @hookimpl
        def register_resources(self, reg):
            reg(Widget)

    host = PluginHost()
    with pytest.raises(Exception, match="reg"):
        host.register(Wrong(), distribution="wrong")


def test_every_hookspec_is_asked_by_the_host():
    from clockwork import hookspecs

    spec_names = {name for name, value in vars(hookspecs).items()
                  if hasattr(value, "clockwork_spec")}
    assert spec_names == set(KINDS) | {"register_commands"}


# ----- CW_PLUGINS ---------------------------------------------------------------------


def test_cw_plugins_unset_means_everything(clean_env):
    assert _allowed_from_env() is None


def test_cw_plugins_empty_means_nothing(clean_env):
    clean_env.setenv("CW_PLUGINS", "")
    assert _allowed_from_env() == set()
    clean_env.setenv("CW_PLUGINS", " , ,")
    assert _allowed_from_env() == set()


def test_cw_plugins_names_are_canonicalised(clean_env):
    clean_env.setenv("CW_PLUGINS", "Clockwork_Files, clockwork.docker ,CLOCKWORK-git,")
    assert _allowed_from_env() == {"clockwork-files", "clockwork-docker", "clockwork-git"}
    assert _canonical("  My_Plugin.Name ") == "my-plugin-name"


def test_from_environment_has_the_core_builtins(clean_env):
    host = PluginHost.from_environment()
    assert CORE_DISTRIBUTION in host.distributions()
    assert host.registry.resources["BlankResource"].distribution == CORE_DISTRIBUTION
    assert "PortAccessibleAssert" in host.registry.assertions
    assert "pulumi" in host.registry.compilers
    assert host.strict is False
    assert host.allowed is None


def test_from_environment_with_empty_cw_plugins_loads_only_core(clean_env):
    clean_env.setenv("CW_PLUGINS", "")
    host = PluginHost.from_environment()
    assert list(host.distributions()) == [CORE_DISTRIBUTION]
    assert host.problems == []
    assert {r.distribution for r in host.registry.resources.values()} == {CORE_DISTRIBUTION}


def test_from_environment_with_cw_plugins_loads_only_those_listed(clean_env):
    clean_env.setenv("CW_PLUGINS", "clockwork_files")
    host = PluginHost.from_environment()
    assert host.allowed == {"clockwork-files"}
    assert set(host.distributions()) <= {CORE_DISTRIBUTION, "clockwork-files"}


def test_from_environment_without_entry_points(clean_env):
    host = PluginHost.from_environment(load_entry_points=False)
    assert list(host.distributions()) == [CORE_DISTRIBUTION]


def test_cw_strict_plugins(clean_env):
    clean_env.setenv("CW_STRICT_PLUGINS", "1")
    assert PluginHost.from_environment(load_entry_points=False).strict is True
    clean_env.setenv("CW_STRICT_PLUGINS", "0")
    assert PluginHost.from_environment(load_entry_points=False).strict is False


# ----- entry points, with real (temporary) distributions ------------------------------


@pytest.fixture
def fake_distributions(tmp_path, monkeypatch):
    """Two installed distributions with `clockwork` entry points: one good, one broken.

    Built as real dist-info folders on sys.path, so importlib.metadata finds them."""
    site = tmp_path / "site"
    site.mkdir()

    def install(dist: str, module: str, source: str) -> None:
        info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nmain = {module}\n")
        (site / f"{module}.py").write_text(textwrap.dedent(source))

    install("cwtest-good", "cwtest_good_plugin", """
        from clockwork import Resource, hookimpl

        class GoodThing(Resource):
            pass

        @hookimpl
        def register_resources(register):
            register(GoodThing)
    """)
    install("cwtest-broken", "cwtest_broken_plugin", """
        raise ImportError("this plugin is broken")
    """)
    install("cwtest-badhook", "cwtest_badhook_plugin", """
        from clockwork import hookimpl

        @hookimpl
        def register_resources(wrong_argument):
            pass
    """)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for module in ("cwtest_good_plugin", "cwtest_broken_plugin", "cwtest_badhook_plugin"):
        sys.modules.pop(module, None)


def test_entry_points_load_good_plugins_and_report_broken_ones(fake_distributions):
    host = PluginHost(allowed={"cwtest-good", "cwtest-broken", "cwtest-badhook"})
    host.register_builtin()
    host.load_entry_points()
    assert list(host.distributions()) == [CORE_DISTRIBUTION, "cwtest-good"]
    good = host.distributions()["cwtest-good"]
    assert good.version == "1.2.3"
    assert good.module == "cwtest_good_plugin"
    assert host.registry.resources["GoodThing"].distribution == "cwtest-good"
    assert len(host.problems) == 2
    broken = next(p for p in host.problems if "cwtest-broken" in p)
    assert "failed to load" in broken and "this plugin is broken" in broken
    assert any("cwtest-badhook" in p for p in host.problems)


def test_entry_points_respect_the_allowed_list(fake_distributions):
    host = PluginHost(allowed={"cwtest-good"})
    host.load_entry_points()
    assert list(host.distributions()) == ["cwtest-good"]
    assert host.problems == []


def test_entry_points_strict_mode_raises_for_a_broken_plugin(fake_distributions):
    host = PluginHost(allowed={"cwtest-broken"}, strict=True)
    with pytest.raises(PluginError, match="cwtest-broken failed to load"):
        host.load_entry_points()


def test_a_distribution_seen_twice_on_sys_path_loads_once(fake_distributions, monkeypatch):
    monkeypatch.syspath_prepend(str(fake_distributions))
    monkeypatch.setattr(sys, "path", [*sys.path, str(fake_distributions)])
    host = PluginHost(allowed={"cwtest-good"})
    host.load_entry_points()
    assert list(host.plugins) == ["cwtest-good:main"]
    assert host.problems == []


def test_distribution_of_module_for_entry_point_plugins(fake_distributions):
    assert distribution_of_module("cwtest_good_plugin") == "cwtest-good"
    assert distribution_of_module("clockwork.resource") == CORE_DISTRIBUTION
    assert distribution_of_module("pydantic.main") == "pydantic"
    assert distribution_of_module("not_installed_anywhere_xyz") is None


def test_distribution_of_every_installed_plugin_module_is_found():
    import importlib_metadata

    for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        assert distribution_of_module(entry_point.module) == entry_point.dist.name


def test_installed_clockwork_distributions_include_core():
    found = installed_clockwork_distributions()
    assert CORE_DISTRIBUTION in found
    assert found[CORE_DISTRIBUTION] == plugins_module._version_of(CORE_DISTRIBUTION)


def test_installed_clockwork_distributions_include_plugins(fake_distributions):
    assert installed_clockwork_distributions()["cwtest-good"] == "1.2.3"


# ----- the process-wide host ----------------------------------------------------------


def test_set_and_get_plugin_host():
    previous = plugins_module._host
    host = PluginHost()
    host.register_builtin()
    try:
        set_plugin_host(host)
        assert get_plugin_host() is host
        assert plugins_module.registry() is host.registry
        assert BlankResource in set(plugins_module.iter_resource_types())
    finally:
        set_plugin_host(previous)


def test_get_plugin_host_loads_once_from_environment(clean_env):
    clean_env.setenv("CW_PLUGINS", "")
    previous = plugins_module._host
    try:
        set_plugin_host(None)
        first = get_plugin_host()
        assert get_plugin_host() is first
        assert list(first.distributions()) == [CORE_DISTRIBUTION]
    finally:
        set_plugin_host(previous)


def test_a_module_without_hookimpls_registers_and_contributes_nothing():
    host = PluginHost()
    host.register(types.ModuleType("empty_plugin"), distribution="empty")
    assert host.registry.by_distribution("empty") == {kind: [] for kind in KINDS.values()}
    assert host.plugins["empty_plugin"].distribution == "empty"
