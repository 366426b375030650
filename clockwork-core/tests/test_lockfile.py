"""clockwork.lock: its format, and completion reading it before the cache and the model.

Projects are real main.py files loaded by the loader (so resources get their declared
keys); the model is PydanticAI's FunctionModel through core's own completer, and a
"model" that must not be asked fails the test if it is.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from clockwork.completion import CompletionError, complete_project
from clockwork.completion_testing import ScriptedModel, scripted_completer
from clockwork.errors import UsageError
from clockwork.loader import Project, load_project
from clockwork.lockfile import (
    LOCK_FILE_NAME,
    LockEntry,
    LockFile,
    changed_inputs,
    remove_entries,
)
from clockwork.settings import Settings

MAIN_PY = """\
from pydantic import Field
from clockwork import Resource

class Service(Resource):
    \"\"\"A network service.\"\"\"

    image: str | None = Field(None, description="Container image, with a tag.")
    port: int | None = None
    env: dict[str, str] | None = None
    secret_fields = frozenset({"env"})

db = Service(name="db", description="Postgres", port=5432)
web = Service(description="Front end", port=80).connect(db)
"""

ANSWERS = {
    "db": {"image": "postgres:16", "env": {"LOG_LEVEL": "info"}},
    None: {"image": "nginx:1.27", "name": "web", "env": {}},  # the unnamed one chooses its name too
}


def entry(**values: object) -> LockEntry:
    return LockEntry(
        resource_type="Service",
        values=dict(values),
        completer="pydantic-ai",
        model="m",
        output_mode="tool",
        template_version="core-2",
        inputs="sha256:x",
        input_hashes={"description": "a", "user_fields.port": "b"},
    )


def write_project(folder: Path, source: str = MAIN_PY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(textwrap.dedent(source))
    return folder


def load(folder: Path) -> Project:
    return load_project(folder / "main.py")


def settings_for(folder: Path, **changes: object) -> Settings:
    # A cache of its own per call: the lock, not the cache, must be what answers.
    base = Settings(cache_dir=folder / f"cache-{len(list(folder.glob('cache-*')))}")
    return base.model_copy(update=changes)


def complete(folder: Path, model: ScriptedModel, **options: object):
    settings = settings_for(folder, **options.pop("settings", {}))  # type: ignore[arg-type]
    project = load(folder)
    report = complete_project(
        project, settings, completer=scripted_completer(settings, model), **options
    )
    return project, report


def refusing_model() -> ScriptedModel:
    def refuse(name: str | None, attempt: int) -> dict[str, object]:
        raise AssertionError(f"the model was asked about {name!r}")

    return ScriptedModel(refuse)


def read_lock(folder: Path) -> dict:
    return json.loads((folder / LOCK_FILE_NAME).read_text())


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


# ----- the format -------------------------------------------------------------------------


def test_the_lock_renders_sorted_and_round_trips(tmp_path):
    path = tmp_path / LOCK_FILE_NAME
    lock = LockFile(path, {"Service:web": entry(image="b"), "Service:api": entry(image="a")})

    lock.write()
    loaded = LockFile.load(path)

    assert loaded.entries == lock.entries and loaded.exists
    assert LockFile(path, dict(reversed(loaded.entries.items()))).render() == path.read_text()
    assert list(json.loads(path.read_text())["resources"]) == ["Service:api", "Service:web"]
    assert path.read_text().endswith("}\n")


def test_a_lock_with_a_merge_conflict_is_a_usage_error_naming_the_file(tmp_path):
    path = tmp_path / LOCK_FILE_NAME
    path.write_text('{\n<<<<<<< HEAD\n"a": 1\n=======\n>>>>>>> x\n}\n')

    with pytest.raises(UsageError, match=r"clockwork.lock:2: not valid JSON \(a merge conflict"):
        LockFile.load(path)


def test_a_hand_edited_entry_is_refused_naming_it(tmp_path):
    path = tmp_path / LOCK_FILE_NAME
    data = json.loads(LockFile(path, {"Service:db": entry(image="x")}).render())
    data["resources"]["Service:db"]["values"] = "postgres"
    path.write_text(json.dumps(data))

    with pytest.raises(UsageError, match=r"entry 'Service:db': 'values' must be an object"):
        LockFile.load(path)


def test_changed_inputs_say_which_input_changed():
    before = {"description": "1", "user_fields.port": "2", "connections.0": "3"}
    now = {"description": "1", "user_fields.port": "9", "user_fields.image": "4"}

    assert changed_inputs(before, now) == [
        "connection 1 was removed",
        "user field 'image' was set",
        "user field 'port' changed",
    ]


# ----- writing it -------------------------------------------------------------------------


def test_a_run_that_may_write_records_every_ai_value_and_who_chose_it(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True, settings={"model": "acme-7"})

    resources = read_lock(project_dir)["resources"]
    assert sorted(resources) == ["Service:<unnamed Service>#1", "Service:db"]
    db = resources["Service:db"]
    assert db["values"] == {"image": "postgres:16", "env": {"LOG_LEVEL": "info"}}
    assert (db["model"], db["completer"], db["output_mode"]) == ("acme-7", "pydantic-ai", "tool")
    assert db["template_version"] == "core-2" and db["inputs"].startswith("sha256:")
    assert {"description", "user_fields.port", "fields_to_fill"} <= set(db["input_hashes"])
    # The unnamed one is keyed by its declared key: its name is one of the AI's values.
    assert resources["Service:<unnamed Service>#1"]["values"]["name"] == "web"


def test_the_same_answers_write_the_same_bytes(project_dir, tmp_path):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    first = (project_dir / LOCK_FILE_NAME).read_bytes()
    other = write_project(tmp_path / "elsewhere")

    complete(other, ScriptedModel(ANSWERS), write_lock=True)

    assert (other / LOCK_FILE_NAME).read_bytes() == first  # nothing of the machine or time


def test_a_run_that_may_not_write_leaves_no_lock(project_dir):
    _, report = complete(project_dir, ScriptedModel(ANSWERS))
    report.store()

    assert not (project_dir / LOCK_FILE_NAME).exists()
    assert [c["change"] for c in report.to_dict()["lock"]["changes"]] == ["added", "added"]


def test_nothing_to_fill_creates_no_lock(tmp_path):
    folder = write_project(
        tmp_path / "p",
        "from clockwork import BlankResource\nsite = BlankResource(name='site')\n",
    )
    _, report = complete(folder, refusing_model(), write_lock=True)

    assert not (folder / LOCK_FILE_NAME).exists()
    assert report.model_calls == 0


def test_an_ai_chosen_secret_is_never_written(project_dir):
    answers = {**ANSWERS, "db": {"image": "postgres:16", "env": {"DB_PASSWORD": "hunter2"}}}
    _, report = complete(project_dir, ScriptedModel(answers), write_lock=True)

    text = (project_dir / LOCK_FILE_NAME).read_text()
    assert "hunter2" not in text and "Service:db" not in json.loads(text)["resources"]
    assert report.to_dict()["lock"]["not_locked"] == {
        "Service:db": "the AI chose a secret (env.DB_PASSWORD): set it in main.py"
    }


# ----- reading it first ---------------------------------------------------------------------


def test_locked_values_are_used_without_the_model_or_the_cache(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    model = refusing_model()

    # Another model configured, and an empty cache: the lock still answers.
    project, report = complete(
        project_dir, model, settings={"model": "other", "output_mode": "native"}
    )

    assert model.calls == [] and report.model_calls == 0 and report.lock_hits == 2
    web = project.find("web")
    assert web.image == "nginx:1.27" and web.ai_filled_fields == {"image", "name", "env"}
    assert report.to_dict()["lock"]["changes"] == []


def test_offline_with_a_lock_and_an_empty_cache_completes(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)

    project, report = complete(project_dir, refusing_model(), offline=True)

    assert project.find("db").image == "postgres:16" and report.lock_hits == 2


def test_a_changed_input_makes_only_that_entry_stale_and_says_which(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    main = project_dir / "main.py"
    main.write_text(main.read_text().replace("port=80)", "port=8080)"))
    model = ScriptedModel({None: {"image": "nginx:1.28", "name": "web", "env": {}}})

    _, report = complete(project_dir, model, write_lock=True)

    assert model.order == [None]  # db's entry still fits: only the changed one is asked
    lock = report.to_dict()["lock"]
    assert lock["stale"] == {"Service:<unnamed Service>#1": ["user field 'port' changed"]}
    [change] = lock["changes"]
    assert change["change"] == "updated" and change["reasons"] == ["user field 'port' changed"]
    assert (change["before"]["image"], change["after"]["image"]) == ("nginx:1.27", "nginx:1.28")
    assert read_lock(project_dir)["resources"]["Service:<unnamed Service>#1"]["values"] == {
        "image": "nginx:1.28",
        "name": "web",
        "env": {},
    }


def test_a_changed_connection_makes_the_connected_entry_stale(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    main = project_dir / "main.py"
    main.write_text(main.read_text().replace("port=5432", "port=5433"))

    _, report = complete(project_dir, ScriptedModel(ANSWERS))

    assert report.to_dict()["lock"]["stale"] == {
        "Service:db": ["user field 'port' changed"],
        "Service:<unnamed Service>#1": ["connection 1 changed"],
    }


def test_offline_fails_on_a_stale_entry_naming_the_changed_input(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    main = project_dir / "main.py"
    main.write_text(main.read_text().replace('description="Postgres"', 'description="PG"'))

    with pytest.raises(CompletionError, match=r"Service 'db'.*stale \(the description changed\)"):
        complete(project_dir, refusing_model(), offline=True)


def test_offline_fails_on_a_resource_missing_from_the_lock(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    main = project_dir / "main.py"
    main.write_text(main.read_text() + 'cache = Service(name="cache", port=6379)\n')

    with pytest.raises(CompletionError, match=r"Service 'cache'.*not in clockwork.lock nor"):
        complete(project_dir, refusing_model(), offline=True)


def test_ask_again_skips_the_lock_and_the_cache_for_that_resource_only(project_dir):
    settings = settings_for(project_dir)
    first = load(project_dir)
    model = ScriptedModel(ANSWERS)
    complete_project(
        first, settings, completer=scripted_completer(settings, model), write_lock=True
    )
    cache = settings_for(project_dir).model_copy(update={"cache_dir": settings.cache_dir})
    model = ScriptedModel({"db": {"image": "postgres:17", "env": {}}, None: ANSWERS[None]})

    project = load(project_dir)
    report = complete_project(
        project,
        cache,  # the cache that holds db's first answer
        completer=scripted_completer(settings, model),
        write_lock=True,
        reask={"Service:db": ()},  # what `lock --update db` asks
    )

    # db is asked again; web, whose connection to db changed with it, goes stale.
    assert model.order == ["db", None]
    changes = {c["key"]: c["reasons"] for c in report.to_dict()["lock"]["changes"]}
    assert changes == {"Service:db": ["asked again (--update)"]}  # web's values are the same
    assert report.to_dict()["lock"]["stale"] == {
        "Service:<unnamed Service>#1": ["connection 1 changed"]
    }
    assert read_lock(project_dir)["resources"]["Service:db"]["values"] == {
        "image": "postgres:17",
        "env": {},
    }


def test_values_main_py_now_sets_drop_out_of_the_lock(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    main = project_dir / "main.py"
    main.write_text(
        main.read_text().replace(
            "port=5432)", 'port=5432, image="postgres:16", env={"LOG_LEVEL": "info"})'
        )
    )

    _, report = complete(project_dir, refusing_model(), write_lock=True)

    [change] = report.to_dict()["lock"]["changes"]
    assert (change["key"], change["change"]) == ("Service:db", "removed")
    assert change["reasons"] == ["main.py sets its values now"]
    assert list(read_lock(project_dir)["resources"]) == ["Service:<unnamed Service>#1"]


def test_remove_entries_drops_only_those_keys(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)

    assert remove_entries(project_dir, ["Service:db", "Service:nope"]) == ["Service:db"]
    assert list(read_lock(project_dir)["resources"]) == ["Service:<unnamed Service>#1"]


def test_a_resource_knows_the_call_that_built_it(project_dir):
    project = load(project_dir)

    site = project.find("db").declared_at
    assert site is not None
    assert Path(site.filename) == project_dir / "main.py"
    assert (site.line, site.column) == (12, 5)  # `Service(` of `db = Service(...)`


def test_no_cache_asks_again_past_the_lock_too(project_dir):
    complete(project_dir, ScriptedModel(ANSWERS), write_lock=True)
    model = ScriptedModel(ANSWERS)

    _, report = complete(project_dir, model, use_cache=False)

    assert sorted(map(str, model.order)) == ["None", "db"] and report.lock_hits == 0
    assert report.to_dict()["lock"]["changes"] == []  # the same answers again
