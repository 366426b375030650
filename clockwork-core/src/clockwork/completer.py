"""The contract between Clockwork and a completer backend (`register_completers`).

A backend is `factory(settings) -> Completer`; Clockwork calls `await
completer.complete(request)` once per resource that needs values. The backend asks its
model for `request.output_type` and passes each proposal to `request.accept(values)`,
which applies it or raises OutputRejected, whose message goes back to the model as a
retry. A backend that gives up raises CompletionFailed. This module is all a backend
imports from Clockwork: light, no pydantic-ai.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from .filling import (
    FieldState,
    OutputRejected,
    apply_reversibly,
    output_model_for,
    restore,
    values_of,
)
from .prompts import PromptContext
from .resource import Resource

__all__ = [
    "Completer",
    "CompletionFailed",
    "CompletionOutcome",
    "CompletionRequest",
    "OutputModeFailed",
    "OutputRejected",
    "output_model_for",
    "values_of",
]


class CompletionFailed(Exception):
    """Raised by a completer that gave up (retries used, timeout, model unreachable)."""

    def __init__(self, reason: str, model_calls: int = 0):
        self.model_calls = model_calls
        super().__init__(reason)


class OutputModeFailed(CompletionFailed):
    """Raised by a completer, when `request.probing`, as soon as the model's answer
    shows the output mode does not work with it (text where a tool call was wanted, an
    answer that is not JSON, the server refusing the mode): the `auto` mode then tries
    the next one at once instead of spending the retries and the timeout."""


@dataclass
class CompletionRequest:
    """One resource to complete, as a completer backend sees it.

    A backend asks its model for `output_type` (only the missing fields) with
    `instructions` and `prompt`, and passes each proposal to `accept()`: it applies the
    values or raises OutputRejected, whose message should go back to the model as a
    retry. A backend that just returns values gets them accepted once, without retries.
    """

    resource: Resource
    context: PromptContext
    instructions: str
    prompt: str
    output_type: type[BaseModel]
    output_mode: str
    tools: dict[str, Callable[..., Any]]
    max_retries: int
    timeout: float
    last_problem: str | None = None
    probing: bool = False
    # Rules that need the whole project (an AI-chosen name must not be taken): raises
    # OutputRejected, after the resource's own rules passed.
    project_rules: Callable[[Resource], None] | None = field(default=None, repr=False)
    last_rejected: dict[str, Any] | None = field(default=None, repr=False)
    _undo: dict[str, FieldState] = field(default_factory=dict, repr=False)

    @property
    def filled(self) -> list[str]:
        """Fields set by the accepted proposal, if any."""
        return list(self._undo)

    @property
    def accepted(self) -> bool:
        return bool(self._undo) or not self.resource.needs_completion()

    def accept(self, values: Mapping[str, Any]) -> None:
        if self.accepted:
            return  # a second proposal in the same answer: the first one stands
        try:
            self._apply(values)
        except OutputRejected as rejection:
            self.last_problem = str(rejection)
            self.last_rejected = dict(values)
            raise

    def accept_last_with(self, replacements: Mapping[str, Any]) -> None:
        """Apply the last rejected proposal with `replacements` over some of its values
        (safe defaults for fields that kept failing); OutputRejected if it still fails."""
        if self.last_rejected is None:
            raise OutputRejected("the model proposed no values")
        self._apply({**self.last_rejected, **replacements})

    def _apply(self, values: Mapping[str, Any]) -> None:
        undo = apply_reversibly(self.resource, values)
        if self.project_rules is not None:
            try:
                self.project_rules(self.resource)
            except OutputRejected:
                restore(self.resource, undo)
                raise
        self._undo = undo

    def rollback(self) -> None:
        """Undo an accepted proposal (the run failed after it)."""
        restore(self.resource, self._undo)
        self._undo = {}


@dataclass
class CompletionOutcome:
    values: dict[str, Any]
    model_calls: int = 0


class Completer(Protocol):
    """What `register_completers` factories return: `factory(settings) -> Completer`."""

    async def complete(self, request: CompletionRequest) -> CompletionOutcome: ...
