"""Completion by a real model on an OpenAI-compatible server, only when asked for:

    CW_LIVE_BASE_URL=http://localhost:11434/v1 CW_LIVE_MODEL=qwen2.5:1.5b \
        uv run pytest clockwork-core/tests/test_completion_live.py

(CW_LIVE_API_KEY if the server wants one.) Native structured output: what small local
models handle best.
"""

from __future__ import annotations

import os

import pydantic_ai.models
import pytest
from pydantic import Field

from clockwork import Resource
from clockwork.completion import complete_project
from clockwork.completion_testing import project_of
from clockwork.settings import Settings
from clockwork.testing import plugin_host

# Read now: the clean_env fixture removes every CW_* variable before a test runs.
LIVE_BASE_URL = os.environ.get("CW_LIVE_BASE_URL")
LIVE_MODEL = os.environ.get("CW_LIVE_MODEL")
LIVE_API_KEY = os.environ.get("CW_LIVE_API_KEY")

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


def live_settings(tmp_path) -> Settings:
    chosen = {"model": LIVE_MODEL} if LIVE_MODEL else {}
    return Settings(
        base_url=LIVE_BASE_URL,
        api_key=LIVE_API_KEY,
        output_mode="native",
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
