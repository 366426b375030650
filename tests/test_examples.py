"""Every example in examples/ loads, and a fully specified one plans in-process.

Plugins come from the installed entry points, as for a user. The Pulumi CLI is hidden
(PATH and CW_HOME point at empty folders) so a plan never previews against, or writes,
state inside the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork import hookimpl, pipeline
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.testing import plugin_host

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAINS = sorted(EXAMPLES.glob("*/main.py"))


class ShopCompleter:
    """Stands in for the model on examples/ai-webapp: answers by the resource's role
    and records each prompt, so the test sees what the model would have been told."""

    prompts: dict[str, str] = {}
    ANSWERS = {
        "PostgreSQL": {"name": "db", "image": "postgres:16-alpine"},
        "Redis": {"name": "cache", "image": "redis:7-alpine"},
        "HTTP API": {
            "image": "nginx:1.27-alpine",
            "env_vars": {
                "DATABASE_URL": "postgresql://postgres:shop-dev-only@db:5432/shop",
                "REDIS_URL": "redis://cache:6379/0",
            },
        },
    }

    def __init__(self, settings: Any):
        pass

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        role = next(r for r in self.ANSWERS if r in (request.resource.description or ""))
        ShopCompleter.prompts[role] = request.prompt
        wanted = request.output_type.model_fields
        return CompletionOutcome(
            {k: v for k, v in self.ANSWERS[role].items() if k in wanted}, model_calls=1
        )


class ShopCompleterPlugin:
    @hookimpl
    def register_completers(self, register):
        register("shop", ShopCompleter)


@pytest.fixture(autouse=True)
def isolated(no_pulumi_cli: Path) -> Iterator[None]:
    """Installed plugins, no Pulumi CLI (no state is previewed or written in the repo)."""
    with plugin_host(ShopCompleterPlugin(), entry_points=True):
        yield


def test_there_are_examples() -> None:
    assert MAINS, f"no examples/*/main.py under {EXAMPLES}"


@pytest.mark.parametrize("main", MAINS, ids=[m.parent.name for m in MAINS])
def test_example_loads_and_plans(main: Path) -> None:
    before = sorted(
        p.relative_to(main.parent) for p in main.parent.rglob("*") if "__pycache__" not in p.parts
    )
    project = pipeline.load(main)
    assert project.resources, f"{main} declares no resources"

    if any(resource.needs_completion() for resource in project.resources):
        return  # planning it would need a model: loading is what can be checked here
    result = pipeline.plan(main)
    assert len(result.registered) >= 1
    assert result.preview is None and result.preview_skipped is not None
    json.dumps(result.to_dict())
    after = sorted(
        p.relative_to(main.parent) for p in main.parent.rglob("*") if "__pycache__" not in p.parts
    )
    assert after == before  # planning an example leaves its folder as it was


def test_the_ai_example_plans_with_what_the_model_filled(
    no_pulumi_cli: Path, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("CW_COMPLETER", "shop")
    clean_env.setenv("CW_CACHE_DIR", str(tmp_path / "cache"))  # not inside the repo
    ShopCompleter.prompts = {}

    result = pipeline.plan(EXAMPLES / "ai-webapp" / "main.py")

    filled = {r.name: sorted(r.ai_filled_fields) for r in result.project.resources}
    assert filled == {
        "shop": [],
        "db": ["image", "name"],
        "cache": ["image", "name"],
        "api": ["env_vars", "image"],
    }
    # The API was completed after the database, seeing its completed image and name.
    assert "postgres:16-alpine" in ShopCompleter.prompts["HTTP API"]
    assert {r.name for r in result.registered} >= {"db", "cache", "api", "shop"}
    again = pipeline.plan(EXAMPLES / "ai-webapp" / "main.py")
    assert again.completion.model_calls == 0  # unchanged main.py: all from the cache
