"""Completion asked again (`reask`, for `apply --repair`): the failures go into the
prompt, no stored answer is reused for that resource, and its new answer replaces the
one that failed in the cache, so a plain run afterwards reuses it with no model call.

The real PydanticAI agent runs against a scripted FunctionModel; nothing leaves the
process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from clockwork import Resource
from clockwork.completion import complete_project
from clockwork.completion_testing import (
    ScriptedModel,
    completion_of,
    project_of,
    scripted_completer,
)
from clockwork.prompts import DEFAULT_TEMPLATE, build_prompt_context
from clockwork.settings import Settings

FAILURE = "HealthcheckAssert(url='http://127.0.0.1:8080/'): expected status 200, got no answer"


class Server(Resource):
    """A web server."""

    image: str | None = Field(None, description="Container image, with a tag.")
    port: int | None = Field(None, ge=1, le=65535)


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return Settings(api_key="sk-test", cache_dir=tmp_path / "cache", _env_file=None)


def declared() -> tuple[Server, Server]:
    """Fresh resources, as each load of main.py gives."""
    web = Server(name="web", description="serves the site", port=80)
    other = Server(name="other", description="serves the docs", port=81)
    return web, other


def complete(tmp_path: Path, settings: Settings, model: ScriptedModel, **options):
    web, other = declared()
    project = project_of(tmp_path, web, other)
    return complete_project(
        project, settings, completer=scripted_completer(settings, model), **options
    )


def answers(model: ScriptedModel) -> object:
    def answer(name: str | None, attempt: int) -> dict[str, str]:
        told = "expected status 200" in model.calls[-1].prompt
        return {"image": "caddy:2" if told else "silent:1"}

    return answer


def test_a_reasked_resource_is_asked_with_its_failures_and_its_answer_replaces_the_cached(
    tmp_path: Path, settings: Settings
) -> None:
    model = ScriptedModel({})
    model.answers = {"web": answers(model), "other": answers(model)}
    complete(tmp_path, settings, model)
    assert [call.resource for call in model.calls] == ["web", "other"]

    web_key = "Server:web"
    report = complete(tmp_path, settings, model, reask={web_key: ["you chose x", FAILURE]})

    assert completion_of(report, "web").status == "completed"
    assert completion_of(report, "web").filled == {"image": "caddy:2"}
    assert completion_of(report, "other").status == "cached"  # not asked again
    reasked = model.calls[-1]
    assert reasked.resource == "web" and len(model.calls) == 3
    assert (
        "Your previous choice failed these checks; choose values that make them pass:\n"
        f"- you chose x\n- {FAILURE}"
    ) in reasked.prompt
    assert reasked.request is not None and reasked.request.context.user_fields == {
        "name": "web",
        "description": "serves the site",
        "port": 80,
    }

    plain = complete(tmp_path, settings, model)  # no --repair: the repaired value, cached
    assert completion_of(plain, "web").status == "cached"
    assert completion_of(plain, "web").resource.image == "caddy:2"
    assert len(model.calls) == 3


def test_a_plain_request_keeps_its_cache_key_and_a_reask_differs_only_in_the_prompt() -> None:
    web, _ = declared()
    plain = build_prompt_context(web)
    asked = build_prompt_context(web, [FAILURE])
    assert "previous_failures" not in plain.as_dict()  # caches from before stay valid
    assert asked.as_dict()["previous_failures"] == [FAILURE]
    assert asked.without_failures() == plain


def test_a_sibling_it_connects_to_is_shown_once_under_its_connections() -> None:
    """A small model reads the prompt slowly: a peer the resource connects to is in the
    connections, complete, and not again among the parent's other children."""
    from clockwork import BlankResource

    db = BlankResource(name="db", description="the database")
    notes = BlankResource(name="notes", description="unconnected")
    api = BlankResource(name="api", description="the API").connect(db)
    BlankResource(name="shop", description="the shop").add(db, notes, api)

    context = build_prompt_context(api)

    assert [peer["name"] for peer in context.connections] == ["db"]
    assert [sibling["name"] for sibling in context.siblings] == ["notes"]
    rendered = DEFAULT_TEMPLATE.render(context)
    assert rendered.count('"the database"') == 1
    # One line per item, not an indented dump.
    assert '\n- {"description": "unconnected", "name": "notes"' in rendered
