"""`clockwork lock`, `clockwork freeze`, and the lock used first by plan, show, apply and
assert: on copies of the examples, driven through the `clockwork` command.

The "model" is PydanticAI's FunctionModel behind core's own completer (registered as
completer `scripted`); it answers each resource by its description and counts its
calls. A run "with no model" selects the default completer with no API key: any model
call would fail it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from clockwork import hookimpl
from clockwork.completion_testing import first_prompt, response_with
from clockwork.pydantic_ai_completer import PydanticAICompleter
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# What the model answers, by the resource's description (only the fields it is asked).
ANSWERS: dict[str, dict[str, Any]] = {
    "PostgreSQL 16 database for the shop's orders": {
        "name": "db",
        "image": "postgres:16-alpine",
        "volumes": ["shop-pgdata:/var/lib/postgresql/data"],
    },
    "Redis cache for the shop's sessions": {
        "name": "cache",
        "image": "redis:7-alpine",
        "volumes": [],
        "env_vars": {},
    },
    "The shop's HTTP API on port 80: orders in the database, sessions in the cache": {
        "image": "nginx:1.27-alpine",
        "volumes": [],
        "env_vars": {"DATABASE_URL": "postgresql://db:5432/shop", "REDIS_URL": "redis://cache"},
    },
    "Redis cache for sessions": {"image": "redis:7-alpine", "volumes": [], "env_vars": {}},
    "A web server for static files, answering HTTP on port 80": {"image": "nginx:1.27-alpine"},
    "Settings of the demo site": {"content": "title = Clockwork demo\nport = 8080\n"},
    "Explains which repositories are vendored and why": {
        "content": "# Vendored\n\n- vendor/fastapi: FastAPI.\n",
        "directory": ".",
        "mode": "644",
    },
}

# Each example with one value left to the AI (ai-web and ai-webapp leave theirs already).
LEFT_OPEN = {
    "ai-web": None,
    "ai-webapp": None,
    "files": '    content="title = Clockwork demo\\nport = 8080\\n",\n',
    "webapp": '    image="redis:7-alpine",\n',
    "git-files": '    content="# Vendored\\n\\n- vendor/fastapi: FastAPI, for reading its source.'
    '\\n",\n',
}

_DESCRIPTION = re.compile(r"^Description: (.*)$", re.MULTILINE)


class ScriptedModelPlugin:
    """Registers completer `scripted`: core's completer with a FunctionModel."""

    def __init__(self) -> None:
        self.asked: list[str] = []  # the description of each resource the model was asked

        def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            found = _DESCRIPTION.search(first_prompt(messages))
            description = found.group(1) if found else ""
            self.asked.append(description)
            wanted = info.output_tools[0].parameters_json_schema["properties"]
            values = ANSWERS[description]
            return response_with({k: v for k, v in values.items() if k in wanted}, info)

        self.model = FunctionModel(answer, model_name="scripted")

    @hookimpl
    def register_completers(self, register):  # type: ignore[no-untyped-def]
        register("scripted", lambda settings: PydanticAICompleter(settings, model=self.model))


@pytest.fixture
def model(clean_env: pytest.MonkeyPatch) -> Iterator[ScriptedModelPlugin]:
    plugin = ScriptedModelPlugin()
    with plugin_host(plugin, entry_points=True):
        yield plugin


def copy_example(name: str, into: Path) -> Path:
    project = into / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("__pycache__"))
    left_open = LEFT_OPEN[name]
    if left_open is not None:
        main = project / "main.py"
        source = main.read_text()
        assert source.count(left_open) == 1
        main.write_text(source.replace(left_open, ""))
    return project


def as_json(*args: str, code: int = 0) -> dict[str, Any]:
    return json.loads(clockwork(*args, "--json", code=code).stdout)


def with_model(*args: str, code: int = 0) -> dict[str, Any]:
    return as_json(*args, "--completer", "scripted", code=code)


def forget_cache(project: Path) -> None:
    shutil.rmtree(project / ".clockwork", ignore_errors=True)


def lock_of(project: Path) -> dict[str, Any]:
    return json.loads((project / "clockwork.lock").read_text())["resources"]


def edit(project: Path, old: str, new: str) -> None:
    main = project / "main.py"
    source = main.read_text()
    assert source.count(old) == 1
    main.write_text(source.replace(old, new))


@pytest.fixture
def shop(model: ScriptedModelPlugin, tmp_path: Path) -> Path:
    """ai-webapp, locked, with an empty cache."""
    project = copy_example("ai-webapp", tmp_path)
    with_model("lock", str(project / "main.py"))
    forget_cache(project)
    model.asked.clear()
    return project


# ----- clockwork lock -----------------------------------------------------------------------


