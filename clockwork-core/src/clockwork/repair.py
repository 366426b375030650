"""The pieces of `clockwork apply --repair N` (the loop itself is `pipeline.repair`).

After a deploy the assertions run. A failure on a resource with AI-filled fields is
the AI's to repair: that resource is asked again, with its previous values and the
failures in its prompt (`reask`, keyed by `declared_key`, which an AI-chosen name
cannot change). A failure on a resource the user specified fully is the user's to
fix: no model call can change a value the user set, so it is reported, never asked.
Each round records what the AI changed, field by field, and what the checks said.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .checks import AssertReport, CheckOutcome
from .resource import Resource

if TYPE_CHECKING:
    from .pipeline import ApplyResult


@dataclass(frozen=True)
class FieldChange:
    """One AI-filled value that a round changed (as shown: secrets masked)."""

    resource: str
    field: str
    old: Any
    new: Any


@dataclass
class RepairRound:
    number: int  # 1: the first deploy; 2..N+1: the repairs
    reasked: list[str]  # names of the resources asked again before this deploy
    changes: list[FieldChange]
    checks: AssertReport
    deployed: str = ""  # the engine's summary of this round's deploy

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "reasked": self.reasked,
            "deployed": self.deployed,
            "changes": [{**asdict(change), "ai_filled": True} for change in self.changes],
            "assertions": self.checks.to_dict(),
        }


@dataclass
class Failures:
    """A round's failed checks, split by whose they are to fix."""

    reask: dict[str, list[str]] = field(default_factory=dict)  # declared_key -> prompt lines
    ai: list[CheckOutcome] = field(default_factory=list)
    users: list[CheckOutcome] = field(default_factory=list)  # nothing there was AI-filled


@dataclass
class RepairResult:
    rounds: list[RepairRound]
    applied: ApplyResult  # the last round's deploy
    failures: Failures = field(default_factory=Failures)

    @property
    def declined(self) -> bool:
        return self.applied.engine is None

    @property
    def interrupted(self) -> bool:
        return bool(self.rounds) and self.rounds[-1].checks.interrupted

    @property
    def success(self) -> bool:
        return not self.declined and bool(self.rounds) and self.rounds[-1].checks.success

    def failure_message(self) -> str:
        """One line naming what still fails, and which of it is the user's to fix."""
        parts = []
        if self.failures.ai:
            parts.append(
                f"still failing after {len(self.rounds) - 1} repair round(s): "
                + "; ".join(_outcome_line(outcome) for outcome in self.failures.ai)
            )
        if self.failures.users:
            parts.append(
                "yours to fix (no AI-filled fields, so never asked again): "
                + "; ".join(_outcome_line(outcome) for outcome in self.failures.users)
            )
        return " | ".join(parts) or "the assertions did not pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "rounds": [each.to_dict() for each in self.rounds],
            "still_failing": [asdict(outcome) for outcome in self.failures.ai],
            "users_to_fix": [asdict(outcome) for outcome in self.failures.users],
        }


# ----- helpers of the loop ----------------------------------------------------------------

# declared_key -> (name, field -> (value, value as shown))
AiValues = dict[str, tuple[str, dict[str, tuple[Any, Any]]]]


def ai_values(resources: Iterable[Resource]) -> AiValues:
    """What the AI chose for each resource, to compare one round with the next."""
    values: AiValues = {}
    for resource in resources:
        filled = set(resource.ai_filled_fields)
        raw = resource.model_dump(mode="json", include=filled)
        shown = resource.shown_fields()
        values[resource.declared_key] = (
            resource.display_name,
            {name: (raw.get(name), shown.get(name)) for name in sorted(filled)},
        )
    return values


def field_changes(before: AiValues, after: AiValues) -> list[FieldChange]:
    """The AI-filled values that differ from the last round (all of them in round 1)."""
    changes = []
    for key, (name, fields) in after.items():
        old_fields = before.get(key, (name, {}))[1]
        for field_name in sorted(set(fields) | set(old_fields)):
            old_raw, old_shown = old_fields.get(field_name, (None, None))
            new_raw, new_shown = fields.get(field_name, (None, None))
            if old_raw != new_raw:
                changes.append(FieldChange(name, field_name, old_shown, new_shown))
    return changes


def split_failures(resources: Iterable[Resource], checks: AssertReport) -> Failures:
    """Whose each failed check is to fix; what to tell the model for the AI's ones."""
    by_name = {resource.display_name: resource for resource in resources}
    failures = Failures()
    for outcome in checks.details:
        if outcome.passed:
            continue
        resource = by_name.get(outcome.resource)
        if resource is None or not resource.ai_filled_fields:
            failures.users.append(outcome)
            continue
        failures.ai.append(outcome)
        if resource.declared_key not in failures.reask:
            failures.reask[resource.declared_key] = [_previous_values_line(resource)]
        failures.reask[resource.declared_key].append(f"{outcome.assertion}: {outcome.message}")
    return failures


def _previous_values_line(resource: Resource) -> str:
    # As the model may read them: secret values stay masked.
    chosen = resource.for_model(include=set(resource.ai_filled_fields))
    return f"you chose {json.dumps(chosen, sort_keys=True, ensure_ascii=False)}"


def _outcome_line(outcome: CheckOutcome) -> str:
    return f"{outcome.resource}: {outcome.assertion}: {outcome.message}"
