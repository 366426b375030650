"""The sample plugin's policy: the AI may not make a thing bigger than MAX_AI_SIZE.

A policy judges each completed resource; `ai_filled_fields` says which values the AI
chose, and a value the user set is the user's call.
"""

from __future__ import annotations

from clockwork.policies import Finding, Policy, PolicyContext
from clockwork.resource import Resource

from .resources import SampleResource

MAX_AI_SIZE = 10


def check_thing_size(resource: Resource, context: PolicyContext) -> list[Finding]:
    if not isinstance(resource, SampleResource) or "size" not in resource.ai_filled_fields:
        return []
    if resource.size is not None and resource.size > MAX_AI_SIZE:
        return [Finding("size", f"the AI chose {resource.size}, above {MAX_AI_SIZE}; set size")]
    return []


THING_SIZE = Policy(f"AI-chosen thing sizes are at most {MAX_AI_SIZE}", check_thing_size)
