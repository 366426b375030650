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
from clockwork.errors import UsageError
from clockwork.hookspecs import REGISTRATION_KINDS, registration_hook
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
    host.register(
        plugin_module("checks_plugin", register_assertions=register_assertions),
        distribution="checks",
    )
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
    host.register(
        plugin_module("echo_plugin", register_completers=register_completers),
        distribution="clockwork-echo",
    )
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
    host.register(
        plugin_module("fake_compiler_plugin", register_compilers=register_compilers),
        distribution="fake-compilers",
    )
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
    host.register(
        plugin_module("greet_plugin", register_commands=register_commands), distribution="greeter"
    )
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


# ----- hooks are called through pluggy -------------------------------------------------


def test_a_hookwrapper_wraps_each_plugin_s_registration_call():
    calls = []

    class Observer:
        @hookimpl(wrapper=True)
        def register_resources(self, register):
            calls.append("before")
            try:
                return (yield)
            finally:
                calls.append("after")

    class Widgets:
        @hookimpl
        def register_resources(self, register):
            calls.append("widgets")
            register(Widget)

    class Gadgets:
        @hookimpl
        def register_resources(self, register):
            calls.append("gadgets")
            register(Gadget)

    host = PluginHost()
    host.register(Widgets(), distribution="dist-widgets")
    host.register(Observer(), distribution="dist-observer")
    host.register(Gadgets(), distribution="dist-gadgets")
    registry = host.registry
    assert calls == ["before", "widgets", "after", "before", "gadgets", "after"]
    assert registry.resources["Widget"].distribution == "dist-widgets"
    assert registry.resources["Gadget"].distribution == "dist-gadgets"
    assert registry.by_distribution("dist-observer") == {kind: [] for kind in KINDS.values()}
    assert host.problems == []


def test_a_hookwrapper_sees_a_failure_which_stays_the_failing_plugin_s():
    seen = []

    class Observer:
        @hookimpl(wrapper=True)
        def register_assertions(self, register):
            try:
                return (yield)
            except ValueError as error:
                seen.append(str(error))
                raise

    class Broken:
        @hookimpl
        def register_assertions(self, register):
            raise ValueError("no assertions today")

    class Good:
        @hookimpl
        def register_assertions(self, register):
            register(AlwaysPasses)

    host = PluginHost()
    host.register(Observer(), distribution="dist-observer")
    host.register(Broken(), distribution="dist-broken")
    host.register(Good(), distribution="dist-good")
    assert host.registry.assertions["AlwaysPasses"].distribution == "dist-good"
    assert seen == ["no assertions today"]
    assert host.problems == [
        "plugin dist-broken failed in register_assertions: ValueError: no assertions today"
    ]
    assert host.failures == {
        "dist-broken": ["failed in register_assertions: ValueError: no assertions today"]
    }


def test_a_hookwrapper_wraps_register_commands_too():
    calls = []

    class Observer:
        @hookimpl(wrapper=True)
        def register_commands(self, cli):
            calls.append(sorted(cli.commands))
            return (yield)

    class Greeter:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("greet", callback=lambda: None))

    cli = click.Group("clockwork")
    host = PluginHost()
    host.register(Observer(), distribution="observer")
    host.register(Greeter(), distribution="greeter")
    host.add_commands(cli)
    assert calls == [[]]  # wrapped the one call, before the command was added
    assert "greet" in cli.commands


def test_pluggy_hook_monitoring_sees_one_call_per_plugin():
    class A:
        @hookimpl
        def register_resources(self, register):
            register(Widget)

    class B:
        @hookimpl
        def register_resources(self, register):
            register(Gadget)

    host = PluginHost()
    host.register(A(), distribution="dist-a", name="a")
    host.register(B(), distribution="dist-b", name="b")
    traced = []
    undo = host.pm.add_hookcall_monitoring(
        before=lambda hook, impls, kwargs: traced.append(
            (hook, [impl.plugin_name for impl in impls], sorted(kwargs))
        ),
        after=lambda outcome, hook, impls, kwargs: None,
    )
    try:
        host.registry  # noqa: B018
    finally:
        undo()
    assert [t for t in traced if t[0] == "register_resources"] == [
        ("register_resources", ["a"], ["register"]),
        ("register_resources", ["b"], ["register"]),
    ]


def test_every_registration_call_of_a_plugin_is_attributed_even_with_tryfirst():
    class Late:
        @hookimpl(trylast=True)
        def register_completers(self, register):
            register("late", 1)

    class Early:
        @hookimpl(tryfirst=True)
        def register_completers(self, register):
            register("early", 2)

    host = PluginHost()
    host.register(Early(), distribution="dist-early")
    host.register(Late(), distribution="dist-late")
    completers = host.registry.completers
    assert completers["early"].distribution == "dist-early"
    assert completers["late"].distribution == "dist-late"


# ----- the kinds come from one table --------------------------------------------------


