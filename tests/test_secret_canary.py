"""Secrets never leave: canary values for the API key, the passphrase, a password in
CW_BASE_URL and a token in a git URL are looked for in every output stream of every
command (text and --json) and in every file Clockwork writes under the project.

The model is PydanticAI's FunctionModel behind core's real `pydantic-ai` completer:
it echoes the API key into a rejected value, as a server did, or fails with the key in
its error body. Deploys run the real Pulumi engine (marked `pulumi_cli`).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.exceptions import ModelHTTPError

from clockwork.completion_testing import ScriptedCompleterPlugin
from clockwork.redaction import forget_secrets
from clockwork.settings import clear_settings_cache
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork

API_KEY = "sk-canary-0d5e1f7a9b"
URL_PASSWORD = "urlpass-canary-41c2"
PASSPHRASE = "phrase-canary-88e1"
GIT_TOKEN = "ghp-canary-5a6b7c"
CANARIES = (API_KEY, URL_PASSWORD, PASSPHRASE, GIT_TOKEN)


@pytest.fixture
def scripted(clean_env: pytest.MonkeyPatch) -> Iterator[ScriptedCompleterPlugin]:
    clean_env.setenv("CW_COMPLETER", "scripted")
    clean_env.setenv("CW_API_KEY", API_KEY)
    clean_env.setenv("CW_BASE_URL", f"https://clockwork:{URL_PASSWORD}@models.invalid/v1")
    clean_env.setenv("CW_PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    clear_settings_cache()
    forget_secrets()  # each test shows the settings it reads are what masks them
    plugin = ScriptedCompleterPlugin()
    with plugin_host(plugin, entry_points=True):
        yield plugin
    forget_secrets()


def project_with(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(source))
    return project


def assert_no_canary(project: Path, *results: Any) -> None:
    """No canary in any output stream, nor in any file Clockwork wrote under the
    project (everything but the user's main.py)."""
    for result in results:
        for stream in (result.stdout, result.stderr):
            for canary in CANARIES:
                assert canary not in stream, (canary, stream)
    for path in project.rglob("*"):
        if path.is_file() and path != project / "main.py":
            text = path.read_bytes().decode("utf-8", errors="replace")
            for canary in CANARIES:
                assert canary not in text, (canary, path)


def clockwork(*args: str) -> Any:
    return run_clockwork(*args, code=None)


A_FILE = """
    from clockwork_files import FileResource

    notes = FileResource(name="notes.txt", description="notes")
"""


def test_the_api_key_echoed_into_a_rejected_value_is_never_printed(
    tmp_path: Path, scripted: ScriptedCompleterPlugin
) -> None:
    scripted.model.answers = {"notes.txt": {"directory": ".", "content": "hi\n", "mode": API_KEY}}
    project = project_with(tmp_path, A_FILE)
    main = str(project / "main.py")

    results = [
        clockwork(*command, main)
        for command in (["plan"], ["plan", "--json"], ["show"], ["show", "--json"])
    ]

    for result in results:
        assert result.exit_code == 1
        assert "last problem: field 'mode': mode '***' is not an octal number" in result.stderr
    retries = [call.feedback for call in scripted.model.calls if call.attempt > 0]
    assert retries and all("mode '***' is not an octal number" in text for text in retries)
    assert_no_canary(project, *results)


def test_the_key_in_a_model_servers_error_and_the_url_password_are_never_printed(
    tmp_path: Path, scripted: ScriptedCompleterPlugin
) -> None:
    def fail(name: str, attempt: int) -> dict[str, Any]:
        raise ModelHTTPError(401, "scripted", body={"error": f"bad key {API_KEY}"})

    scripted.model.answers = {"notes.txt": fail}
    project = project_with(tmp_path, A_FILE)

    results = [clockwork("show", str(project / "main.py"), *json) for json in ([], ["--json"])]

    for result in results:
        assert result.exit_code == 1
        assert "at https://clockwork:***@models.invalid/v1 failed" in result.stderr
    assert_no_canary(project, *results)


def test_a_token_as_the_url_user_name_is_never_printed(
    tmp_path: Path, scripted: ScriptedCompleterPlugin, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.delenv("CW_API_KEY")
    clean_env.setenv("CW_BASE_URL", f"https://{API_KEY}@models.invalid/v1")
    clear_settings_cache()
    project = project_with(tmp_path, A_FILE)

    result = clockwork("plan", str(project / "main.py"), "--completer", "pydantic-ai")

    assert result.exit_code == 2
    assert "CW_API_KEY is not set; the model at https://***@models.invalid/v1" in result.stderr
    assert_no_canary(project, result)


GIT_PROJECT = f"""
    from clockwork_git import GitRepoResource

    repo = GitRepoResource(name="repo", dest="repo",
                           repo_url="https://x-token:{GIT_TOKEN}@github.com/acme/app.git")
"""


def test_a_token_in_a_git_url_is_masked_in_plan_show_and_json(
    tmp_path: Path, scripted: ScriptedCompleterPlugin, no_pulumi_cli: Path
) -> None:
    project = project_with(tmp_path, GIT_PROJECT)
    main = str(project / "main.py")

    results = [
        clockwork(*command, main)
        for command in (["plan"], ["plan", "--json"], ["show"], ["show", "--json"])
    ]

    assert all(result.exit_code == 0 for result in results), [r.output for r in results]
    shown = json.loads(results[1].stdout)["resources"][0]["fields"]["repo_url"]
    assert shown == "https://x-token:***@github.com/acme/app.git"
    assert_no_canary(project, *results)


CONNECTED = f"""
    from clockwork_docker import DockerResource

    db = DockerResource(name="db", description="PostgreSQL", image="postgres:16", ports=[],
                        volumes=[], env_vars={{"DATABASE_URL": "postgres://app:{PASSPHRASE}@db/app",
                                               "POSTGRES_DB": "app"}})
    api = DockerResource(name="api", description="the API", ports=[], volumes=[],
                         env_vars={{"UPSTREAM_URL": "https://u:{PASSPHRASE}@up.invalid"}}).connect(db)
"""


@pytest.mark.parametrize("patterns", ["*_URL", "url"])
def test_cw_secret_name_patterns_masks_more_names_for_the_model(
    tmp_path: Path,
    scripted: ScriptedCompleterPlugin,
    no_pulumi_cli: Path,
    clean_env: pytest.MonkeyPatch,
    patterns: str,
) -> None:
    scripted.model.answers = {"api": {"image": "nginx:1.27"}}
    project = project_with(tmp_path, CONNECTED)
    main = str(project / "main.py")
    clockwork("show", main, "--no-cache")
    assert PASSPHRASE in scripted.model.calls[-1].prompt  # not a secret-looking name, by default

    clean_env.setenv("CW_SECRET_NAME_PATTERNS", patterns)
    clear_settings_cache()
    result = clockwork("show", main, "--no-cache")

    assert result.exit_code == 0, result.output
    prompt = scripted.model.calls[-1].prompt
    assert PASSPHRASE not in prompt
    assert '"DATABASE_URL": "<secret>"' in prompt  # the connected db's
    assert '"UPSTREAM_URL": "<secret>"' in prompt  # its own
    assert '"POSTGRES_DB": "app"' in prompt


@pytest.mark.pulumi_cli
def test_apply_and_destroy_through_the_real_engine_leak_no_canary(
    tmp_path: Path, scripted: ScriptedCompleterPlugin
) -> None:
    scripted.model.answers = {"notes.txt": {"directory": ".", "content": "hi\n", "mode": "600"}}
    project = project_with(tmp_path, A_FILE)  # files: deployable here, no network
    main = str(project / "main.py")

    results = [
        clockwork("apply", main, "--yes"),
        clockwork("apply", main, "--yes", "--json"),
        clockwork("plan", main),
        clockwork("plan", main, "--json"),
        clockwork("assert", main),
        clockwork("assert", main, "--json"),
        clockwork("show", main, "--json"),
    ]

    assert [r.exit_code for r in results] == [0] * len(results), [r.output for r in results]
    assert (project / "notes.txt").read_text() == "hi\n"
    assert_no_canary(project, *results)
    destroyed = clockwork("destroy", main, "--yes")
    assert destroyed.exit_code == 0, destroyed.output
    assert_no_canary(project, destroyed)