def test_lock_records_every_ai_value_keyed_by_declared_key(shop):
    locked = lock_of(shop)

    assert sorted(locked) == [
        "DockerResource:shop/<unnamed DockerResource>#1",
        "DockerResource:shop/<unnamed DockerResource>#2",
        "DockerResource:shop/api",
    ]
    assert locked["DockerResource:shop/<unnamed DockerResource>#1"]["values"]["name"] == "db"
    assert locked["DockerResource:shop/api"]["model"] == "meta-llama/llama-4-scout:free"


def test_a_locked_project_shows_with_no_model_and_an_empty_cache(shop, model):
    shown = as_json("show", str(shop / "main.py"))  # the default completer: no API key

    assert model.asked == [] and shown["completion"]["lock_hits"] == 3
    api = next(r for r in shown["resources"] if r["name"] == "api")
    assert api["fields"]["image"] == "nginx:1.27-alpine" and "image" in api["ai_filled"]
    assert shown["completion"]["lock"]["changes"] == []


def test_lock_again_is_up_to_date_and_leaves_the_file_alone(shop):
    before = (shop / "clockwork.lock").read_bytes()

    out = clockwork("lock", str(shop / "main.py")).stdout

    assert out == "clockwork.lock: up to date\n"
    assert (shop / "clockwork.lock").read_bytes() == before


def test_plan_shows_stale_entries_and_the_lock_diff_it_would_make(shop, model):
    edit(shop, 'ports=["127.0.0.1:8080:80"]', 'ports=["127.0.0.1:9090:80"]')
    before = (shop / "clockwork.lock").read_bytes()
    api = next(d for d in ANSWERS if d.startswith("The shop's HTTP API"))
    ANSWERS[api]["image"] = "nginx:1"
    try:
        planned = with_model("plan", str(shop / "main.py"))
        text = clockwork("plan", str(shop / "main.py"), "--completer", "scripted").stdout
    finally:
        ANSWERS[api]["image"] = "nginx:1.27-alpine"

    # The siblings saw api's ports too (as "other resources with the same parent").
    assert planned["lock"]["stale"] == {
        "DockerResource:shop/<unnamed DockerResource>#1": ["a sibling changed"],
        "DockerResource:shop/<unnamed DockerResource>#2": ["a sibling changed"],
        "DockerResource:shop/api": ["user field 'ports' changed"],
    }
    [change] = planned["lock"]["changes"]  # only api's values differ
    assert (change["before"]["image"], change["after"]["image"]) == (
        "nginx:1.27-alpine",
        "nginx:1",
    )
    assert "clockwork.lock (would change: 1 updated):" in text
    assert "  ~ DockerResource:shop/api: user field 'ports' changed" in text
    assert '      image: "nginx:1.27-alpine" → "nginx:1"' in text
    assert (shop / "clockwork.lock").read_bytes() == before  # plan only shows it


def test_offline_fails_on_a_stale_entry_naming_the_input(shop):
    edit(shop, "sessions in the cache", "sessions in Redis")

    result = clockwork("plan", str(shop / "main.py"), "--offline", code=1)

    # db is the first in order; it saw api's description as a sibling's.
    assert result.stderr.startswith("error: could not complete DockerResource")
    assert "its clockwork.lock entry is stale (a sibling changed)" in result.stderr


def test_offline_fails_on_a_missing_entry(shop):
    (shop / "clockwork.lock").write_text(json.dumps({"clockwork_lock": 1, "resources": {}}))

    result = clockwork("show", str(shop / "main.py"), "--offline", code=1)

    assert "not in clockwork.lock nor in the cache" in result.stderr


def test_lock_update_reasks_only_the_named_resources(shop, model):
    # db by the name the AI chose for it (the lock knows it), api by its own.
    changed = with_model("lock", str(shop / "main.py"), "--update", "db", "api")

    assert sorted(model.asked) == sorted(
        d for d in ANSWERS if d.startswith(("PostgreSQL", "The shop's HTTP API"))
    )
    assert changed["lock"]["changes"] == []  # the same answers: nothing to rewrite


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("db",), "resources are named only with --update"),
        (("--update",), "--update needs the names"),
        (("--update", "nope"), "no resource named 'nope'"),
        (("--update", "api", "--offline"), "which --offline forbids"),
    ],
)
def test_lock_usage_errors(shop, arguments, message):
    result = clockwork("lock", str(shop / "main.py"), *arguments, code=2)

    assert message in result.stderr


