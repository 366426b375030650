"""Telling, from the model's first answer, that an output mode does not work with it.

Output mode `auto` (clockwork.output_modes) needs to know fast. Wrapped around the
model while probing, `ShapeCheckedModel` raises OutputModeFailed as soon as a response
has the wrong shape for the mode:

- `tool`: text and no call of the output tool. Clockwork asks for the tool call with
  `tool_choice=required`, so text means the server ignores that; a small local model
  then writes the call as text, over and over, until the timeout. Streamed (the real
  network model), the text shows in the first chunks, and the request stops there.
- `native` and `prompted`: an answer that is not a JSON object (a code fence around
  it is fine). JSON whose values are wrong is not a shape problem: it is retried.

Streamed, a runaway answer is cut short too: a small model sometimes repeats a few
characters inside a string (`"postgres:16-alpine3.14.0-alpine3.14.0-..."`) until the
timeout. Once the text ends in one short unit repeated over `RUNAWAY_CHARS`, the
request stops and the answer so far goes back to the agent: invalid, it is retried
like any invalid answer (the mode is not blamed: the shape was right). An answer the
server stopped at its token limit (finish reason `length`) is retried the same way.

What goes into the history is the runaway answer with its repeats dropped (one copy
kept): hundreds of repeated characters in the next prompt cost seconds to read on a
small machine, and a model shown its own loop tends to loop again. On a local server,
every retry asks for sampling that discourages repetition (`ANTI_REPETITION`), and
one after a runaway for at most `max_tokens` tokens. An answer longer than its output
schema fairly allows (`AnswerBudget`: short strings, collections, numbers) counts as a
runaway too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_ai.messages import ModelResponse, ModelResponsePart, TextPart, ToolCallPart
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from .answer_length import ShortAnswer
from .completer import OutputModeFailed

RUNAWAY_CHARS = 256  # a repeated unit covering this much of the end of the text
RUNAWAY_UNIT = 64  # longest unit looked for
RUNAWAY_REPEATS = 4  # fewest repeats that count
# A local server's retries: OpenAI's standard penalties (llama.cpp, vLLM and Ollama
# honour them), against a loop and the last rejected answer coming back, and a cooler
# temperature than servers' usual 0.8 (0.2 gave the same rejected image again, live).
ANTI_REPETITION: ModelSettings = {
    "frequency_penalty": 1.0,
    "presence_penalty": 0.5,
    "temperature": 0.5,
}
_FENCED = re.compile(r"^```[\w-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


class ShapeCheckedModel(WrapperModel):
    """`wrapped`, raising OutputModeFailed on a response in the wrong shape for `mode`.
    With `stream`, responses are streamed so a tool-mode answer in text stops at its
    first words (a model that cannot stream, like a test's FunctionModel: False)."""

    def __init__(
        self,
        wrapped: Model,
        mode: str,
        *,
        stream: bool,
        budget: AnswerBudget | None = None,
        calm_retries: bool = False,
    ):
        super().__init__(wrapped)
        self.mode = mode
        self.stream = stream
        self.budget = budget  # longer answers are runaways; the max_tokens after one
        # Retries with ANTI_REPETITION (and max_tokens after a runaway): for local
        # servers only, as hosted reasoning models refuse penalties and spend tokens
        # thinking.
        self.calm_retries = calm_retries
        self.answered = False  # an earlier answer of this run: the request is a retry
        self.ran_away = False  # an earlier answer of this run was cut short

    async def request(
        self,
        messages: list[Any],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        model_settings = self._settings_for_next(model_settings)
        if self.stream:
            response, cut_short = await self._streamed(
                messages, model_settings, model_request_parameters
            )
        else:
            response = await self.wrapped.request(
                messages, model_settings, model_request_parameters
            )
            cut_short = self._is_runaway(_answer_so_far(response.parts))
        cut_short = cut_short or response.finish_reason == "length"
        if cut_short:
            self.ran_away = True
            return retryable(response, self.budget)  # retried as invalid; the shape was right
        check_shape(self.mode, response.parts)
        return response

    def _settings_for_next(self, model_settings: ModelSettings | None) -> ModelSettings | None:
        """A retry's settings: a small model tends to give its last (rejected) answer
        again, loop included, unless repetition is penalised."""
        if not (self.calm_retries and self.answered):
            self.answered = True
            return model_settings
        calmer: ModelSettings = {**ANTI_REPETITION, **(model_settings or {})}
        if self.ran_away and self.budget is not None:
            calmer["max_tokens"] = self.budget.tokens
        return calmer

    async def _streamed(
        self,
        messages: list[Any],
        model_settings: ModelSettings | None,
        parameters: ModelRequestParameters,
    ) -> tuple[ModelResponse, bool]:
        """The streamed response, and whether it was cut short as a runaway."""
        async with self.wrapped.request_stream(messages, model_settings, parameters) as stream:
            async for _event in stream:
                parts = stream.get().parts
                if self.mode == "tool":
                    check_tool_call_started(parts)
                if self._is_runaway(_answer_so_far(parts)):
                    return stream.get(), True  # leaving the block closes the request
            return stream.get(), False

    def _is_runaway(self, answer: str) -> bool:
        """A loop (is_runaway), or an answer past the budget: a model looping with a
        twist (`-alpine3.9-py3.8.7-slim-alpine3.10-...`) that no exact repeat catches."""
        over_budget = self.budget is not None and len(answer) > self.budget.chars
        return over_budget or is_runaway(answer)


# Characters a fair answer takes, per field by JSON type, generously. A string may be
# a whole file's text, unless its type marks it short (clockwork.answer_length).
_CHARS_PER_FIELD = {"integer": 24, "number": 32, "boolean": 8, "null": 8}
_CHARS_PER_LONG_TEXT = 4000
_CHARS_PER_COLLECTION = 600  # an array, an object, a field of several types
_CHARS_AROUND = 40  # braces, indentation, a code fence
_CHARS_PER_TOKEN = 3  # fewer than JSON averages: a fair answer always fits


@dataclass(frozen=True)
class AnswerBudget:
    """How long a fair answer of an output type is at most: longer, it is a runaway."""

    chars: int

    @property
    def tokens(self) -> int:
        """The `max_tokens` of the requests after a runaway answer."""
        return self.chars // _CHARS_PER_TOKEN

    @classmethod
    def of(cls, output_type: type[BaseModel]) -> AnswerBudget:
        properties = output_type.model_json_schema().get("properties", {})
        fields = output_type.model_fields
        return cls(
            _CHARS_AROUND
            + sum(
                len(name) + 8 + _field_chars(schema, fields.get(name))
                for name, schema in properties.items()
            )
        )


def _field_chars(schema: dict[str, Any], info: FieldInfo | None) -> int:
    kind = schema.get("type")
    if kind == "string":
        marks = [m for m in (info.metadata if info else []) if isinstance(m, ShortAnswer)]
        return (marks[0].chars if marks else _CHARS_PER_LONG_TEXT) + 2
    return _CHARS_PER_FIELD.get(str(kind), _CHARS_PER_COLLECTION)


def check_shape(mode: str, parts: Sequence[ModelResponsePart]) -> None:
    if mode == "tool":
        if not any(isinstance(part, ToolCallPart) for part in parts):
            raise OutputModeFailed(_text_instead_of_tool(parts))
        return
    text = "".join(part.content for part in parts if isinstance(part, TextPart))
    if any(isinstance(part, ToolCallPart) for part in parts) and not text.strip():
        return  # a tool the user enabled (CW_COMPLETION_TOOLS): the answer comes later
    if not is_json_object(text):
        raise OutputModeFailed(f"the answer is not a JSON object: {_excerpt(text)}")


def check_tool_call_started(parts: Sequence[ModelResponsePart]) -> None:
    """While streaming in tool mode: text before any tool call is the wrong shape."""
    if any(isinstance(part, ToolCallPart) for part in parts):
        return
    if any(isinstance(part, TextPart) and part.content.strip() for part in parts):
        raise OutputModeFailed(_text_instead_of_tool(parts))


def is_runaway(text: str) -> bool:
    """Whether `text` ends in one unit (up to RUNAWAY_UNIT characters) repeated at least
    RUNAWAY_REPEATS times over at least RUNAWAY_CHARS characters: a model looping."""
    return _repeated_unit(text) is not None


def _repeated_unit(text: str) -> str | None:
    """The unit a runaway `text` ends in, repeated (see is_runaway); else None."""
    if len(text) < RUNAWAY_CHARS:
        return None
    tail = text[-RUNAWAY_CHARS:]
    for size in range(1, RUNAWAY_UNIT + 1):
        if RUNAWAY_CHARS // size < RUNAWAY_REPEATS:
            break
        unit = tail[-size:]
        # The tail is the unit over and over (its first, partial copy included).
        if all(tail[i] == unit[(i - RUNAWAY_CHARS) % size] for i in range(RUNAWAY_CHARS)):
            return unit
    return None


def drop_repeats(text: str) -> str:
    """`text` with the unit it ends in repeated kept once (a runaway's loop dropped)."""
    unit = _repeated_unit(text)
    if unit is None:
        return text
    end = len(text)
    while text.endswith(unit, 0, end - len(unit)):
        end -= len(unit)
    return text[:end]


def retryable(response: ModelResponse, budget: AnswerBudget | None = None) -> ModelResponse:
    """A cut-short `response` as the agent retries it: without its loop, no longer than
    the budget, and without finish reason `length`, on which PydanticAI gives up
    instead of retrying (the token limit is ours, set for a loop; a fair answer fits)."""
    limit = budget.chars if budget is not None else None
    parts: list[ModelResponsePart] = []
    for part in response.parts:
        if isinstance(part, TextPart):
            part = replace(part, content=drop_repeats(part.content)[:limit])
        elif isinstance(part, ToolCallPart):
            part = replace(part, args=drop_repeats(part.args_as_json_str())[:limit])
        parts.append(part)
    return replace(response, parts=parts, finish_reason=None)


def _answer_so_far(parts: Sequence[ModelResponsePart]) -> str:
    texts = [part.content for part in parts if isinstance(part, TextPart)]
    calls = [part.args_as_json_str() for part in parts if isinstance(part, ToolCallPart)]
    return "".join(texts + calls)


def is_json_object(text: str) -> bool:
    stripped = text.strip()
    fenced = _FENCED.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return isinstance(json.loads(stripped), dict)
    except ValueError:
        return False


def _text_instead_of_tool(parts: Sequence[ModelResponsePart]) -> str:
    text = "".join(part.content for part in parts if isinstance(part, TextPart))
    return f"the model answered in text, not with a tool call: {_excerpt(text)}"


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")