def test_the_registry_has_one_table_per_declared_kind_in_order():
    registry = Registry()
    assert list(registry.tables) == [kind.name for kind in REGISTRATION_KINDS]
    assert list(KINDS) == [kind.hook for kind in REGISTRATION_KINDS]
    for kind in REGISTRATION_KINDS:
        assert getattr(registry, kind.name) is registry.tables[kind.name]
    assert registry.resources is registry.tables["resources"]
    assert registry.engine_plugins is registry.tables["engine_plugins"]
    with pytest.raises(AttributeError, match="dashboards"):
        registry.dashboards  # noqa: B018


def test_every_hookspec_with_a_register_argument_is_a_declared_kind():
    from clockwork import hookspecs

    with_register = {
        name
        for name, value in vars(hookspecs).items()
        if hasattr(value, "clockwork_spec")
        and "register" in value.__code__.co_varnames[: value.__code__.co_argcount]
    }
    assert with_register == {kind.hook for kind in REGISTRATION_KINDS}


@pytest.fixture
def dashboards_kind():
    """A registration kind declared for the test only, as hookspecs.py declares one."""
    before = list(REGISTRATION_KINDS)

    @registration_hook("dashboards", label="dash boards")
    def register_dashboards(register):
        """Register dashboards: `register(name, dashboard)`."""

    specs = types.ModuleType("dashboard_specs")
    specs.register_dashboards = register_dashboards
    yield specs
    REGISTRATION_KINDS[:] = before


def test_a_new_kind_needs_nothing_but_its_declaration(dashboards_kind):
    @hookimpl
    def register_dashboards(register):
        register("overview", "the overview board")

    host = PluginHost()
    host.pm.add_hookspecs(dashboards_kind)
    host.register(
        plugin_module("boards", register_dashboards=register_dashboards),
        distribution="clockwork-boards",
    )
    assert host.registry.dashboards["overview"].distribution == "clockwork-boards"
    assert host.registry.get("dashboards", "overview") == "the overview board"
    assert host.registry.by_distribution("clockwork-boards")["dashboards"] == ["overview"]
    assert host.registered_names()["clockwork-boards"]["dashboards"] == ["overview"]


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

    spec_names = {
        name for name, value in vars(hookspecs).items() if hasattr(value, "clockwork_spec")
    }
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


@pytest.mark.parametrize(
    "spelling",
    [
        "1",
        "true",
        "True",
        "TRUE",
        "yes",
        "Yes",
        "on",
        "ON",
        "t",
        "y",
        "0",
        "false",
        "False",
        "no",
        "NO",
        "off",
        "f",
        "n",
    ],
)
def test_cw_strict_plugins_reads_every_boolean_spelling_as_settings_do(
    clean_env, tmp_path, spelling
):
    from clockwork.settings import get_settings

    clean_env.setenv("CW_STRICT_PLUGINS", spelling)
    host = PluginHost.from_environment(load_entry_points=False, project_dir=tmp_path)
    assert host.strict is get_settings(tmp_path).strict_plugins
    assert host.strict is (spelling.lower() in ("1", "true", "yes", "on", "t", "y"))


@pytest.mark.parametrize("spelling", ["2", "maybe", "", " true", "enabled"])
def test_cw_strict_plugins_refuses_what_settings_refuse(clean_env, tmp_path, spelling):
    from pydantic import ValidationError

    from clockwork.settings import get_settings

    clean_env.setenv("CW_STRICT_PLUGINS", spelling)
    with pytest.raises(UsageError) as caught:
        PluginHost.from_environment(load_entry_points=False, project_dir=tmp_path)
    assert str(caught.value) == (
        f"invalid setting CW_STRICT_PLUGINS={spelling!r}: not a boolean "
        f"(use 1 or 0, true or false, yes or no, on or off)"
    )
    with pytest.raises(ValidationError, match="strict_plugins"):
        get_settings(tmp_path)


def test_parse_bool_agrees_with_pydantic_for_every_case_mix():
    from pydantic import TypeAdapter, ValidationError

    as_bool = TypeAdapter(bool)
    words = ["true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0"]
    variants = {
        w
        for word in words
        for w in (word, word.upper(), word.title(), word.swapcase(), word[:1] + word[1:].upper())
    }
    for value in sorted(variants | {"tru", "nope", "10", "1.0", "-1", "\t1"}):
        try:
            expected: bool | None = as_bool.validate_python(value)
        except ValidationError:
            expected = None
        try:
            found: bool | None = plugins_module.parse_bool(value, "CW_X")
        except UsageError:
            found = None
        assert found is expected, value


# ----- CW_PLUGINS and CW_STRICT_PLUGINS in .env ----------------------------------------


def test_cw_plugins_in_the_project_dotenv_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("CW_PLUGINS=\nCW_STRICT_PLUGINS=yes\n")
    host = PluginHost.from_environment(project_dir=tmp_path)
    assert host.allowed == set()
    assert host.strict is True
    assert list(host.distributions()) == [CORE_DISTRIBUTION]


