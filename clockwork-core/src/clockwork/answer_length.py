"""`ShortAnswer`: how long the AI's value for a string field fairly is, at most, and
optionally the shape it must have.

A small model sometimes loops inside a string (`postgres:16-alpine3.9-py3.8.7-slim-
alpine3.10-...`) until the timeout. Clockwork cuts an answer off once it is longer
than its fields can fairly be (clockwork.pydantic_ai_shapes.AnswerBudget); a string
field may be a whole file's text, unless its type marks it short:

    name: Annotated[str | None, ShortAnswer(64)] = Field(None, description=...)

`chars` is read by the cut-off only: it is no validation rule and not in the JSON
schema the model gets (a `max_length` there makes a server's JSON grammar pad the
string to its length, slowly: seen live with a 0.5B model and `max_length=255`; and
OpenAI's strict mode drops it).

`pattern` is the shape of a value the AI may choose: stricter than the field's own
validation (the user's values are not held to it), with bounded repetitions, so it
bounds the length too. It goes into the JSON schema of the completion (strict mode
keeps a pattern), where a server that turns the schema into a grammar (llama.cpp)
cannot generate anything else: no loop runs past it. Answers are checked against
it as well, since other servers only read it; `shape` says in words, for the
model's retry, what was expected. Light module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ShortAnswer:
    chars: int
    pattern: str | None = None  # a full match; plain groups only, for grammar converters
    shape: str = ""  # e.g. "a name like 'orders-db'"

    def __post_init__(self) -> None:
        if self.pattern is not None and not (
            self.pattern.startswith("^") and self.pattern.endswith("$")
        ):
            raise ValueError(f"ShortAnswer pattern {self.pattern!r} must start ^ and end $")

    def check(self, value: str) -> str:
        """`value` if it has the shape; else ValueError saying what was expected."""
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            expected = self.shape or f"a value matching {self.pattern}"
            raise ValueError(f"{value!r} is not {expected}")
        return value
