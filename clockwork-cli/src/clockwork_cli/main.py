"""The `clockwork` group: built-in commands, plugin commands and error reporting.

Start-up stays light: this module imports click and Clockwork's plugin host only.
pulumi and pydantic-ai load inside the commands that compile or complete, rich inside
the commands that draw tables.

Plugins load when the command is looked up, before it runs: CW_PLUGINS and
CW_STRICT_PLUGINS come from the environment, then from the `.env` of the project folder
of a built-in command's MAIN_PY argument (read ahead of the command), else of the
current folder.

Exit codes: 0 ok, 1 a check failed, 2 usage error (click's own usage errors are 2 too),
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from clockwork.errors import ClockworkError, UsageError
from clockwork.folders import project_folder
from clockwork.plugins import get_plugin_host

from . import completion_commands, info_commands, lock_commands, project_commands

# Clockwork reports warnings (plugin problems, unprotected state secrets) through
# this logger and its children, already worded as "warning: ..." lines.
PLUGIN_LOGGER_NAME = "clockwork"
EXIT_INTERRUPTED = 130


class ClickStderrHandler(logging.Handler):
    """Writes log records to click's stderr, so CliRunner captures them too."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from clockwork.redaction import printable

            click.echo(printable(self.format(record), multiline=True), err=True)
        except Exception:
            self.handleError(record)


def show_plugin_warnings_on_stderr() -> None:
    """Print the host's plugin warnings on stderr, once each.

    With a handler of its own, the logger no longer falls back to logging's
    last-resort stderr handler, so a warning appears once, not twice. The logger still
    propagates, so an application or pytest that captures logs still sees them.
    """
    logger = logging.getLogger(PLUGIN_LOGGER_NAME)
    if not any(isinstance(handler, ClickStderrHandler) for handler in logger.handlers):
        logger.addHandler(ClickStderrHandler())


def report_error(error: ClockworkError) -> None:
    """One line; an engine failure with several reasons gets a line for each."""
    from clockwork.redaction import printable  # secrets masked, control codes escaped

    reasons: list[str] = getattr(error, "lines", lambda: [])()
    if reasons:
        click.echo(printable(f"error: {error.headline}"), err=True)  # type: ignore[attr-defined]
        for reason in reasons:
            click.echo(printable(f"  {reason}"), err=True)
        return
    click.echo(printable(f"error: {error or type(error).__name__}"), err=True)


class ClockworkGroup(click.Group):
    """The top-level group: adds plugin commands on first use, reports errors in one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugin_commands_added = False
        self._standalone = True
        self._project_dir: Path | None = None  # whose .env may set CW_PLUGINS

    def add_plugin_commands(self) -> None:
        """Let every loaded plugin add its commands (`register_commands` hook), once.

        Done on first lookup rather than at import, so that a strict-mode plugin
        failure happens inside `main` and is reported as an `error:` line.
        """
        if self._plugin_commands_added:
            return
        self._plugin_commands_added = True  # before loading: a failure is not retried
        show_plugin_warnings_on_stderr()
        get_plugin_host(self._project_dir).add_commands(self)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if not self._plugin_commands_added and args:
            self._project_dir = project_dir_named(self.commands.get(args[0]), ctx, args)
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, click.Abort) as interrupt:
            # click would say "Aborted!" and exit 1; an interrupt is 130. An Abort that
            # is not a Ctrl-C (end of input at a prompt) stays click's.
            ctrl_c = isinstance(interrupt, KeyboardInterrupt) or isinstance(
                interrupt.__context__, KeyboardInterrupt
            )
            if not ctrl_c or not self._standalone:
                raise
            click.echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        self._standalone = standalone_mode
        try:
            return super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=standalone_mode,
                **extra,
            )
        except ClockworkError as error:
            if not standalone_mode:
                raise  # a program calling us wants the exception itself
            report_error(error)
            sys.exit(error.exit_code)


def project_dir_named(
    command: click.Command | None, ctx: click.Context, args: list[str]
) -> Path | None:
    """The project folder of a built-in command's MAIN_PY argument, found before the
    plugins load (its `.env` may set CW_PLUGINS and CW_STRICT_PLUGINS); None for the
    current folder: no such command or argument, or no such folder (the command itself
    then says what is wrong)."""
    if command is None or not any(param.name == "main_py" for param in command.params):
        return None
    try:
        # Parsed only to read the argument: resilient, so no prompts, no usage errors and
        # no --help output (the real parse comes after).
        sub = command.make_context(args[0], list(args[1:]), parent=ctx, resilient_parsing=True)
    except click.ClickException:
        return None
    try:
        return project_folder(str(sub.params.get("main_py") or "main.py"))
    except UsageError:
        return None


def build_cli() -> ClockworkGroup:
    """A fresh `clockwork` group with the built-in commands (plugins add theirs on use)."""
    group = ClockworkGroup(
        name="clockwork",
        help="Clockwork: infrastructure as Pydantic models, completed by AI, deployed by Pulumi.",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for command in (
        *info_commands.COMMANDS,
        *project_commands.COMMANDS,
        *completion_commands.COMMANDS,
        *lock_commands.COMMANDS,
    ):
        group.add_command(command)
    return group


cli = build_cli()
