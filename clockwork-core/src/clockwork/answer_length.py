"""`ShortAnswer`: how long the AI's value for a string field fairly is, at most.

A small model sometimes loops inside a string (`postgres:16-alpine3.9-py3.8.7-slim-
alpine3.10-...`) until the timeout. Clockwork cuts an answer off once it is longer
than its fields can fairly be (clockwork.pydantic_ai_shapes.AnswerBudget); a string
field may be a whole file's text, unless its type marks it short:

    name: Annotated[str | None, ShortAnswer(64)] = Field(None, description=...)

Only the cut-off reads it: it is no validation rule and not in the JSON schema the
model gets (a `max_length` there makes a server's JSON grammar pad the string to its
length, slowly: seen live with a 0.5B model and `max_length=255`). Light module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShortAnswer:
    chars: int
