"""Helpers to test AI completion without a model server (needs pydantic-ai).

`ScriptedModel` is a PydanticAI `FunctionModel` that answers each resource from a
script and records every call (prompt, instructions, what the model was offered) and
when each call started and ended, so a test can check prompts, retries, order and
concurrency. `scripted_completer` wraps it in core's `pydantic-ai` completer, so the
real agent, output validation and retries run; only the network is replaced.

The model knows which resource a call is about from the `CompletionRequest` the
completer is serving (handed over in a context variable, so concurrent completions
each see their own), never from the prompt's wording: a reworded prompt template
cannot confuse it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from .graph import topological_order
from .hookspecs import hookimpl
from .loader import Project
from .pydantic_ai_completer import PydanticAICompleter
from .resource import Resource
from .settings import Settings

if TYPE_CHECKING:
    from .completion import CompletionOutcome, CompletionRequest

# An answer: the values for one resource, a list of values (one per attempt, the last
# one repeating), or a function of (resource name, attempt number from 0).
Answer = Mapping[str, Any] | Sequence[Mapping[str, Any]] | Callable[[str, int], Mapping[str, Any]]

_RESOURCE_LINE = re.compile(r"Complete the resource \S+ (?:'([^']*)'|\(unnamed\))")

# The request the scripted completer is serving in this task, for the model to read.
_current_request: contextvars.ContextVar[CompletionRequest | None] = contextvars.ContextVar(
    "clockwork_scripted_request", default=None
)


@dataclass
class ModelCall:
    resource: str | None
    attempt: int
    prompt: str
    instructions: str
    info: AgentInfo
    messages: list[ModelMessage]
    request: CompletionRequest | None = None  # what the completer was asked (None: unknown)

    @property
    def feedback(self) -> str:
        """Everything sent after the first prompt (validation errors on a retry)."""
        return "\n".join(
            str(part.content)
            for message in self.messages[1:]
            if isinstance(message, ModelRequest)
            for part in message.parts
            if hasattr(part, "content")
        )


@dataclass
class ScriptedModel:
    answers: Mapping[str | None, Answer] | Callable[[str | None, int], Mapping[str, Any]]
    delay: float = 0.0  # seconds each call takes (an async sleep: calls can overlap)
    calls: list[ModelCall] = field(default_factory=list)
    events: list[tuple[str, str | None]] = field(default_factory=list)  # ("start"|"end", name)

    def __post_init__(self) -> None:
        self.model = FunctionModel(self._respond, model_name="scripted")

    def calls_for(self, resource: str | None) -> list[ModelCall]:
        return [call for call in self.calls if call.resource == resource]

    @property
    def order(self) -> list[str | None]:
        """Resources in the order of their first model call."""
        seen: list[str | None] = []
        for call in self.calls:
            if call.resource not in seen:
                seen.append(call.resource)
        return seen

    async def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = first_prompt(messages)
        request = _current_request.get()
        # The name as the request was made (the model may be filling the name itself).
        # Outside `scripted_completer` no request says which resource this is: then, and
        # only then, the default template's wording does.
        name = request.context.name if request is not None else resource_name_in(prompt)
        attempt = sum(isinstance(message, ModelResponse) for message in messages)
        self.calls.append(
            ModelCall(name, attempt, prompt, info.instructions or "", info, list(messages), request)
        )
        self.events.append(("start", name))
        if self.delay:
            await asyncio.sleep(self.delay)
        self.events.append(("end", name))
        return response_with(self._values(name, attempt), info)

    def _values(self, name: str | None, attempt: int) -> Mapping[str, Any]:
        if callable(self.answers):
            return self.answers(name, attempt)
        if name not in self.answers:
            raise KeyError(
                f"the scripted model has no answer for resource {name!r} "
                f"(it has answers for {sorted(map(str, self.answers))})"
            )
        answer = self.answers[name]
        if callable(answer):
            return answer(name or "", attempt)
        if isinstance(answer, Sequence):
            return answer[min(attempt, len(answer) - 1)]
        return answer


def response_with(values: Mapping[str, Any], info: AgentInfo) -> ModelResponse:
    """A model response giving `values` the way the agent asked for output."""
    if info.output_tools:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, dict(values))])
    return ModelResponse(parts=[TextPart(json.dumps(values))])


def first_prompt(messages: Iterable[ModelMessage]) -> str:
    for message in messages:
        for part in getattr(message, "parts", ()):
            if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                return part.content
    return ""


def resource_name_in(prompt: str) -> str | None:
    """The resource a default-template prompt is about (read from its wording: only
    for a ScriptedModel used without `scripted_completer`)."""
    match = _RESOURCE_LINE.search(prompt)
    return match.group(1) if match else None


class ScriptedCompleter(PydanticAICompleter):
    """Core's `pydantic-ai` completer, telling the scripted model which request each of
    its calls serves."""

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        token = _current_request.set(request)
        try:
            return await super().complete(request)
        finally:
            _current_request.reset(token)


def scripted_completer(settings: Settings, model: ScriptedModel) -> PydanticAICompleter:
    """Core's `pydantic-ai` completer with `model` in place of the network."""
    return ScriptedCompleter(settings, model=model.model)


class ScriptedCompleterPlugin:
    """A plugin registering completer `scripted`: core's pydantic-ai completer on
    `self.model` (install it with `clockwork.testing.plugin_host`)."""

    def __init__(self, model: ScriptedModel | None = None):
        self.model = model or ScriptedModel({})

    @hookimpl
    def register_completers(self, register: Callable[..., None]) -> None:
        register("scripted", lambda settings: scripted_completer(settings, self.model))


def project_of(directory: str | Path, *roots: Resource) -> Project:
    """A Project of `roots` (and all they reach), as if loaded from directory/main.py."""
    folder = Path(directory)
    resources = topological_order(roots)
    for resource in resources:
        if resource.parent is None:  # a root: binds its whole tree
            resource.bind_to_project(folder)
    return Project(main_path=folder / "main.py", directory=folder, resources=resources)


def completion_of(report: Any, name: str) -> Any:
    """The entry of a CompletionReport for the resource named `name`."""
    for entry in report.resources:
        if entry.resource.name == name:
            return entry
    raise KeyError(name)
