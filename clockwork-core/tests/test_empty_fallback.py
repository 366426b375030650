"""Item 7: optional collections are asked for only when called for, and one whose value
keeps failing validation falls back to empty, with a warning; required fields still fail.

The model is core's ScriptedModel (a PydanticAI FunctionModel) behind the real agent."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pydantic_ai.models
import pytest
from pydantic import Field, field_validator

from clockwork import Resource
from clockwork.completion import CompletionError, complete_project, output_model_for
from clockwork.completion_testing import ScriptedModel, project_of, scripted_completer
from clockwork.name_suggestions import suggested_name
from clockwork.settings import Settings

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


class Box(Resource):
    """A container with mounts and labels."""

    image: str | None = Field(None, description="Image with a tag.")
    mounts: list[str] | None = Field(None, description="Mounts 'name:/path'; [] for none.")
    tags: dict[str, str] | None = Field(None, description="Tags; {} for none.")

    ask_only_when_needed: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "mounts": ("mount", "volume"),
        "tags": ("tag",),
    }

    @field_validator("image")
    @classmethod
    def _tagged(cls, image: str | None) -> str | None:
        if image is not None and ":" not in image:
            raise ValueError(f"image {image!r} has no tag")
        return image

    @field_validator("mounts")
    @classmethod
    def _distinct_paths(cls, mounts: list[str] | None) -> list[str] | None:
        paths = [mount.split(":", 1)[-1] for mount in mounts or []]
        if len(set(paths)) != len(paths):
            raise ValueError(f"mounts {mounts!r} mount the same path twice")
        return mounts


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return Settings(api_key="sk-test", cache_enabled=False, _env_file=None)


def run(tmp_path: Path, settings: Settings, model: ScriptedModel, *roots: Resource):
    project = project_of(tmp_path, *roots)
    return complete_project(project, settings, completer=scripted_completer(settings, model))


def test_optional_collections_not_called_for_are_not_asked_for():
    box = Box(name="db", description="PostgreSQL database for the orders")

    assert box.fields_to_complete() == ["image"]
    assert list(output_model_for(box).model_fields) == ["image"]


def test_the_description_calls_for_an_optional_collection():
    box = Box(name="db", description="PostgreSQL, its data on a named Volume")

    assert box.fields_to_complete() == ["image", "mounts"]
    assert box.safe_empty_defaults() == {"mounts": []}


def test_a_collection_that_keeps_failing_falls_back_to_empty_with_a_warning(
    tmp_path, settings, caplog
):
    box = Box(name="db", description="PostgreSQL with a volume for its data and a tag")
    twice = {"image": "postgres:16", "mounts": ["a:/data", "b:/data"], "tags": {"team": "shop"}}
    model = ScriptedModel({"db": twice})  # the same clash in every attempt

    with caplog.at_level(logging.WARNING, logger="clockwork"):
        report = run(tmp_path, settings, model, box)

    assert len(model.calls) == settings.completion_max_retries + 1
    assert (box.image, box.mounts, box.tags) == ("postgres:16", [], {"team": "shop"})
    [warning] = report.resources[0].warnings
    assert "Box 'db': mounts left empty ([])" in warning
    assert "mount the same path twice" in warning
    assert report.resources[0].to_dict()["warnings"] == [warning]
    assert any("Box 'db': mounts left empty" in record.message for record in caplog.records)


def test_a_required_field_that_keeps_failing_still_fails(tmp_path, settings):
    box = Box(name="db", description="PostgreSQL with a volume for its data")
    model = ScriptedModel({"db": {"image": "postgres", "mounts": ["a:/data", "b:/data"]}})

    with pytest.raises(CompletionError, match=r"Box 'db'.*has no tag"):
        run(tmp_path, settings, model, box)

    assert box.image is None and box.mounts is None  # nothing applied


def test_no_answer_at_all_is_not_turned_into_empty_values(tmp_path, settings):
    box = Box(name="db", description="PostgreSQL with a volume for its data")
    model = ScriptedModel({"db": {"mounts": ["a:/data"]}})  # never the required image

    with pytest.raises(CompletionError, match=r"Box 'db'"):
        run(tmp_path, settings, model, box)

    assert box.mounts is None


def test_an_ai_chosen_name_that_is_taken_is_asked_again(tmp_path, settings):
    shop = Box(name="shop", image="app:1")
    db = Box(description="the shop's database")
    shop.add(db)
    model = ScriptedModel(
        {None: [{"name": "shop", "image": "postgres:16"}, {"name": "db", "image": "postgres:16"}]}
    )

    run(tmp_path, settings, model, shop)

    assert db.name == "db"
    # One free name to copy, from its description: never the names in use.
    assert (
        "name 'shop' is already used by another resource: choose a different name, "
        "such as 'database'" in model.calls[1].feedback
    )


def test_a_taken_name_the_model_keeps_choosing_becomes_the_suggested_one(tmp_path, settings):
    shop = Box(name="shop", image="app:1")
    db = Box(description="the shop's database")
    backup = Box(name="database", description="the backups", image="restic:0.16")
    shop.add(db, backup)
    model = ScriptedModel({None: {"name": "shop", "image": "postgres:16"}})

    report = run(tmp_path, settings, model, shop)

    assert (db.name, db.image) == ("shop-database", "postgres:16")  # 'database' is taken
    assert len(model.calls) == settings.completion_max_retries + 1
    assert "such as 'shop-database'" in model.calls[1].feedback  # the name it was offered
    entry = next(e for e in report.resources if e.resource is db)
    assert entry.warnings == [
        "Box '<unnamed Box>': named 'shop-database': the model kept choosing 'shop', "
        "which another resource has"
    ]


def test_a_taken_name_gets_a_number_when_there_is_no_description(tmp_path, settings):
    shop = Box(name="shop", image="app:1")
    db = Box()
    cache = Box(name="shop-2", description="the cache", image="redis:7")
    shop.add(db, cache)
    model = ScriptedModel({None: {"name": "shop", "image": "postgres:16"}})

    report = run(tmp_path, settings, model, shop)

    assert (db.name, db.image) == ("shop-3", "postgres:16")
    entry = next(e for e in report.resources if e.resource is db)
    assert entry.warnings == [
        "Box '<unnamed Box>': named 'shop-3': the model kept choosing 'shop', "
        "which another resource has"
    ]


@pytest.mark.parametrize(
    ("description", "taken", "suggested"),
    [
        ("PostgreSQL 16 database for the shop's orders", {"shop"}, "postgresql"),
        ("PostgreSQL 16 database for the shop's orders", {"shop", "postgresql"}, "database"),
        ("The shop's HTTP API on port 80", {"shop", "api"}, "http"),
        ("A cache", {"shop", "cache"}, "shop-cache"),
        ("a", {"shop"}, "shop-2"),  # nothing telling in it
        (None, {"shop", "shop-2"}, "shop-3"),
    ],
)
def test_the_suggested_free_name(description, taken, suggested):
    assert suggested_name(Box(description=description), "shop", taken) == suggested


def test_a_taken_name_with_another_problem_still_fails(tmp_path, settings):
    shop = Box(name="shop", image="app:1")
    db = Box(description="the shop's database")
    shop.add(db)
    model = ScriptedModel({None: {"name": "shop", "image": "postgres"}})  # no tag either

    with pytest.raises(CompletionError, match="could not complete Box"):
        run(tmp_path, settings, model, shop)
    assert db.name is None
