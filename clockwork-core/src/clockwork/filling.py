"""Setting a model's values on a resource: only the fields it still needs, every value
validated by the resource itself, and all of it undone when any of it fails.

The output type a model is asked for (`output_model_for`) holds ONLY the missing
completable fields, each required and non-None, with its constraints and description.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .answer_length import ShortAnswer
from .errors import ClockworkError, describe_validation_error
from .resource import MODEL_SECRET, Resource


class OutputRejected(Exception):
    """Proposed values failed validation or a safety rule. The message is written for
    the model, which gets it as a retry."""


def label_of(resource: Resource) -> str:
    return f"{resource.type_name()} {resource.display_name!r}"


# ----- what the model is asked for -------------------------------------------------------


def output_model_for(resource: Resource) -> type[BaseModel]:
    """A pydantic model of ONLY the fields `resource` still needs, each required and
    non-None, keeping the field's constraints and description."""
    model_fields = type(resource).model_fields
    definitions: dict[str, Any] = {
        name: _required_field(model_fields[name]) for name in resource.fields_to_complete()
    }
    model_name = re.sub(r"\W", "_", resource.type_name()) + "Completion"
    return create_model(
        model_name,
        __doc__=f"Values for the empty fields of {label_of(resource)}.",
        # Keys the model adds (a user-set field, say) are dropped, never applied.
        __config__=ConfigDict(extra="ignore"),
        **definitions,
    )


def _required_field(info: FieldInfo) -> tuple[Any, Any]:
    annotation = _without_none(info.annotation)
    shapes = [m for m in info.metadata if isinstance(m, ShortAnswer) and m.pattern]
    # The AI's value must have the shape (checked here, with words the model can act
    # on), and the schema carries the pattern for servers that generate by grammar.
    metadata = [
        *info.metadata,
        *(AfterValidator(shape.check) for shape in shapes),
        *(_PatternInSchema(shape.pattern) for shape in shapes if shape.pattern),
    ]
    if metadata:  # constraints such as ge=1 or max_length live here
        annotation = Annotated[(annotation, *metadata)]
    return annotation, Field(
        description=info.description,
        title=info.title,
        examples=info.examples,
        json_schema_extra=info.json_schema_extra,
        discriminator=info.discriminator,
    )


@dataclass(frozen=True)
class _PatternInSchema:
    """Puts `pattern` into the field's JSON schema, leaving validation to the shape's
    own check (whose error the model can act on, unlike a regex mismatch)."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = tuple(a for a in typing.get_args(annotation) if a is not type(None))
        return members[0] if len(members) == 1 else typing.Union[members]  # noqa: UP007
    return annotation


def values_of(output: BaseModel) -> dict[str, Any]:
    """The fields of a model's output, as Python values (not a JSON round trip)."""
    return {name: getattr(output, name) for name in type(output).model_fields}


# ----- applying values --------------------------------------------------------------------


def apply_completion(resource: Resource, values: Mapping[str, Any]) -> list[str]:
    """Set the proposed values of fields `resource` still needs; return those set.

    User-set fields are never written, whatever `values` holds. Each value is set with
    setattr (the resource validates it), marked AI-filled, then `check_completed()`
    runs. On any failure the resource is restored exactly and OutputRejected says why.
    """
    return list(apply_reversibly(resource, values))


def apply_reversibly(resource: Resource, values: Mapping[str, Any]) -> dict[str, FieldState]:
    """`apply_completion`, returning what each set field held before (to undo it)."""
    wanted = resource.fields_to_complete()
    fixed = resource.user_set_fields()
    chosen = {name: value for name, value in values.items() if name in wanted and name not in fixed}
    before = snapshot(resource, chosen)
    try:
        _refuse_copied_placeholders(chosen)
        for name, value in chosen.items():
            # Marked first: check_completed() reads the provenance, and user_set_fields()
            # must never count an AI value as the user's.
            resource.mark_ai_filled(name)
            setattr(resource, name, value)
        _require_complete(resource)
        resource.check_completed()
    except ValidationError as error:
        restore(resource, before)
        # The model reads this as a retry: what it sent, and why it was refused.
        raise OutputRejected(describe_validation_error(error, with_input=True)) from None
    except OutputRejected:
        restore(resource, before)
        raise
    except (ClockworkError, ValueError) as error:
        restore(resource, before)
        raise OutputRejected(str(error)) from None
    return before


@dataclass(frozen=True)
class FieldState:
    value: Any
    was_set: bool


def snapshot(resource: Resource, names: Mapping[str, Any]) -> dict[str, FieldState]:
    fields_set = resource.model_fields_set
    return {name: FieldState(getattr(resource, name), name in fields_set) for name in names}


def restore(resource: Resource, before: dict[str, FieldState]) -> None:
    for name, state in before.items():
        resource.unmark_ai_filled(name)
        # Through validation like any assignment: the old value was valid when the
        # resource was built, so it is again (validators are pure functions of it).
        setattr(resource, name, state.value)
        if not state.was_set:
            resource.model_fields_set.discard(name)  # the live set, not a copy


def _refuse_copied_placeholders(chosen: Mapping[str, Any]) -> None:
    """The model reads every secret as `<secret>`; a value that repeats the marker
    would deploy the placeholder itself (a password `<secret>`). Sent back as a retry."""
    copied = sorted(
        name for name, value in chosen.items() if MODEL_SECRET in json.dumps(value, default=str)
    )
    if copied:
        raise OutputRejected(
            f"{', '.join(copied)}: {MODEL_SECRET} stands for a value you cannot see; "
            "never copy it: leave that key out"
        )


def _require_complete(resource: Resource) -> None:
    missing = resource.fields_to_complete()
    if missing:
        raise OutputRejected(f"no value for {', '.join(missing)}: give a value for each")
