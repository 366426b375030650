"""Commands that plugins add, and how errors reach the user: one line, the right code."""

from __future__ import annotations

import json
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


def test_strict_mode_makes_a_failing_plugin_an_error(
    runner: CliRunner, strict_host: PluginHost
) -> None:
    strict_host.register(CommandlessPlugin(), distribution="clockwork-commandless")

    result = invoke(runner, "version")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: plugin clockwork-commandless failed in register_commands: "
        "RuntimeError: cannot add my commands (CW_STRICT_PLUGINS=1)\n"
    )


# ----- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "exit_code", "message"),
    [
        ("bad-project", 2, "main.py:3: Widget 'w' has no size"),
        ("failed-check", 1, "2 of 3 assertions failed"),
    ],
)
def test_clockwork_error_is_one_line_with_its_exit_code(
    runner: CliRunner, command: str, exit_code: int, message: str
) -> None:
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


# ----- CW_PLUGINS and CW_STRICT_PLUGINS, from the environment or a project's .env --------


@pytest.fixture
def environment_host(clean_env: pytest.MonkeyPatch, tmp_path) -> Iterator[pytest.MonkeyPatch]:
    """No process-wide host: the CLI loads one from the environment (and a .env), as
    `clockwork` does; its plugin manifest goes to a CW_HOME of the test's own."""
    previous = get_plugin_host_or_none()
    clean_env.setenv("CW_HOME", str(tmp_path / "cw-home"))
    set_plugin_host(None)
    yield clean_env
    set_plugin_host(previous)


FILE_MAIN_PY = """\
from clockwork_files import FileResource

notes = FileResource(name="notes.txt", directory="out", content="hi", description="notes")
"""


def project(folder, dotenv: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(FILE_MAIN_PY)
    if dotenv is not None:
        (folder / ".env").write_text(dotenv)
    return folder / "main.py"


def test_cw_plugins_in_the_dotenv_of_main_py_s_folder_applies(
    runner: CliRunner, environment_host: pytest.MonkeyPatch, tmp_path
) -> None:
    main_py = project(tmp_path / "project", "CW_PLUGINS=clockwork-core\n")
    environment_host.chdir(tmp_path)  # not the project folder

    result = invoke(runner, "show", str(main_py), "--json")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: resource type FileResource comes from clockwork-files, which is not enabled "
        "(it is installed but not loaded: check CW_PLUGINS and the warnings above)\n"
    )


def test_without_that_dotenv_the_same_project_loads(
    runner: CliRunner, environment_host: pytest.MonkeyPatch, tmp_path
) -> None:
    main_py = project(tmp_path / "project")
    (tmp_path / ".env").write_text("CW_PLUGINS=clockwork-core\n")  # the current folder's
    environment_host.chdir(tmp_path)

    result = invoke(runner, "show", str(main_py), "--json")

    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.stdout)["resources"]] == ["notes.txt"]


def test_strict_and_unknown_plugins_from_a_project_dotenv_fail_before_anything_runs(
    runner: CliRunner, environment_host: pytest.MonkeyPatch, tmp_path
) -> None:
    main_py = project(
        tmp_path / "project",
        "CW_PLUGINS=clockwork-files,clockwork-nonexistent\nCW_STRICT_PLUGINS=on\n",
    )

    result = invoke(runner, "plan", str(main_py), "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: CW_PLUGINS names clockwork-nonexistent, which is not installed (installed: "
    )
    assert result.stderr.endswith(") (CW_STRICT_PLUGINS=1)\n")
    assert "clockwork-files" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_unknown_name_in_cw_plugins_is_one_warning(
    runner: CliRunner, environment_host: pytest.MonkeyPatch
) -> None:
    environment_host.setenv("CW_PLUGINS", "clockwork-files,nonexistent")

    result = invoke(runner, "plugins", "--json")

    assert result.exit_code == 0, result.output
    assert [entry["name"] for entry in json.loads(result.stdout)] == [
        "clockwork-core",
        "clockwork-files",
    ]
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(
        "warning: CW_PLUGINS names nonexistent, which is not installed "
        "(installed: clockwork-apple, clockwork-core, "
    )


def test_an_invalid_cw_strict_plugins_is_a_usage_error(
    runner: CliRunner, environment_host: pytest.MonkeyPatch
) -> None:
    environment_host.setenv("CW_STRICT_PLUGINS", "sometimes")

    result = invoke(runner, "version")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: invalid setting CW_STRICT_PLUGINS='sometimes': not a boolean "
        "(use 1 or 0, true or false, yes or no, on or off)\n"
    )


def test_a_dotenv_that_is_not_utf8_is_one_error_line_at_start_up(
    runner: CliRunner, environment_host: pytest.MonkeyPatch, tmp_path
) -> None:
    (tmp_path / ".env").write_bytes(b"CW_PLUGINS=\xff\n")
    environment_host.chdir(tmp_path)

    result = invoke(runner, "plugins")

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / '.env'}: not UTF-8 text (invalid start byte at byte 11); "
        f"save it as UTF-8\n"
    )


def test_plugins_lists_the_same_from_its_manifest(
    runner: CliRunner, environment_host: pytest.MonkeyPatch, tmp_path
) -> None:
    first = invoke(runner, "plugins", "--json")
    set_plugin_host(None)  # the next invocation: a new host, as a new process has
    second = invoke(runner, "plugins", "--json")

    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    names = [entry["name"] for entry in json.loads(first.stdout)]
    assert names[0] == "clockwork-core" and "clockwork-files" in names
