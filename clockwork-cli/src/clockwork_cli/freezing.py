"""`clockwork freeze`: write AI-filled values into main.py as keyword arguments.

main.py is edited with libcst, a concrete syntax tree: every comment, blank line and
quote the user wrote stays where it was; only the constructor calls of the frozen
resources gain arguments. It is never rewritten with regexes nor regenerated.

The call is the one that built the resource (`Resource.declared_at`: the code
position Python recorded at construction, matched to a libcst `Call` by its start and
end). A value is placed only where it means exactly one resource: the call is
refused, saying why, when it is in a loop or a comprehension, in a function (called
who knows how often, with arguments from its caller), in another file than main.py,
when it passes `*args`/`**kwargs`, or when the field is already an argument whose
expression came out None. Nothing is written unless every resource asked for can be
placed.

Values are Python literals made from the JSON the resource validated (strings,
numbers, booleans, None, lists and dicts of them), so the resource re-validates them
into its own types when main.py runs again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from clockwork.errors import ClockworkError
from clockwork.resource import DeclarationSite

_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_FUNCTIONS = (cst.FunctionDef, cst.Lambda)


class FreezeRefused(ClockworkError):
    """Some values cannot be placed safely; `reasons` says, per resource, why."""

    def __init__(self, reasons: dict[str, str]):
        self.reasons = reasons
        super().__init__("; ".join(f"{label}: {why}" for label, why in reasons.items()))


@dataclass(frozen=True)
class FreezeRequest:
    """Put `values` (field -> JSON value) into the call that built one resource."""

    label: str  # how messages name the resource, e.g. "DockerResource 'db'"
    site: DeclarationSite | None
    values: Mapping[str, Any]


def freeze_source(source: str, path: Path, requests: Sequence[FreezeRequest]) -> str:
    """`source` (the text of main.py at `path`) with each request's values added to its
    call. Raises FreezeRefused naming every request that cannot be placed."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    calls = _calls_by_range(wrapper, source)
    parents = wrapper.resolve(ParentNodeProvider)
    edits: dict[cst.Call, FreezeRequest] = {}
    refused: dict[str, str] = {}
    for request in requests:
        call, why = _call_for(request, path, calls)
        why = why or _unsafe_place(call, parents) or _unsafe_arguments(call, request.values)
        if why is None and call in edits:
            why = f"built by the same call as {edits[call].label} (a loop or a repeated call)"
            refused[edits.pop(call).label] = f"built by the same call as {request.label}"
        if why is not None:
            refused[request.label] = why
        else:
            assert call is not None
            edits[call] = request
    if refused:
        raise FreezeRefused(refused)
    return wrapper.module.visit(_AddArguments(edits)).code


# ----- finding the call ---------------------------------------------------------------------


_Range = tuple[int, int, int, int]  # line, column, end line, end column (characters)


def _calls_by_range(wrapper: MetadataWrapper, source: str) -> dict[_Range, cst.Call]:
    positions = wrapper.resolve(PositionProvider)
    found = {}
    for node, where in positions.items():
        if isinstance(node, cst.Call):
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            found[key] = node
    return found


def _call_for(
    request: FreezeRequest, path: Path, calls: dict[_Range, cst.Call]
) -> tuple[cst.Call | None, str | None]:
    site = request.site
    if site is None:
        return None, "where it was built is not known"
    if Path(site.filename).resolve() != path.resolve():
        return None, f"it is built in {site.filename}, not in {path.name}"
    lines = path.read_text(encoding="utf-8").splitlines()
    key = (
        site.line,
        _characters(lines, site.line, site.column),
        site.end_line,
        _characters(lines, site.end_line, site.end_column),
    )
    call = calls.get(key)
    if call is None:
        return None, f"no constructor call at line {site.line} (main.py changed since it ran?)"
    return call, None


def _characters(lines: list[str], line: int, byte_column: int) -> int:
    """Python's code positions count UTF-8 bytes; libcst counts characters."""
    if not 0 < line <= len(lines):
        return byte_column
    return len(lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))