# ----- clockwork freeze ---------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(LEFT_OPEN))
def test_freeze_round_trips_on_the_example(example, model, tmp_path):
    project = copy_example(example, tmp_path)
    main = project / "main.py"
    with_model("lock", str(main))
    before = as_json("show", str(main))
    original = main.read_text()

    frozen = as_json("freeze", str(main))

    source = main.read_text()
    assert frozen["frozen"] and source != original
    # Comments, docstrings and every line the user wrote are all still there.
    kept = source.splitlines()
    assert all(line in kept for line in original.splitlines())
    added = sum(len(item["fields"]) for item in frozen["frozen"])
    assert len(kept) - len(original.splitlines()) <= added
    # The lock no longer holds them: main.py does, and nothing is marked [AI] any more.
    assert lock_of(project) == {}
    forget_cache(project)
    after = as_json("show", str(main), "--offline")
    assert all(r["ai_filled"] == [] for r in after["resources"])
    assert [r["fields"] for r in after["resources"]] == [r["fields"] for r in before["resources"]]
    text = clockwork("show", str(main), "--offline").stdout
    assert "[AI]" not in text
    # A second freeze has nothing to do.
    assert as_json("freeze", str(main))["frozen"] == [] and main.read_text() == source


def test_freeze_keeps_the_layout_of_the_call(model, tmp_path):
    project = copy_example("webapp", tmp_path)
    main = project / "main.py"

    clockwork("freeze", str(main), "cache", "--completer", "scripted")

    assert (
        "cache = DockerResource(\n"
        '    name="cache",\n'
        '    description="Redis cache for sessions",\n'
        "    ports=[],\n"
        "    assertions=[ContainerRunningAssert()],\n"
        '    image="redis:7-alpine",\n'
        ")\n"  # volumes and env_vars: not asked for (nothing calls for them)
    ) in main.read_text()
    assert "ports=[],  # reached by name on the app's network only\n" in main.read_text()


LOOPED = """\
from clockwork_files import FileResource

WHY = "Explains which repositories are vendored and why"

# Built in a loop: one call, several resources.
pages = [FileResource(name=f"page{i}.md", description=WHY) for i in (1, 2)]
"""

IN_A_FUNCTION = """\
from clockwork_files import FileResource

WHY = "Explains which repositories are vendored and why"

def page(name):
    return FileResource(name=name, description=WHY)

home = page("home.md")
"""

COMPUTED = """\
from clockwork_files import FileResource

WHY = "Explains which repositories are vendored and why"

common = {"description": WHY}
home = FileResource(name="home.md", **common)
"""


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (LOOPED, "it is built in a loop or comprehension"),
        (IN_A_FUNCTION, "it is built inside function page"),
        (COMPUTED, "its arguments are computed (*args or **kwargs)"),
    ],
)
def test_freeze_refuses_a_value_it_cannot_place(model, tmp_path, source, why):
    main = tmp_path / "main.py"
    main.write_text(source)

    result = clockwork("freeze", str(main), "--completer", "scripted", code=1)

    assert "error: cannot freeze FileResource '" in result.stderr
    assert why in result.stderr and "nothing was changed" in result.stderr
    assert main.read_text() == source


def test_freeze_of_an_unknown_name_is_a_usage_error(shop):
    result = clockwork("freeze", str(shop / "main.py"), "nope", code=2)

    assert "no resource named 'nope'" in result.stderr


# ----- done when: a committed lock, no model, an empty cache ------------------------------


@pytest.mark.pulumi_cli
def test_a_locked_project_plans_applies_and_asserts_with_no_model(model, tmp_path):
    project = copy_example("files", tmp_path)
    main = str(project / "main.py")
    with_model("lock", main)
    forget_cache(project)  # a fresh clone: the lock is committed, the cache is not
    model.asked.clear()

    planned = as_json("plan", main)
    applied = as_json("apply", main, "--yes")
    asserted = as_json("assert", main)

    assert model.asked == [] and planned["completion"]["lock_hits"] == 1
    assert applied["applied"] and applied["lock"]["changes"] == []
    assert asserted["failed"] == 0 and asserted["passed"] > 0
    assert (project / "site" / "site.conf").read_text() == ANSWERS["Settings of the demo site"][
        "content"
    ]
    as_json("destroy", main, "--yes")


@pytest.mark.pulumi_cli
def test_plan_never_writes_the_lock_and_apply_creates_it(model, tmp_path):
    project = copy_example("files", tmp_path)
    main = str(project / "main.py")

    planned = with_model("plan", main)
    assert not (project / "clockwork.lock").exists()
    assert [c["change"] for c in planned["lock"]["changes"]] == ["added"]

    applied = with_model("apply", main, "--yes")

    assert applied["lock"]["written"]
    [entry] = lock_of(project).values()
    assert entry["values"] == ANSWERS["Settings of the demo site"]
    assert entry["completer"] == "scripted" and entry["model"] == "meta-llama/llama-4-scout:free"
    as_json("destroy", main, "--yes")
