"""The probes of issue 14, each a regression test: a scripted model (PydanticAI's
FunctionModel, through core's real `pydantic-ai` completer) returns the hostile value,
and `clockwork plan` refuses it, exit 2, naming the rule, the resource and the field.
The same value set by the user is the user's call, and passes.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork.completion_testing import ScriptedCompleterPlugin
from clockwork.settings import clear_settings_cache
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork

ESC_NAME = "a\x1b]52;c;aGVsbG8=\x07\x1b[2Jb.txt"  # a clipboard write and a screen clear


@pytest.fixture
def scripted(no_pulumi_cli: Path) -> Iterator[ScriptedCompleterPlugin]:
    """Installed plugins (files, docker, git) plus the scripted completer; no Pulumi
    CLI, so plan stops after evaluating the program."""
    plugin = ScriptedCompleterPlugin()
    with plugin_host(plugin, entry_points=True):
        yield plugin


def set_env(env: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    """Set (None: unset) a setting; settings are read once per folder, so read again."""
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    clear_settings_cache()


def answer(plugin: ScriptedCompleterPlugin, **values: Any) -> None:
    plugin.model.answers = {None: values, **{name: values for name in ("thing", "app", "repo")}}


def project_with(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "main.py").write_text(textwrap.dedent(source))
    return project


def plan(project: Path, *options: str, code: int | None = None) -> Any:
    return run_clockwork(
        "plan", str(project / "main.py"), "--completer", "scripted", *options, code=code
    )


A_FILE = """
    from clockwork_files import FileResource

    note = FileResource(description="project settings")
