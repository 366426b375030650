"""Completing containers with a model that clashes: the examples' failure on a small
local model (two volumes on one path, every attempt) no longer fails the project.

The model is core's ScriptedModel (a PydanticAI FunctionModel) behind the real agent."""

from __future__ import annotations

import re

import pydantic_ai.models
import pytest

from clockwork import BlankResource
from clockwork.completion import CompletionError, complete_project
from clockwork.completion_testing import ScriptedModel, project_of, scripted_completer
from clockwork.settings import Settings
from clockwork_docker import DockerResource

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

CLASHING_VOLUMES = ["pgdata:/var/lib/postgresql/data", "data:/var/lib/postgresql/data"]


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch) -> Settings:
    return Settings(api_key="sk-test", cache_enabled=False, _env_file=None)


def complete(tmp_path, settings: Settings, model: ScriptedModel, *roots):
    project = project_of(tmp_path, *roots)
    return complete_project(project, settings, completer=scripted_completer(settings, model))


def test_a_database_is_not_asked_for_volumes_nothing_calls_for(tmp_path, settings):
    db = DockerResource(description="PostgreSQL 16 database for the shop's orders", ports=[])
    model = ScriptedModel({None: {"name": "db", "image": "postgres:16"}})

    complete(tmp_path, settings, model, BlankResource(name="shop").add(db))

    assert sorted(model.calls[0].info.output_tools[0].parameters_json_schema["properties"]) == [
        "image",
        "name",
    ]
    assert (db.name, db.image, db.volumes) == ("db", "postgres:16", None)


def test_volumes_that_keep_clashing_fall_back_to_empty_with_a_warning(tmp_path, settings):
    db = DockerResource(
        name="db", description="PostgreSQL 16, its data on a named volume", ports=[]
    )
    model = ScriptedModel({"db": {"image": "postgres:16", "volumes": CLASHING_VOLUMES}})

    report = complete(tmp_path, settings, model, db)

    assert len(model.calls) == settings.completion_max_retries + 1
    assert (db.image, db.volumes) == ("postgres:16", [])
    [warning] = report.resources[0].warnings
    assert warning.startswith("DockerResource 'db': volumes left empty ([])")
    assert "mount the same path" in warning


def test_a_bad_image_still_fails_the_completion(tmp_path, settings):
    db = DockerResource(name="db", description="PostgreSQL, data on a volume", ports=[])
    model = ScriptedModel({"db": {"image": "--privileged", "volumes": CLASHING_VOLUMES}})

    with pytest.raises(CompletionError, match=r"DockerResource 'db' \(fields: image, volumes\)"):
        complete(tmp_path, settings, model, db)


def test_the_schema_the_model_gets_bounds_the_name_and_image_it_may_choose(tmp_path, settings):
    # A server that generates by the schema's grammar (llama.cpp) cannot loop past the
    # pattern: each repetition in it is bounded.
    db = DockerResource(description="PostgreSQL 16 database", ports=[])
    model = ScriptedModel({None: {"name": "orders-db", "image": "postgres:16"}})

    complete(tmp_path, settings, model, db)

    schema = model.calls[0].info.output_tools[0].parameters_json_schema["properties"]
    assert re.fullmatch(schema["image"]["pattern"], "postgres:16")
    assert not re.fullmatch(schema["image"]["pattern"], "postgres:16@sha256:" + "a" * 64)
    assert re.fullmatch(schema["name"]["pattern"], "orders-db")
    assert not re.fullmatch(schema["name"]["pattern"], "Orders_DB")


def test_an_invented_digest_or_a_runaway_tag_is_sent_back_in_words(tmp_path, settings):
    runaway = "postgres:16.04-alpine3.10-py3.8-slim-rediscache:0.10.0.1003.1001"
    answers = [
        {"name": "db", "image": "postgres:16@sha256:" + "9" * 64},
        {"name": "db", "image": runaway},
        {"name": "db", "image": "postgres:16"},
    ]
    db = DockerResource(description="PostgreSQL 16 database", ports=[])
    model = ScriptedModel(lambda name, attempt: answers[attempt])

    complete(tmp_path, settings, model, db)

    assert db.image == "postgres:16"
    retries = [call.messages[-1].parts[0].content for call in model.calls[1:]]
    assert all("is not an image like 'postgres:16' (no digest)" in str(r) for r in retries)


def test_a_user_may_still_pin_a_digest_or_a_private_registry():
    # The shape binds the AI's choices only; the user's values meet Docker's grammar.
    digest = "postgres:16@sha256:" + "a" * 64
    assert DockerResource(name="db", image=digest).image == digest
    assert DockerResource(name="DB_1", image="localhost:5000/x:v1").name == "DB_1"
