"""The built-in commands, run in-process with click's CliRunner.

Each test builds a fresh group under a plugin host that holds core's built-ins and the
test's own inline plugins only, so installed plugins cannot change the outcome.
"""

from __future__ import annotations

import json

import click
import importlib_metadata
import pytest
from click.testing import CliRunner

from clockwork import Assertion, Resource, hookimpl
from clockwork.testing import plugin_host
from clockwork_cli.main import build_cli


class Widget(Resource):
    size: int | None = None


class WidgetIsSmall(Assertion):
    def check(self, resource: Resource | None) -> str:
        return "small enough"


class WidgetPlugin:
    """A plugin that uses every registration hook and adds a command."""

    @hookimpl
    def register_resources(self, register):
        register(Widget)

    @hookimpl
    def register_assertions(self, register):
        register(WidgetIsSmall)

    @hookimpl
    def register_completers(self, register):
        register("echo", lambda settings: None)

    @hookimpl
    def register_compilers(self, register):
        register("listing", lambda settings: None)

    @hookimpl
    def register_prompt_templates(self, register):
        register("Widget", "Choose a size for {name}.")

    @hookimpl
    def register_commands(self, cli):
        @cli.command("widget-count")
        def widget_count():
            """Say how many widgets there are."""
            click.echo("0 widgets")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(build_cli(), list(args), prog_name="clockwork")


# ----- --help -----------------------------------------------------------------------------


def test_help_lists_every_built_in_command(runner: CliRunner) -> None:
    with plugin_host():
        result = invoke(runner, "--help")

    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: clockwork [OPTIONS] COMMAND [ARGS]...")
    for command in ("apply", "assert", "destroy", "plan", "plugins", "version"):
        assert f"\n  {command} " in result.stdout


def test_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    with plugin_host():
        result = invoke(runner, "deploy-everything")

    assert result.exit_code == 2
    assert "No such command 'deploy-everything'" in result.stderr


# ----- version ----------------------------------------------------------------------------


def test_version_json_lists_the_installed_distributions(runner: CliRunner) -> None:
    result = invoke(runner, "version", "--json")

    assert result.exit_code == 0
    listed = {entry["name"]: entry["version"] for entry in json.loads(result.stdout)}
    for name in ("clockwork-core", "clockwork-cli"):
        assert listed[name] == importlib_metadata.version(name)


def test_version_prints_one_line_per_distribution(runner: CliRunner) -> None:
    result = invoke(runner, "version")

    assert result.exit_code == 0
    lines = dict(line.split() for line in result.stdout.splitlines())
    assert lines["clockwork-cli"] == importlib_metadata.version("clockwork-cli")


# ----- plugins ----------------------------------------------------------------------------


def test_plugins_json_lists_core_first_then_each_plugin(runner: CliRunner) -> None:
    with plugin_host(WidgetPlugin(), distribution="clockwork-widgets"):
        result = invoke(runner, "plugins", "--json")

    assert result.exit_code == 0, result.output
    core, widgets = json.loads(result.stdout)
    assert core["name"] == "clockwork-core"
    assert core["version"] == importlib_metadata.version("clockwork-core")
    assert "BlankResource" in core["resources"]
    assert "register_resources" in core["hooks"]
    assert widgets == {
        "name": "clockwork-widgets",
        "version": "",  # registered inline: no installed distribution to ask
        "hooks": [
            "register_assertions",
            "register_commands",
            "register_compilers",
            "register_completers",
            "register_prompt_templates",
            "register_resources",
        ],
        "resources": ["Widget"],
        "assertions": ["WidgetIsSmall"],
        "completers": ["echo"],
        "compilers": ["listing"],
        "prompt_templates": ["Widget"],
        "completion_tools": [],
        "engine_plugins": [],
        "policies": [],
    }


def test_plugins_table_names_each_plugin_and_what_it_registers(runner: CliRunner) -> None:
    with plugin_host(WidgetPlugin(), distribution="clockwork-widgets"):
        result = invoke(runner, "plugins")

    assert result.exit_code == 0, result.output
    for text in (
        "clockwork-core",
        "BlankResource",
        "clockwork-widgets",
        "Widget",
        "WidgetIsSmall",
        "echo",
        "listing",
        "register_commands",
    ):
        assert text in result.stdout
    assert result.stdout.index("clockwork-core") < result.stdout.index("clockwork-widgets")


def test_plugin_failing_to_register_is_one_warning_line(runner: CliRunner) -> None:
    class FailingPlugin:
        @hookimpl
        def register_resources(self, register):
            raise ValueError("no widgets today")

    with plugin_host(FailingPlugin(), distribution="clockwork-failing"):
        result = invoke(runner, "plugins", "--json")

    assert result.exit_code == 0
    assert [entry["name"] for entry in json.loads(result.stdout)] == [
        "clockwork-core",
        "clockwork-failing",
    ]
    assert result.stderr == (
        "warning: plugin clockwork-failing failed in register_resources: "
        "ValueError: no widgets today\n"
    )


