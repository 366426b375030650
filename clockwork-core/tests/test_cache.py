"""The completion cache: zero model calls on an unchanged project, precise invalidation,
stats and clear, and two writers at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pydantic_ai.models
import pytest
from pydantic import Field

from clockwork import Resource
from clockwork.cache import CacheCorruptError, CompletionCache, cache_dir_for, cache_key
from clockwork.completion import CompletionReport, complete_project
from clockwork.completion_testing import (
    ScriptedModel,
    completion_of,
    project_of,
    scripted_completer,
)
from clockwork.plugins import Registry
from clockwork.prompts import PromptTemplate
from clockwork.settings import Settings
from clockwork.testing import plugin_host

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


class Service(Resource):
    """A network service."""

    image: str | None = Field(None, description="Container image.")
    port: int | None = Field(None, ge=1, le=65535)


ANSWERS = {
    "db": {"image": "postgres:16", "port": 5432},
    "api": {"image": "shop/api:1", "port": 8000},
    "docs": {"image": "nginx:1.27", "port": 80},
}


def declare(db_port: int | None = None) -> list[Service]:
    """What main.py declares: fresh objects on each call, like a new run."""
    db = Service(name="db", description="Postgres", port=db_port)
    api = Service(name="api", description="Shop API").connect(db)
    docs = Service(name="docs", description="Documentation site")
    return [db, api, docs]


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return Settings(api_key="sk-test", cache_dir=tmp_path / "cache", _env_file=None)


def complete(
    tmp_path: Path,
    settings: Settings,
    resources: list[Service],
    *,
    use_cache: bool = True,
    registry: Registry | None = None,
) -> tuple[CompletionReport, ScriptedModel]:
    model = ScriptedModel(ANSWERS)
    project = project_of(tmp_path, *resources)
    report = complete_project(
        project,
        settings,
        completer=scripted_completer(settings, model),
        use_cache=use_cache,
        registry=registry,
    )
    return report, model


# ----- hits and misses --------------------------------------------------------------------


def test_an_unchanged_project_is_completed_again_with_zero_model_calls(tmp_path, settings):
    first, first_model = complete(tmp_path, settings, declare())
    again = declare()

    second, second_model = complete(tmp_path, settings, again)

    assert first.model_calls == 3 and len(first_model.calls) == 3
    assert second_model.calls == [] and second.model_calls == 0
    assert second.cache_hits == 3
    db, api, _ = again
    assert (db.image, db.port, api.image) == ("postgres:16", 5432, "shop/api:1")
    assert db.ai_filled_fields == {"image", "port"}  # provenance survives the cache
    assert api.connections[0]["image"] == "postgres:16"


def test_changing_one_resource_completes_again_only_it_and_its_dependents(tmp_path, settings):
    complete(tmp_path, settings, declare())

    report, model = complete(tmp_path, settings, declare(db_port=6543))

    assert sorted(call.resource for call in model.calls) == ["api", "db"]  # not docs
    assert completion_of(report, "docs").cache_hit
    assert '"port": 6543' in model.calls_for("api")[0].prompt


def test_without_the_cache_every_run_asks_the_model(tmp_path, settings):
    disabled = settings.model_copy(update={"cache_enabled": False})
    _, with_setting = complete(tmp_path, disabled, declare())
    assert len(with_setting.calls) == 3
    assert not (tmp_path / "cache").exists()  # CW_CACHE_ENABLED=false: nothing is kept

    complete(tmp_path, settings, declare(), use_cache=False)
    _, with_flag = complete(tmp_path, settings, declare(), use_cache=False)
    assert len(with_flag.calls) == 3  # --no-cache asks again every time ...
    _, cached = complete(tmp_path, settings, declare())
    assert cached.calls == []  # ... and keeps what it was told: a stale entry is replaced


def test_a_fully_cached_project_needs_no_api_key(tmp_path, settings):
    complete(tmp_path, settings, declare())
    keyless = settings.model_copy(update={"api_key": None})

    with plugin_host():  # core's own pydantic-ai completer: it would need the key
        report = complete_project(project_of(tmp_path, *declare()), keyless)

    assert report.model_calls == 0 and report.cache_hits == 3


@pytest.mark.parametrize(
    "change",
    [
        {"model": "another/model"},
        {"output_mode": "native"},
        {"base_url": "http://localhost:11434/v1"},
    ],
)
def test_the_model_and_output_mode_are_part_of_the_key(tmp_path, settings, change):
    complete(tmp_path, settings, declare())

    _, model = complete(tmp_path, settings.model_copy(update=change), declare())

    assert len(model.calls) == 3


def registry_with_default_template(version: str) -> Registry:
    registry = Registry()
    registry.add("prompt_templates", "*", PromptTemplate(version=version), "test-plugin")
    return registry


def test_a_new_prompt_template_version_misses_the_cache(tmp_path, settings):
    complete(tmp_path, settings, declare(), registry=registry_with_default_template("v1"))

    _, same = complete(tmp_path, settings, declare(), registry=registry_with_default_template("v1"))
    _, reworded = complete(
        tmp_path, settings, declare(), registry=registry_with_default_template("v2")
    )

    assert len(same.calls) == 0
    assert len(reworded.calls) == 3


def test_the_cache_lives_in_the_project_unless_cache_dir_says_otherwise(tmp_path, settings):
    in_project = settings.model_copy(update={"cache_dir": None})

    complete(tmp_path, in_project, declare())

    assert (tmp_path / ".clockwork" / "cache" / "completions.sqlite3").is_file()
    assert cache_dir_for(tmp_path, settings) == tmp_path / "cache"


# ----- the store itself -------------------------------------------------------------------


def test_the_key_is_canonical_json_hashed():
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})
    assert len(cache_key({})) == 64


def test_stats_count_entries_hits_misses_and_size_and_clear_empties(tmp_path):
    cache = CompletionCache(tmp_path / "cache")
    cache.put("k1", {"image": "a:1"}, resource_type="Service", resource_name="web")

    assert cache.get("k1") == {"image": "a:1"}
    assert cache.get("k2") is None
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses) == (1, 1, 1)
    assert stats.size_bytes > 0

    assert cache.clear() == 1
    assert (cache.stats().entries, cache.stats().hits) == (0, 0)
    assert cache.get("k1") is None


def test_stats_of_a_missing_cache_create_nothing(tmp_path):
    cache = CompletionCache(tmp_path / "nowhere")

    assert cache.stats().entries == 0
    assert cache.clear() == 0
    assert not (tmp_path / "nowhere").exists()


def test_writing_the_same_key_twice_keeps_one_entry(tmp_path):
    cache = CompletionCache(tmp_path)
    cache.put("k", {"v": 1}, resource_type="T")
    cache.put("k", {"v": 2}, resource_type="T")

    assert cache.get("k") == {"v": 2}
    assert cache.stats().entries == 1


# Run in two processes at once: each writes its own keys and one shared key.
WRITER = """
import sys
from clockwork.cache import CompletionCache
cache = CompletionCache(sys.argv[1])
writer = sys.argv[2]
for index in range(150):
    cache.put(f"{writer}-{index}", {"index": index}, resource_type="T")
    cache.put("shared", {"writer": writer}, resource_type="T")
    assert cache.get(f"{writer}-{index}") == {"index": index}
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n)]) for n in range(2)
    ]

    assert [process.wait(timeout=120) for process in writers] == [0, 0]
    stats = CompletionCache(tmp_path).stats()
    assert stats.entries == 2 * 150 + 1
    assert stats.hits == 2 * 150