"""


def file_answer(**values: str) -> dict[str, str]:
    return {"name": "notes.txt", "directory": ".", "content": "hi\n", "mode": "644", **values}


def refused(result: Any, rule: str, field: str) -> None:
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: policy {rule} refused ")
    assert f"field {field!r}" in line


# ----- files --------------------------------------------------------------------------------


def test_an_ai_chosen_dotenv_file_is_refused(tmp_path: Path, scripted: Any) -> None:
    answer(scripted, **file_answer(name=".env", content="CW_BASE_URL=http://evil.example\n"))
    project = project_with(tmp_path, A_FILE)

    result = plan(project)

    refused(result, "files.sensitive-path", "name")
    assert "'.env'" in result.stderr
    assert not (project / ".env").exists()


def test_an_ai_chosen_git_hook_is_refused(tmp_path: Path, scripted: Any) -> None:
    answer(scripted, **file_answer(directory=".git/hooks", name="pre-commit", mode="755"))

    result = plan(project_with(tmp_path, A_FILE))

    refused(result, "files.sensitive-path", "directory")
    assert "'.git'" in result.stderr
    assert "also refused by files.executable ('pre-commit', 'mode')" in result.stderr


@pytest.mark.parametrize("name", ["clockwork.lock", "main.py", "helpers.py", ".bashrc"])
def test_ai_chosen_names_that_change_how_tools_behave_are_refused(
    tmp_path: Path, scripted: Any, name: str
) -> None:
    answer(scripted, **file_answer(name=name))

    refused(plan(project_with(tmp_path, A_FILE)), "files.sensitive-path", "name")


def test_a_py_file_in_a_sub_folder_is_fine(tmp_path: Path, scripted: Any) -> None:
    answer(scripted, **file_answer(directory="scripts", name="helpers.py"))

    result = plan(project_with(tmp_path, A_FILE), "--json", code=0)

    assert json.loads(result.stdout)["resources"][0]["fields"]["name"] == "helpers.py"


@pytest.mark.parametrize("mode", ["7777", "4777", "2644", "1644", "666"])
def test_ai_chosen_special_or_world_writable_modes_are_refused(
    tmp_path: Path, scripted: Any, mode: str
) -> None:
    answer(scripted, **file_answer(mode=mode))

    refused(plan(project_with(tmp_path, A_FILE)), "files.mode", "mode")


def test_an_ai_chosen_executable_mode_is_refused_unless_the_user_allows_it(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    answer(scripted, **file_answer(name="run.sh", mode="755"))
    project = project_with(tmp_path, A_FILE)

    refused(plan(project), "files.executable", "mode")
    set_env(clean_env, "CW_POLICIES_OFF", "files.executable")
    allowed = json.loads(plan(project, "--json", code=0).stdout)
    assert allowed["resources"][0]["fields"]["mode"] == "0755"
    assert allowed["policies"]["off"] == ["files.executable"]
    assert "files.executable" not in allowed["policies"]["ran"]


def test_an_ai_chosen_name_that_is_a_symlink_out_of_the_project_is_refused(
    tmp_path: Path, scripted: Any
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not the project's\n")
    project = project_with(tmp_path, A_FILE)
    (project / "link.txt").symlink_to(outside)
    answer(scripted, **file_answer(name="link.txt"))

    refused(plan(project), "files.symlink", "name")
    assert outside.read_text() == "not the project's\n"


def test_an_ai_chosen_folder_through_a_symlink_is_refused(tmp_path: Path, scripted: Any) -> None:
    (tmp_path / "elsewhere").mkdir()
    project = project_with(tmp_path, A_FILE)
    (project / "shared").symlink_to(tmp_path / "elsewhere")
    answer(scripted, **file_answer(directory="shared"))

    refused(plan(project), "files.symlink", "directory")


def test_the_users_own_sensitive_choices_are_the_users(tmp_path: Path, scripted: Any) -> None:
    (tmp_path / "real.txt").write_text("x")
    project = project_with(
        tmp_path,
        """
        from clockwork_files import FileResource

        env = FileResource(name=".env", description="d", content="A=1\\n", mode="4777")
        hook = FileResource(name="pre-commit", directory=".git/hooks", description="d",
                            content="#!/bin/sh\\n", mode="755")
        """,
    )

    result = plan(project, "--json", code=0)

    assert [r["name"] for r in json.loads(result.stdout)["resources"]] == [".env", "pre-commit"]


def test_a_refused_answer_is_not_cached_and_a_cached_one_is_judged_again(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    answer(scripted, **file_answer(mode="4644"))
    project = project_with(tmp_path, A_FILE)
    refused(plan(project), "files.mode", "mode")
    offline = plan(project, "--offline")  # nothing was stored: offline has nothing
    assert offline.exit_code == 1 and "offline nothing may be" in offline.stderr

    set_env(clean_env, "CW_POLICIES_OFF", "files.mode")
    plan(project, code=0)  # now stored in the cache
    set_env(clean_env, "CW_POLICIES_OFF", None)
    calls = len(scripted.model.calls)

    refused(plan(project, "--offline"), "files.mode", "mode")  # from the cache: judged
    assert len(scripted.model.calls) == calls


def test_a_hostile_value_edited_into_the_lock_file_is_refused(
    tmp_path: Path, scripted: Any
) -> None:
    """A committed clockwork.lock is input like any other: a value changed in it (a
    pull request that edits the lock) is judged as the AI's, with no model call."""
    answer(scripted, **file_answer())
    project = project_with(tmp_path, A_FILE)
    run_clockwork("lock", str(project / "main.py"), "--completer", "scripted")
    lock_path = project / "clockwork.lock"
    lock = json.loads(lock_path.read_text())
    [entry] = lock["resources"].values()
    assert entry["values"]["name"] == "notes.txt"
    entry["values"]["name"] = ".env"
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True))
    calls = len(scripted.model.calls)

    result = plan(project, "--offline")

    refused(result, "files.sensitive-path", "name")
    assert len(scripted.model.calls) == calls  # the lock answered, and was judged


# ----- terminal control codes ---------------------------------------------------------------


