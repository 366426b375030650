"""ShortAnswer(pattern=...): the shape an AI value must have, in the completion's
schema and checked on the answer; the resource's own fields are not held to it."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, ValidationError

from clockwork import Resource
from clockwork.answer_length import ShortAnswer
from clockwork.filling import output_model_for


class Thing(Resource):
    code: Annotated[
        str | None, ShortAnswer(8, r"^[a-z]{1,3}-[0-9]{1,4}$", "a code like 'ab-12'")
    ] = Field(None, description="The thing's code.")
    note: Annotated[str | None, ShortAnswer(20)] = None


def test_the_pattern_is_in_the_schema_the_model_gets():
    schema = output_model_for(Thing(name="t")).model_json_schema()["properties"]
    assert schema["code"]["pattern"] == r"^[a-z]{1,3}-[0-9]{1,4}$"
    assert schema["code"]["description"] == "The thing's code."
    assert "pattern" not in schema["note"]  # no shape: only the length cut-off reads it


def test_an_answer_of_another_shape_is_refused_in_words():
    completion = output_model_for(Thing(name="t"))
    assert completion(code="ab-12", note="x").code == "ab-12"
    with pytest.raises(ValidationError, match=r"'AB-12345' is not a code like 'ab-12'"):
        completion(code="AB-12345", note="x")


def test_the_users_value_is_not_held_to_the_ai_shape():
    assert Thing(name="t", code="WHATEVER THE USER WANTS").code == "WHATEVER THE USER WANTS"


def test_a_pattern_must_be_anchored():
    with pytest.raises(ValueError, match="must start"):
        ShortAnswer(8, "[a-z]+")