def test_two_plugins_claiming_one_type_name_is_an_error(runner: CliRunner) -> None:
    with plugin_host(WidgetPlugin(), distribution="clockwork-widgets") as host:

        class OtherWidgets:
            @hookimpl
            def register_resources(self, register):
                register(Widget)

        host.register(OtherWidgets(), distribution="clockwork-other-widgets")
        result = invoke(runner, "plugins")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: resource 'Widget' is registered by both clockwork-widgets and "
        "clockwork-other-widgets; uninstall one or leave it out of CW_PLUGINS\n"
    )


# ----- project commands --------------------------------------------------------------


@pytest.mark.parametrize("command", ["apply", "plan", "destroy", "assert"])
def test_project_commands_take_main_py_as_their_argument(runner: CliRunner, command: str) -> None:
    with plugin_host():
        result = invoke(runner, command, "--help")

    assert result.exit_code == 0
    assert f"Usage: clockwork {command} [OPTIONS] [MAIN_PY]" in result.stdout


def test_plugins_says_which_plugin_failed_and_how(runner: CliRunner) -> None:
    class FailingPlugin:
        @hookimpl
        def register_resources(self, register):
            raise ValueError("no widgets today")

    with plugin_host(FailingPlugin(), distribution="clockwork-failing"):
        table = invoke(runner, "plugins")
    with plugin_host(FailingPlugin(), distribution="clockwork-failing"):
        listed = invoke(runner, "plugins", "--json")

    assert table.exit_code == 0, table.output
    failing = table.stdout[table.stdout.index("clockwork-failing") :]
    assert failing == (
        "clockwork-failing -\n"
        "  failed in register_resources: ValueError: no widgets today\n"
        "  hooks: register_resources\n"
    )
    core, entry = json.loads(listed.stdout)
    assert "problems" not in core
    assert entry["problems"] == ["failed in register_resources: ValueError: no widgets today"]
    assert entry["resources"] == []


def test_plugins_lists_every_kind_with_its_label_in_table_order(runner: CliRunner) -> None:
    from clockwork.hookspecs import REGISTRATION_KINDS

    with plugin_host(WidgetPlugin(), distribution="clockwork-widgets"):
        table = invoke(runner, "plugins")
        listed = invoke(runner, "plugins", "--json")

    widgets = json.loads(listed.stdout)[1]
    assert list(widgets) == [
        "name",
        "version",
        "hooks",
        *(kind.name for kind in REGISTRATION_KINDS),
    ]
    block = table.stdout[table.stdout.index("clockwork-widgets") :].splitlines()
    assert block[1:6] == [
        "  resources: Widget",
        "  assertions: WidgetIsSmall",
        "  completers: echo",
        "  compilers: listing",
        "  prompt templates: Widget",
    ]


def test_a_kind_declared_in_hookspecs_is_listed_by_plugins(runner: CliRunner) -> None:
    import types

    from clockwork.hookspecs import REGISTRATION_KINDS, registration_hook

    before = list(REGISTRATION_KINDS)
    try:

        @registration_hook("dashboards", label="dash boards")
        def register_dashboards(register):
            """Register dashboards."""

        specs = types.ModuleType("dashboard_specs")
        specs.register_dashboards = register_dashboards  # type: ignore[attr-defined]

        class Boards:
            @hookimpl
            def register_dashboards(self, register):
                register("overview", object())

        with plugin_host() as host:
            host.pm.add_hookspecs(specs)
            host.register(Boards(), distribution="clockwork-boards")
            table = invoke(runner, "plugins")
            listed = invoke(runner, "plugins", "--json")
    finally:
        REGISTRATION_KINDS[:] = before

    assert "  dash boards: overview\n" in table.stdout
    core, boards = json.loads(listed.stdout)
    assert boards["dashboards"] == ["overview"]
    assert core["dashboards"] == []


def test_a_project_dotenv_that_is_not_utf8_is_one_error_line(
    runner: CliRunner, tmp_path, clean_env
) -> None:
    (tmp_path / "main.py").write_text(
        "from clockwork import BlankResource\nbox = BlankResource(name='box')\n"
    )
    (tmp_path / ".env").write_bytes(b"CW_MODEL=caf\xe9\n")

    with plugin_host():
        result = invoke(runner, "show", str(tmp_path / "main.py"))

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {tmp_path / '.env'}: not UTF-8 text (invalid continuation byte at byte "
        f"12); save it as UTF-8\n"
    )
