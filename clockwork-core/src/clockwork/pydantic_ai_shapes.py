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
like any invalid answer (the mode is not blamed: the shape was right).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic_ai.messages import ModelResponse, ModelResponsePart, TextPart, ToolCallPart
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from .completer import OutputModeFailed

RUNAWAY_CHARS = 256  # a repeated unit covering this much of the end of the text
RUNAWAY_UNIT = 64  # longest unit looked for
RUNAWAY_REPEATS = 4  # fewest repeats that count
_FENCED = re.compile(r"^```[\w-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


class ShapeCheckedModel(WrapperModel):
    """`wrapped`, raising OutputModeFailed on a response in the wrong shape for `mode`.
    With `stream`, responses are streamed so a tool-mode answer in text stops at its
    first words (a model that cannot stream, like a test's FunctionModel: False)."""

    def __init__(self, wrapped: Model, mode: str, *, stream: bool):
        super().__init__(wrapped)
        self.mode = mode
        self.stream = stream

    async def request(
        self,
        messages: list[Any],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        if self.stream:
            response, cut_short = await self._streamed(
                messages, model_settings, model_request_parameters
            )
            if cut_short:
                return response  # retried as invalid; the shape was right
        else:
            response = await self.wrapped.request(
                messages, model_settings, model_request_parameters
            )
        check_shape(self.mode, response.parts)
        return response

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
                if is_runaway(_answer_so_far(parts)):
                    return stream.get(), True  # leaving the block closes the request
            return stream.get(), False


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
    if len(text) < RUNAWAY_CHARS:
        return False
    tail = text[-RUNAWAY_CHARS:]
    for size in range(1, RUNAWAY_UNIT + 1):
        if RUNAWAY_CHARS // size < RUNAWAY_REPEATS:
            break
        unit = tail[-size:]
        # The tail is the unit over and over (its first, partial copy included).
        if all(tail[i] == unit[(i - RUNAWAY_CHARS) % size] for i in range(RUNAWAY_CHARS)):
            return True
    return False


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