def _unsafe_place(call: cst.Call | None, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> str | None:
    node: cst.CSTNode | None = call
    while node is not None:
        if isinstance(node, _LOOPS):
            return "it is built in a loop or comprehension: one call makes several resources"
        if isinstance(node, _FUNCTIONS):
            name = node.name.value if isinstance(node, cst.FunctionDef) else "a lambda"
            return (
                f"it is built inside function {name}, which may run more than once "
                "with arguments from its caller"
            )
        node = parents.get(node)
    return None


def _unsafe_arguments(call: cst.Call | None, values: Mapping[str, Any]) -> str | None:
    if call is None:
        return None
    if any(arg.star for arg in call.args):
        return "its arguments are computed (*args or **kwargs): there is no place for a value"
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else None
        if name in values and not _is_none(arg.value):
            return f"its argument {name}= is computed (it came out None): set it yourself"
    for field, value in values.items():
        why = _not_a_literal(value)
        if why is not None:
            return f"the value of {field} {why}"
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


# ----- values as source ---------------------------------------------------------------------


def python_literal(value: Any) -> str:
    """Python source for a JSON value: strings, numbers, booleans, None, lists, dicts."""
    if isinstance(value, dict):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, str):
        # JSON's string escapes are all Python's too; double quotes, as formatters write.
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _not_a_literal(value: Any) -> str | None:
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "is not a finite number"
    if isinstance(value, list):
        return next(filter(None, map(_not_a_literal, value)), None)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return "has keys that are not strings"
        return next(filter(None, map(_not_a_literal, value.values())), None)
    return f"is not a plain literal ({type(value).__name__})"


# ----- editing the call ---------------------------------------------------------------------


class _AddArguments(cst.CSTTransformer):
    def __init__(self, edits: dict[cst.Call, FreezeRequest]):
        self.edits = edits

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        request = self.edits.get(original)
        if request is None:
            return updated
        args = list(updated.args)
        added = []
        for field, value in request.values.items():
            expression = cst.parse_expression(python_literal(value))
            index = _keyword_index(args, field)
            if index is not None:  # `field=None` written out: the value takes its place
                args[index] = args[index].with_changes(value=expression)
            else:
                added.append(_keyword(field, expression))
        return updated.with_changes(args=_appended(updated, args, added))


def _keyword_index(args: list[cst.Arg], name: str) -> int | None:
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            return index
    return None


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    no_space = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    return cst.Arg(keyword=cst.Name(name), value=value, equal=no_space)


def _appended(call: cst.Call, args: list[cst.Arg], added: list[cst.Arg]) -> list[cst.Arg]:
    """`args` then `added`, laid out as the call already is: one argument per line
    (same indent, trailing comma kept) or all on one line."""
    if not added:
        return args
    indent = _argument_indent(call, args)
    if indent is None:  # one line: `Call(a=1)` -> `Call(a=1, b=2)`
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if not args:
            return [*[arg.with_changes(comma=separator) for arg in added[:-1]], added[-1]]
        last = args[-1]
        tail = [arg.with_changes(comma=separator) for arg in added[:-1]]
        return [
            *args[:-1],
            last.with_changes(comma=separator),
            *tail,
            added[-1].with_changes(comma=last.comma),
        ]
    return _appended_on_lines(args, added, indent)


def _appended_on_lines(
    args: list[cst.Arg], added: list[cst.Arg], indent: cst.SimpleWhitespace
) -> list[cst.Arg]:
    def line_break(last_line: cst.SimpleWhitespace) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=last_line
        )

    last = args[-1]
    closing: cst.SimpleWhitespace  # the indentation of the closing parenthesis
    if isinstance(last.comma, cst.Comma) and isinstance(
        last.comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        after = last.comma.whitespace_after
        closing = after.last_line
        # The last argument keeps its comma and its comment; the line after it now
        # starts the next argument.
        new_last = last.with_changes(
            comma=last.comma.with_changes(whitespace_after=after.with_changes(last_line=indent))
        )
        final_comma: cst.Comma | cst.MaybeSentinel = cst.Comma(whitespace_after=line_break(closing))
        trailing_space: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace("")
    else:  # no trailing comma: the line break before `)` sits after the last value
        new_last = last.with_changes(
            comma=cst.Comma(whitespace_after=line_break(indent)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        final_comma = cst.MaybeSentinel.DEFAULT
        trailing_space = last.whitespace_after_arg
    between = cst.Comma(whitespace_after=line_break(indent))
    middle = [arg.with_changes(comma=between) for arg in added[:-1]]
    final = added[-1].with_changes(comma=final_comma, whitespace_after_arg=trailing_space)
    return [*args[:-1], new_last, *middle, final]


def _argument_indent(call: cst.Call, args: list[cst.Arg]) -> cst.SimpleWhitespace | None:
    """The indentation of the call's arguments when they stand on lines of their own."""
    if not args:
        return None
    before = call.whitespace_before_args
    if isinstance(before, cst.ParenthesizedWhitespace):
        return before.last_line
    return None
