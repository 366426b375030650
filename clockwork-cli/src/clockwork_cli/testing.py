"""Helpers for tests that drive the `clockwork` command (needs pytest's click runner).

`run_clockwork("plan", "main.py", "--json")` runs the command in-process, as a user
would on the command line, and returns click's Result (`stdout`, `stderr`, `output`).
A bug's exception is re-raised with its traceback (never mistaken for an exit), and
the exit status is checked against `code` (None: not checked).
"""

from __future__ import annotations

from click.testing import CliRunner, Result

from .main import build_cli


def run_clockwork(*args: str, code: int | None = 0) -> Result:
    result = CliRunner().invoke(build_cli(), list(args), prog_name="clockwork")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if code is not None:
        assert result.exit_code == code, result.output
    return result
