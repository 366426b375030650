"""Completion by a real model on an OpenAI-compatible server, only when asked for:

    CW_LIVE_BASE_URL=$(../shared/live-model.sh) CW_LIVE_MODEL=qwen.gguf \
        uv run pytest -m live clockwork-core/tests/test_completion_live.py

(CW_LIVE_API_KEY if the server wants one.) Output mode `auto`, the default, as a user
gets it. Every example in examples/ with open fields must complete: load, complete,
compile and evaluate under Pulumi's mock runtime (what `clockwork plan` checks), never
deploy. Not run in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pydantic_ai.models
import pytest
from pydantic import Field

from clockwork import Resource, pipeline
from clockwork.completion import complete_project
from clockwork.completion_testing import project_of
from clockwork.settings import Settings
from clockwork.testing import plugin_host

# Read now: the clean_env fixture removes every CW_* variable before a test runs.
LIVE_BASE_URL = os.environ.get("CW_LIVE_BASE_URL")
LIVE_MODEL = os.environ.get("CW_LIVE_MODEL")
LIVE_API_KEY = os.environ.get("CW_LIVE_API_KEY")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAINS = sorted(EXAMPLES.glob("*/main.py"))

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_BASE_URL, reason="CW_LIVE_BASE_URL is not set"),
]


class Service(Resource):
    """A service running in a container."""

    image: str | None = Field(None, description="Docker image with a tag, e.g. redis:7.")
    port: int | None = Field(None, ge=1, le=65535, description="Port the service listens on.")


@pytest.fixture(autouse=True)
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)


def live_settings(tmp_path: Path) -> Settings:
    chosen = {"model": LIVE_MODEL} if LIVE_MODEL else {}
    return Settings(
        base_url=LIVE_BASE_URL,
        api_key=LIVE_API_KEY,
        output_mode="auto",
        cache_dir=tmp_path / "cache",
        completion_timeout=300,
        _env_file=None,
        **chosen,
    )


def declare() -> Service:
    db = Service(name="db", description="PostgreSQL database of a small web shop")
    return Service(name="cache", description="Redis cache in front of the database").connect(db)


def test_a_small_project_is_completed_by_a_real_model(tmp_path, clean_env):
    settings = live_settings(tmp_path)
    front = declare()

    with plugin_host():  # core's own pydantic-ai completer, nothing else
        report = complete_project(project_of(tmp_path, front), settings)
        again = complete_project(project_of(tmp_path, declare()), settings)

    db = front.connected[0]
    for service in (db, front):
        assert isinstance(service.image, str) and service.image
        assert 1 <= (service.port or 0) <= 65535
        assert service.ai_filled_fields == {"image", "port"}
    assert report.model_calls >= 2
    assert again.model_calls == 0 and again.cache_hits == 2
    assert report.output_mode["remembered"] in ("tool", "native", "prompted")


@pytest.fixture
def installed_plugins(no_pulumi_cli: Path) -> Iterator[None]:
    """The installed plugins, as a user has them; no Pulumi CLI (nothing is previewed)."""
    with plugin_host(entry_points=True):
        yield


@pytest.mark.parametrize("main", MAINS, ids=[main.parent.name for main in MAINS])
def test_every_example_with_open_fields_completes_and_plans(
    main: Path, tmp_path: Path, clean_env: pytest.MonkeyPatch, installed_plugins: None
) -> None:
    # A copy: what the run writes (cache, remembered mode) stays out of the repository.
    copy = tmp_path / main.parent.name
    shutil.copytree(main.parent, copy, ignore=shutil.ignore_patterns(".clockwork", "__pycache__"))
    if not any(r.needs_completion() for r in pipeline.load(copy / "main.py").resources):
        pytest.skip(f"{main.parent.name} has no open fields")
    settings = live_settings(tmp_path)

    result, _program, _settings = pipeline.evaluated(
        copy / "main.py", pipeline.RunOptions(use_cache=False), settings
    )

    open_fields = {r.name: r.fields_to_complete() for r in result.project.resources}
    assert not any(open_fields.values()), open_fields
    assert result.registered, "the completed project registers no Pulumi resource"
    assert result.completion.model_calls >= 1
