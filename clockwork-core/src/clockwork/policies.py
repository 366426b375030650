"""Policies: rules that judge each resource once it is complete, before it compiles.

A value the AI chose is untrusted input (a model can be wrong, or steered by what it
reads), so every plugin may register named rules (`register_policies`) that look at a
completed resource, with `ai_filled_fields` telling who chose each value, and refuse
it or warn. Core ships its own rules through the same hook.

The pipeline runs the policies in one place, right after completion, whatever the
values came from (the model, the cache, a lock file), and before anything is stored
or compiled. A refusal is a PolicyRefused (exit 2): one line naming the rule, the
resource and the field. `CW_POLICIES_OFF` switches rules off by name.

This module stays light (no pydantic): plugin modules import it inside their hooks.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ClockworkError, PluginError, UsageError

if TYPE_CHECKING:
    from .plugins import Registry
    from .resource import Resource
    from .settings import Settings

logger = logging.getLogger("clockwork.policies")


@dataclass(frozen=True)
class Finding:
    """What a policy found wrong with one field: refused, or (`warn=True`) only warned."""

    field: str
    message: str
    warn: bool = False


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may read besides the resource: the run's settings and project."""

    settings: Settings
    project_dir: Path


Check = Callable[["Resource", PolicyContext], Iterable[Finding]]


@dataclass(frozen=True)
class Policy:
    """A rule: `check(resource, context)` returns a Finding per problem (none: fine).

    Registered under a dotted name (`register("files.mode", Policy(...))`), which is
    what refusals, `plan` and `CW_POLICIES_OFF` call it."""

    description: str
    check: Check


class PolicyRefused(UsageError):
    """A policy refused a value: names the rule, the resource and the field."""

    def __init__(self, refusals: list[tuple[str, Resource, Finding]]):
        self.refusals = refusals
        rule, resource, finding = refusals[0]
        others = [
            f"{name} ({other.display_name!r}, {found.field!r})"
            for name, other, found in refusals[1:]
        ]
        more = f" (also refused by {', '.join(others)})" if others else ""
        super().__init__(
            f"policy {rule} refused {resource.type_name()} {resource.display_name!r}, "
            f"field {finding.field!r}: {finding.message}{more}"
        )


@dataclass
class PolicyRun:
    """Which rules ran, which were switched off, and what they warned about."""

    ran: list[str] = field(default_factory=list)
    off: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ran": self.ran, "off": self.off, "warnings": self.warnings}


def active_policies(registry: Registry, settings: Settings) -> tuple[dict[str, Policy], list[str]]:
    """The registered policies that are on, and the names switched off. A name in
    CW_POLICIES_OFF that no plugin registers is a usage error (a typo would leave the
    rule on without a word)."""
    # In registration order: core's first, then each plugin's, as each declares them.
    registered = {name: entry.value for name, entry in registry.policies.items()}
    off = list(dict.fromkeys(settings.policies_off))
    unknown = [name for name in off if name not in registered]
    if unknown:
        known = ", ".join(registered) or "none"
        raise UsageError(
            f"invalid setting CW_POLICIES_OFF: no policy named {', '.join(unknown)} "
            f"(registered: {known})"
        )
    on = {name: policy for name, policy in registered.items() if name not in off}
    return on, off


def enforce_policies(
    resources: Iterable[Resource], settings: Settings, registry: Registry, project_dir: Path
) -> PolicyRun:
    """Run every active policy on every resource; raise PolicyRefused when any
    refuses; log each warning."""
    on, off = active_policies(registry, settings)
    context = PolicyContext(settings, project_dir)
    run = PolicyRun(ran=list(on), off=off)
    refusals: list[tuple[str, Resource, Finding]] = []
    for resource in resources:
        for name, policy in on.items():
            for finding in _findings(name, policy, resource, context):
                if finding.warn:
                    run.warnings.append(_warning_line(name, resource, finding))
                else:
                    refusals.append((name, resource, finding))
    for line in run.warnings:
        logger.warning("warning: %s", line)
    if refusals:
        raise PolicyRefused(refusals)
    return run


def _findings(
    name: str, policy: Policy, resource: Resource, context: PolicyContext
) -> list[Finding]:
    """What one rule finds on one resource; a rule that breaks is its plugin's error,
    named, never a traceback (and never a silent pass)."""
    try:
        return list(policy.check(resource, context))
    except ClockworkError:
        raise
    except Exception as error:
        raise PluginError(
            f"policy {name} failed on {resource.type_name()} {resource.display_name!r}: "
            f"{type(error).__name__}: {error}"
        ) from error


def _warning_line(rule: str, resource: Resource, finding: Finding) -> str:
    label = f"{resource.type_name()} {resource.display_name!r}"
    return f"policy {rule}: {label}, field {finding.field!r}: {finding.message}"


def refused_by_ai(field_name: str, message: str) -> Finding:
    """A refusal of an AI-chosen value, saying what the user can do about it."""
    return Finding(field_name, f"{message}; set {field_name} yourself")


# ----- core's own rule ------------------------------------------------------------------

ALLOWED_CONTROLS = frozenset("\n\r\t")


def control_characters_in(value: Any) -> str | None:
    """The first terminal control character anywhere in `value` (strings in lists and
    mappings too), escaped for printing; None when there is none."""
    if isinstance(value, str):
        for char in value:
            if char not in ALLOWED_CONTROLS and unicodedata.category(char) in ("Cc", "Cf"):
                return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        return None
    if isinstance(value, Mapping):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return None
    for item in items:
        found = control_characters_in(item)
        if found is not None:
            return found
    return None


def check_control_characters(resource: Resource, context: PolicyContext) -> list[Finding]:
    """An AI-chosen value never carries terminal control codes (escape sequences that
    clear a screen or write a clipboard, bidi overrides that hide text)."""
    findings = []
    for name in sorted(resource.ai_filled_fields):
        found = control_characters_in(getattr(resource, name, None))
        if found is not None:
            findings.append(refused_by_ai(name, f"the AI's value holds the control code {found}"))
    return findings


CONTROL_CHARACTERS = Policy(
    "AI-chosen values hold no terminal control characters", check_control_characters
)