def test_an_ai_chosen_name_with_escape_codes_is_refused(tmp_path: Path, scripted: Any) -> None:
    answer(scripted, **file_answer(name=ESC_NAME))

    result = plan(project_with(tmp_path, A_FILE))

    refused(result, "core.control-chars", "name")
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_escape_codes_never_reach_the_terminal_raw_in_any_listing(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    """With the rule off, every listing (the fields, and the Pulumi resources the
    program registers) still prints the codes escaped."""
    set_env(clean_env, "CW_POLICIES_OFF", "core.control-chars")
    answer(scripted, **file_answer(name=ESC_NAME))
    project = project_with(tmp_path, A_FILE)

    result = plan(project, code=0)
    shown = run_clockwork("show", str(project / "main.py"), "--completer", "scripted")

    for output in (result.output, shown.output):
        assert "\x1b" not in output and "\x07" not in output
    registered = result.stdout.split("Pulumi resources the program registers")[1]
    assert "a\\x1b]52;c;aGVsbG8=\\x07\\x1b[2Jb.txt" in registered
    assert "policies off (CW_POLICIES_OFF): core.control-chars" in result.stdout


# ----- docker -------------------------------------------------------------------------------

A_CONTAINER = """
    from clockwork_docker import DockerResource

    # The description calls for a volume: the model is asked for volumes too.
    app = DockerResource(description="a web app that keeps its uploads in a volume")
"""


def container_answer(**values: Any) -> dict[str, Any]:
    return {
        "name": "app",
        "image": "nginx:1.27",
        "ports": ["8080:80"],
        "volumes": [],
        "env_vars": {},
        **values,
    }


@pytest.mark.parametrize(
    ("values", "rule", "field"),
    [
        ({"image": "evil.example/miner:1"}, "docker.registry", "image"),
        ({"image": "someone/nginx:1"}, "docker.registry", "image"),
        ({"ports": ["80:80"]}, "docker.host-port", "ports"),
        ({"ports": ["127.0.0.1:22:22"]}, "docker.host-port", "ports"),
        ({"volumes": ["/etc:/host-etc"]}, "docker.host-mount", "volumes"),
    ],
)
def test_hostile_ai_container_values_are_refused(
    tmp_path: Path, scripted: Any, values: dict[str, Any], rule: str, field: str
) -> None:
    answer(scripted, **container_answer(**values))

    refused(plan(project_with(tmp_path, A_CONTAINER)), rule, field)


def test_the_registry_and_port_settings_widen_what_the_ai_may_choose(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    set_env(clean_env, "CW_AI_ALLOWED_REGISTRIES", "docker.io/library,ghcr.io/acme")
    set_env(clean_env, "CW_AI_HOST_PORTS", "80,1024-65535")
    answer(scripted, **container_answer(image="ghcr.io/acme/app:2", ports=["80:80"]))

    shown = json.loads(plan(project_with(tmp_path, A_CONTAINER), "--json", code=0).stdout)

    assert shown["resources"][0]["fields"]["image"] == "ghcr.io/acme/app:2"


# ----- git ----------------------------------------------------------------------------------

A_REPO = """
    from clockwork_git import GitRepoResource

    repo = GitRepoResource(name="repo", description="the FastAPI repository")
"""


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://github.com/fastapi/fastapi.git", "git.url-scheme"),
        ("git://github.com/fastapi/fastapi.git", "git.url-scheme"),
        ("file:///etc", "git.url-scheme"),
        ("https://x-token:ghp-canary-11@github.com/fastapi/fastapi.git", "git.url-credentials"),
    ],
)
def test_hostile_ai_repo_urls_are_refused(
    tmp_path: Path, scripted: Any, url: str, rule: str
) -> None:
    answer(scripted, repo_url=url, dest="fastapi")

    result = plan(project_with(tmp_path, A_REPO))

    refused(result, rule, "repo_url")
    assert "ghp-canary-11" not in result.output


def test_ai_repo_hosts_can_be_limited(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    answer(scripted, repo_url="git@gitlab.com:fastapi/fastapi.git", dest="fastapi")
    project = project_with(tmp_path, A_REPO)
    plan(project, code=0)  # any host, by default; ssh is fine

    set_env(clean_env, "CW_AI_GIT_HOSTS", "github.com")
    refused(plan(project, "--no-cache"), "git.url-host", "repo_url")


# ----- what plan says ----------------------------------------------------------------------


def test_plan_says_which_rules_ran(tmp_path: Path, scripted: Any) -> None:
    answer(scripted, **file_answer())
    project = project_with(tmp_path, A_FILE)

    text = plan(project, code=0).stdout
    data = json.loads(plan(project, "--json", code=0).stdout)

    for rule in (
        "core.control-chars",
        "files.sensitive-path",
        "files.symlink",
        "files.mode",
        "files.executable",
        "docker.registry",
        "docker.host-port",
        "docker.host-mount",
        "git.url-scheme",
        "git.url-host",
        "git.url-credentials",
    ):
        assert rule in data["policies"]["ran"]
        assert rule in text
    assert data["policies"]["off"] == []


def test_an_unknown_rule_in_cw_policies_off_is_a_usage_error(
    tmp_path: Path, scripted: Any, clean_env: pytest.MonkeyPatch
) -> None:
    set_env(clean_env, "CW_POLICIES_OFF", "files.nope")
    answer(scripted, **file_answer())

    result = plan(project_with(tmp_path, A_FILE))

    assert result.exit_code == 2
    assert "CW_POLICIES_OFF: no policy named files.nope" in result.stderr
