"""Commands that plugins add, and how errors reach the user: one line, the right code."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from clockwork import ClockworkError, ProjectError, hookimpl
from clockwork.plugins import PluginHost, set_plugin_host
from clockwork.testing import get_plugin_host_or_none, plugin_host
from clockwork_cli.main import build_cli


class GreetingPlugin:
    @hookimpl
    def register_commands(self, cli):
        @cli.command()
        @click.argument("who")
        def greet(who):
            """Greet WHO."""
            click.echo(f"hello {who}")


class FailingCommandsPlugin:
    """Adds commands that fail the ways a real command can."""

    @hookimpl
    def register_commands(self, cli):
        @cli.command("bad-project")
        def bad_project():
            raise ProjectError("main.py:3: Widget 'w' has no size")

        @cli.command("failed-check")
        def failed_check():
            raise ClockworkError("2 of 3 assertions failed")

        @cli.command("broken-code")
        def broken_code():
            raise KeyError("a bug, not a user error")

        @cli.command("ctrl-c")
        def ctrl_c():
            raise KeyboardInterrupt

        @cli.command("ctrl-c-at-prompt")
        def ctrl_c_at_prompt():
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise click.Abort() from None  # what click.confirm does on Ctrl-C

        @cli.command("end-of-input")
        def end_of_input():
            raise click.Abort()


class CommandlessPlugin:
    @hookimpl
    def register_commands(self, cli):
        raise RuntimeError("cannot add my commands")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def strict_host() -> Iterator[PluginHost]:
    """A host in CW_STRICT_PLUGINS=1 mode, set as the process-wide one meanwhile."""
    previous = get_plugin_host_or_none()
    host = PluginHost(strict=True)
    host.register_builtin()
    set_plugin_host(host)
    yield host
    set_plugin_host(previous)


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(build_cli(), list(args), prog_name="clockwork")


# ----- plugin commands --------------------------------------------------------------------


def test_plugin_command_is_listed_and_runs(runner: CliRunner) -> None:
    with plugin_host(GreetingPlugin()):
        help_result = invoke(runner, "--help")
        greet_result = invoke(runner, "greet", "Ada")

    assert "greet" in help_result.stdout and "Greet WHO." in help_result.stdout
    assert greet_result.exit_code == 0
    assert greet_result.stdout == "hello Ada\n"


def test_plugin_commands_are_added_once_per_group(runner: CliRunner) -> None:
    calls = []

    class CountingPlugin:
        @hookimpl
        def register_commands(self, cli):
            calls.append(cli)

    with plugin_host(CountingPlugin()):
        group = build_cli()
        runner.invoke(group, ["--help"])
        runner.invoke(group, ["version"])

    assert calls == [group]


def test_plugin_failing_to_add_commands_is_a_warning(runner: CliRunner) -> None:
    with plugin_host(CommandlessPlugin(), GreetingPlugin(), distribution="clockwork-mixed"):
        result = invoke(runner, "greet", "Cy")

    assert result.exit_code == 0
    assert result.stdout == "hello Cy\n"
    assert result.stderr == (
        "warning: plugin clockwork-mixed failed in register_commands: "
        "RuntimeError: cannot add my commands\n"
    )


def test_strict_mode_makes_a_failing_plugin_an_error(runner: CliRunner,
                                                      strict_host: PluginHost) -> None:
    strict_host.register(CommandlessPlugin(), distribution="clockwork-commandless")

    result = invoke(runner, "version")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: plugin clockwork-commandless failed in register_commands: "
        "RuntimeError: cannot add my commands (CW_STRICT_PLUGINS=1)\n"
    )


# ----- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "exit_code", "message"), [
    ("bad-project", 2, "main.py:3: Widget 'w' has no size"),
    ("failed-check", 1, "2 of 3 assertions failed"),
])
def test_clockwork_error_is_one_line_with_its_exit_code(runner: CliRunner, command: str,
                                                         exit_code: int, message: str) -> None:
    with plugin_host(FailingCommandsPlugin()):
        result = invoke(runner, command)

    assert result.exit_code == exit_code
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_other_exceptions_are_bugs_and_are_not_hidden(runner: CliRunner) -> None:
    with plugin_host(FailingCommandsPlugin()):
        result = invoke(runner, "broken-code")

    assert result.exit_code == 1
    assert isinstance(result.exception, KeyError)


@pytest.mark.parametrize("command", ["ctrl-c", "ctrl-c-at-prompt"])
def test_ctrl_c_is_exit_130_without_a_traceback(runner: CliRunner, command: str) -> None:
    with plugin_host(FailingCommandsPlugin()):
        result = invoke(runner, command)

    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr == "\ninterrupted\n"


def test_an_abort_that_is_not_ctrl_c_stays_click_s(runner: CliRunner) -> None:
    with plugin_host(FailingCommandsPlugin()):
        result = invoke(runner, "end-of-input")

    assert result.exit_code == 1
    assert "Aborted!" in result.stderr


def test_outside_standalone_mode_ctrl_c_is_raised_not_turned_into_an_exit() -> None:
    with plugin_host(FailingCommandsPlugin()), pytest.raises(click.Abort):  # as click does
        build_cli().main(["ctrl-c"], standalone_mode=False)


def test_outside_standalone_mode_the_error_itself_is_raised() -> None:
    with plugin_host(FailingCommandsPlugin()), pytest.raises(ProjectError, match="has no size"):
        build_cli().main(["bad-project"], standalone_mode=False)
