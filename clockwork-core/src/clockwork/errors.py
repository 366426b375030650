"""Errors Clockwork reports to a user as one clear line, never as a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ClockworkError(Exception):
    """Any failure Clockwork can explain: the CLI prints the message and exits non-zero."""

    exit_code = 1


class UsageError(ClockworkError):
    """The user asked for something that cannot be done as asked (bad file, bad option)."""

    exit_code = 2


class ProjectError(ClockworkError):
    """main.py cannot be loaded, or what it declares is inconsistent."""

    exit_code = 2


class CycleError(ProjectError):
    """Resources depend on each other in a loop; `path` lists the loop's names in order."""

    def __init__(self, path: list[str]):
        self.path = path
        super().__init__("dependency cycle: " + " → ".join(path))


class PluginError(ClockworkError):
    """A plugin failed to import or to register, or two plugins claim the same name."""


class EngineMissingError(ClockworkError):
    """The Pulumi CLI is not installed: engine commands cannot run."""


def describe_validation_error(
    error: ValidationError,
    *,
    with_input: bool = False,
    label: Callable[[str], str] = "field '{}'".format,
) -> str:
    """One line for all of a pydantic error's problems: `field 'x': why; ...`.

    The validator's own words stand without pydantic's "Value error, " in front;
    `with_input` adds what was given (for the model's retries, never for a setting
    that may be a secret); `label` names the place (a settings variable, say)."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "value"
        message = item["msg"].removeprefix("Value error, ")
        given = item.get("input")
        got = f" (got {given!r})" if with_input and given is not None else ""
        problems.append(f"{label(where)}: {message}{got}")
    return "; ".join(problems)