# ----- a corrupt cache --------------------------------------------------------------------


def not_a_database(directory: Path) -> CompletionCache:
    """A cache whose file was overwritten with something else."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "completions.sqlite3").write_text("these are my notes, not a database\n")
    return CompletionCache(directory)


def truncated(directory: Path) -> CompletionCache:
    """A real cache, cut off halfway (a full disk, a copy interrupted)."""
    cache = CompletionCache(directory)
    for index in range(200):
        cache.put(f"k{index}", {"content": "x" * 500}, resource_type="T")
    cache.close()
    data = cache.path.read_bytes()
    cache.path.write_bytes(data[: len(data) // 2])
    return CompletionCache(directory)


@pytest.mark.parametrize("broken", [not_a_database, truncated])
def test_a_corrupt_cache_is_one_error_naming_the_file_and_the_way_out(tmp_path, broken):
    cache = broken(tmp_path / "cache")

    with pytest.raises(CacheCorruptError) as caught:
        cache.stats()

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the completion cache {cache.path} is corrupt (")
    assert "`clockwork cache clear` removes it" in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("broken", [not_a_database, truncated])
def test_clearing_a_corrupt_cache_removes_it_and_says_so(tmp_path, broken):
    cache = broken(tmp_path / "cache")
    wal = cache.path.with_name("completions.sqlite3-wal")
    wal.write_bytes(b"\x00garbage")

    cleared = cache.clear_all()

    assert cleared.path == str(cache.path) and cleared.removed == 0
    assert cleared.corrupt in ("file is not a database", "database disk image is malformed")
    assert not cache.path.exists() and not wal.exists()
    cache.put("k", {"v": 1}, resource_type="T")  # the same object works again, afresh
    assert cache.get("k") == {"v": 1}
    assert cache.stats().entries == 1


def test_clear_of_a_corrupt_cache_returns_zero_removed(tmp_path):
    assert not_a_database(tmp_path / "cache").clear() == 0
    assert not (tmp_path / "cache" / "completions.sqlite3").exists()


def test_clear_all_of_a_sound_cache_reports_no_corruption(tmp_path):
    cache = CompletionCache(tmp_path)
    cache.put("k", {"v": 1}, resource_type="T")

    cleared = cache.clear_all()

    assert (cleared.removed, cleared.corrupt) == (1, None)
    assert cache.path.exists()


def test_completing_with_a_corrupt_cache_names_the_file(tmp_path, settings):
    not_a_database(tmp_path / "cache")

    with pytest.raises(CacheCorruptError, match="is corrupt .*`clockwork cache clear`"):
        complete(tmp_path, settings, declare())
