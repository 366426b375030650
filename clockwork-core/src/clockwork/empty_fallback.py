"""When the model keeps failing a field that may as well be empty.

An optional collection (a type's `ask_only_when_needed`: mounts, extra environment) has
a safe default, empty. When the model's answers kept failing validation through every
retry, its last answer is applied once more with those fields set to empty: if that
passes, the resource completes, and a warning names each field given up on and why.
Anything else (a required field failing, no answer at all) still fails the completion.

A name the model chose that another resource has, through every retry (small models
copy the parent's or a sibling's name), is made free the same way: the last answer
with the free name its retries suggested (clockwork.name_suggestions), else with `-2`
(or `-3`, ...) after the name, if that passes, and a warning.
"""

from __future__ import annotations

import logging

from .completer import CompletionRequest, OutputRejected
from .filling import label_of
from .name_suggestions import numbered_name, suggested_name

logger = logging.getLogger("clockwork.completion")


def fall_back_to_empty(request: CompletionRequest) -> list[str] | None:
    """Accept the last rejected answer with as few of its safe-empty fields emptied as
    it takes (one, else all); the warnings (one per field given up on), or None when
    that does not make it pass."""
    empties = request.resource.safe_empty_defaults()
    proposed = request.last_rejected or {}
    candidates = [name for name in empties if proposed.get(name, empties[name]) != empties[name]]
    # Emptying one field is tried before emptying them all: a good value is kept.
    attempts = [[name] for name in candidates] + ([candidates] if len(candidates) > 1 else [])
    given_up = next((names for names in attempts if _accepted_without(request, names)), None)
    if given_up is None:
        return None
    secret = request.resource.secret_field_names()
    warnings = [
        f"{label_of(request.resource)}: {name} left empty ({empties[name]!r}): the model's "
        f"value kept failing validation ({_reason(request, secret_field=name in secret)})"
        for name in given_up
    ]
    for warning in warnings:
        logger.warning("warning: %s", warning)
    return warnings


def fall_back_to_free_name(request: CompletionRequest, taken: set[str]) -> list[str] | None:
    """Accept the last rejected answer with its AI-chosen name made free by a suffix;
    the warning, or None when the name was not the problem."""
    proposed = (request.last_rejected or {}).get("name")
    if not isinstance(proposed, str) or proposed not in taken:
        return None
    label = label_of(request.resource)  # as it was declared: before the name is set
    free = _first_accepted_name(request, proposed, taken)
    if free is None:
        return None
    warning = (
        f"{label}: named {free!r}: the model kept choosing {proposed!r}, which another resource has"
    )
    logger.warning("warning: %s", warning)
    return [warning]


def _first_accepted_name(request: CompletionRequest, proposed: str, taken: set[str]) -> str | None:
    """The name the retries suggested, else `proposed` with a number, whichever passes."""
    suggestion = suggested_name(request.resource, proposed, taken)
    numbered = numbered_name(proposed, taken)
    for free in dict.fromkeys([suggestion, numbered]):
        try:
            request.accept_last_with({"name": free})
        except OutputRejected:
            continue
        return free
    return None


def _accepted_without(request: CompletionRequest, names: list[str]) -> bool:
    empties = request.resource.safe_empty_defaults()
    try:
        request.accept_last_with({name: empties[name] for name in names})
    except OutputRejected:
        return False
    return True


def _reason(request: CompletionRequest, *, secret_field: bool) -> str | None:
    # The problem quotes the rejected values; a secret field's stay off the terminal.
    return "reason not shown: a secret field" if secret_field else request.last_problem