def test_dotenv_plugin_settings_are_parsed_as_settings_parse_them(clean_env, tmp_path):
    from clockwork.settings import get_settings

    (tmp_path / ".env").write_text(
        "# plugins for this project\n"
        "export CW_PLUGINS='Clockwork_Files, clockwork.docker'  # two of them\n"
        'cw_strict_plugins = "On"\n'
    )
    allowed, strict = plugins_module.plugin_settings(tmp_path)
    settings = get_settings(tmp_path)
    assert allowed == {"clockwork-files", "clockwork-docker"}
    assert {_canonical(name) for name in settings.plugins} == allowed
    assert strict is settings.strict_plugins is True


def test_environment_beats_the_dotenv(clean_env, tmp_path):
    (tmp_path / ".env").write_text("CW_PLUGINS=clockwork-files\nCW_STRICT_PLUGINS=1\n")
    clean_env.setenv("CW_PLUGINS", "clockwork-git")
    clean_env.setenv("CW_STRICT_PLUGINS", "false")
    assert plugins_module.plugin_settings(tmp_path) == ({"clockwork-git"}, False)


def test_the_dotenv_of_another_folder_is_not_read(clean_env, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / ".env").write_text("CW_PLUGINS=\n")
    assert plugins_module.plugin_settings(project) == (None, False)


def test_without_a_project_dir_the_current_folder_s_dotenv_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("CW_PLUGINS=clockwork-git\n")
    clean_env.chdir(tmp_path)
    assert PluginHost.from_environment(load_entry_points=False).allowed == {"clockwork-git"}
    assert _allowed_from_env() == {"clockwork-git"}


def test_a_dotenv_that_is_not_utf8_is_one_usage_error_naming_it(clean_env, tmp_path):
    (tmp_path / ".env").write_bytes(b"CW_PLUGINS=caf\xe9\n")
    with pytest.raises(UsageError) as caught:
        PluginHost.from_environment(project_dir=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / '.env'}: not UTF-8 text (invalid continuation byte at byte 14); "
        f"save it as UTF-8"
    )
    assert caught.value.exit_code == 2


def test_a_dotenv_is_not_read_when_the_environment_has_both(clean_env, tmp_path):
    (tmp_path / ".env").write_bytes(b"CW_PLUGINS=caf\xe9\n")
    clean_env.setenv("CW_PLUGINS", "")
    clean_env.setenv("CW_STRICT_PLUGINS", "0")
    assert plugins_module.plugin_settings(tmp_path) == (set(), False)


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

    install(
        "cwtest-good",
        "cwtest_good_plugin",
        """
        from clockwork import Resource, hookimpl

        class GoodThing(Resource):
            pass

        @hookimpl
        def register_resources(register):
            register(GoodThing)
    """,
    )
    install(
        "cwtest-broken",
        "cwtest_broken_plugin",
        """
        raise ImportError("this plugin is broken")
    """,
    )
    install(
        "cwtest-badhook",
        "cwtest_badhook_plugin",
        """
        from clockwork import hookimpl

        @hookimpl
        def register_resources(wrong_argument):
            pass
    """,
    )
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


def test_cw_plugins_naming_an_unknown_distribution_is_one_warning(fake_distributions, caplog):
    host = PluginHost(allowed={"cwtest-good", "nonexistent", "clockwork-core"})
    with caplog.at_level("WARNING", logger="clockwork.plugins"):
        host.load_entry_points()
    assert list(host.distributions()) == ["cwtest-good"]
    assert len(host.problems) == 1
    problem = host.problems[0]
    assert problem.startswith("CW_PLUGINS names nonexistent, which is not installed (installed: ")
    installed = problem.partition("(installed: ")[2].rstrip(")").split(", ")
    assert {"clockwork-core", "cwtest-good", "cwtest-broken"} <= set(installed)
    assert installed == sorted(installed)
    assert [r.getMessage() for r in caplog.records] == [f"warning: {problem}"]


def test_cw_plugins_naming_unknown_distributions_in_strict_mode_fails(fake_distributions):
    host = PluginHost(allowed={"cwtest-good", "nope-one", "nope-two"}, strict=True)
    with pytest.raises(UsageError) as caught:
        host.load_entry_points()
    message = str(caught.value)
    assert message.startswith("CW_PLUGINS names nope-one, nope-two, which are not installed")
    assert message.endswith("(CW_STRICT_PLUGINS=1)")
    assert caught.value.exit_code == 2


def test_cw_plugins_unknown_from_the_environment_warns(clean_env, caplog):
    clean_env.setenv("CW_PLUGINS", "Clockwork_Nonexistent")
    with caplog.at_level("WARNING", logger="clockwork.plugins"):
        host = PluginHost.from_environment()
    assert list(host.distributions()) == [CORE_DISTRIBUTION]
    assert len(host.problems) == 1
    assert "clockwork-nonexistent, which is not installed" in host.problems[0]
    assert "clockwork-files" in host.problems[0]  # installed ones are listed


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
        assert get_plugin_host().registry is host.registry
        assert BlankResource in {r.value for r in get_plugin_host().registry.resources.values()}
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
