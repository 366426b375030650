"""Secrets stay secret: in the state, in what Clockwork prints, and from the model.

- Docker `env_vars` compile to a Pulumi secret and are masked in plan, show and --json.
- A field typed `SecretStr` is the user's alone (never completed), becomes a Pulumi
  secret, is never printed and never reaches the model (through the real engine).
- Secret-looking env values of a connected resource reach the model as `<secret>`.
- The passphrase: set only when configured, a PULUMI_CONFIG_PASSPHRASE_FILE wins, and
  an unprotected state with secrets in it is warned about once.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork import hookimpl
from clockwork.completion import CompletionOutcome, CompletionRequest
from clockwork.engine import StackTarget
from clockwork.settings import Settings, clear_settings_cache
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork

PASSWORD = "hunter2-canary-7f3a"


class RecordingCompleter:
    prompts: list[str] = []

    def __init__(self, settings: Any):
        pass

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        RecordingCompleter.prompts.append(request.prompt)
        answers = {"image": "nginx:1.27-alpine", "content": "notes\n"}
        return CompletionOutcome(
            {k: v for k, v in answers.items() if k in request.output_type.model_fields},
            model_calls=1,
        )


class RecordingCompleterPlugin:
    @hookimpl
    def register_completers(self, register):
        register("recording", RecordingCompleter)


@pytest.fixture(autouse=True)
def installed_plugins(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    clean_env.setenv("CW_COMPLETER", "recording")
    RecordingCompleter.prompts = []
    with plugin_host(RecordingCompleterPlugin(), entry_points=True):
        yield


def project_with(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(source))
    return project


CONTAINERS = f"""
    from clockwork_docker import DockerResource

    db = DockerResource(name="db", description="PostgreSQL", image="postgres:16",
                        ports=[], volumes=[],
                        env_vars={{"POSTGRES_PASSWORD": "{PASSWORD}", "POSTGRES_DB": "shop"}})
    api = DockerResource(name="api", description="the API", ports=[], volumes=[],
                         env_vars={{"API_TOKEN": "{PASSWORD}", "MODE": "prod"}}).connect(db)
"""


def test_docker_env_values_are_masked_everywhere_clockwork_prints(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    project = project_with(tmp_path, CONTAINERS)
    main = str(project / "main.py")
    for command in (["plan"], ["plan", "--json"], ["show"], ["show", "--json"]):
        result = clockwork(*command, main)
        assert PASSWORD not in result.output, command
    plan = json.loads(clockwork("plan", main, "--json").stdout)
    db = next(r for r in plan["resources"] if r["name"] == "db")
    assert db["fields"]["env_vars"] == {"POSTGRES_PASSWORD": "[secret]", "POSTGRES_DB": "[secret]"}


def test_the_model_reads_secret_looking_values_as_secret(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    project = project_with(tmp_path, CONTAINERS)
    clockwork("show", str(project / "main.py"))
    (prompt,) = RecordingCompleter.prompts  # api's image was open
    assert PASSWORD not in prompt
    assert '"POSTGRES_PASSWORD": "<secret>"' in prompt  # the connected db's
    assert '"API_TOKEN": "<secret>"' in prompt  # its own
    assert '"MODE": "prod"' in prompt and '"POSTGRES_DB": "shop"' in prompt


PROVIDERS = """
    from pathlib import Path

    from pulumi.dynamic import CreateResult, Resource, ResourceProvider

    class TokenFileProvider(ResourceProvider):
        def create(self, props):
            Path(props["path"]).write_text(props["token"])
            return CreateResult(props["path"], props)

        def delete(self, id_, props):
            Path(id_).unlink(missing_ok=True)

    class TokenFile(Resource):
        def __init__(self, name, props, opts=None):
            super().__init__(TokenFileProvider(), name, props, opts)
"""

SECRET_FIELD = f"""
    import pulumi
    from pydantic import SecretStr

    from clockwork import Resource
    from clockwork_files import FileResource
    from providers import TokenFile

    class DeployKey(Resource):
        token: SecretStr | None = None

        def to_pulumi(self, opts=None):
            return TokenFile(self.name, {{
                "path": str(self.project_dir / "token.txt"),
                "token": pulumi.Output.secret(self.token.get_secret_value()),
            }}, opts)

    key = DeployKey(name="key", description="the deploy key", token="{PASSWORD}")
    notes = FileResource(name="notes.txt", description="notes about the key").connect(key)
"""


@pytest.mark.pulumi_cli
def test_a_secret_field_is_secret_in_the_state_in_output_and_to_the_model(tmp_path: Path) -> None:
    from clockwork_files.resource import FileResource  # noqa: F401 (the plugin is loaded)

    project = project_with(tmp_path, SECRET_FIELD)
    (project / "providers.py").write_text(textwrap.dedent(PROVIDERS))
    main = str(project / "main.py")

    applied = clockwork("apply", main, "--yes", "--json")
    assert (project / "token.txt").read_text() == PASSWORD  # it did reach the provider
    assert PASSWORD not in applied.output
    for command in (["plan", "--json"], ["show", "--json"], ["plan"]):
        assert PASSWORD not in clockwork(*command, main).output, command
    state = "".join(
        p.read_text(errors="replace") for p in (project / ".clockwork").rglob("*") if p.is_file()
    )
    assert PASSWORD not in state
    assert RecordingCompleter.prompts and not any(PASSWORD in p for p in RecordingCompleter.prompts)
    clockwork("destroy", main, "--yes")


def test_a_secret_field_is_never_left_for_the_model_to_fill() -> None:
    from pydantic import SecretStr

    from clockwork import Resource

    class WithToken(Resource):
        token: SecretStr | None = None
        size: int | None = None

    assert WithToken.completable_fields() == ("name", "size")


def test_the_passphrase_is_set_only_when_configured(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    none = Settings(_env_file=None)  # type: ignore[call-arg]
    assert StackTarget.for_project(tmp_path, none).env["PULUMI_CONFIG_PASSPHRASE"] == ""
    assert StackTarget.for_project(tmp_path, none).secrets_unprotected

    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("from-a-file\n")
    clean_env.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(passphrase_file))
    target = StackTarget.for_project(tmp_path, none)
    assert "PULUMI_CONFIG_PASSPHRASE" not in target.env  # the file is the user's choice
    assert not target.secrets_unprotected


@pytest.mark.pulumi_cli
def test_a_passphrase_file_protects_the_state_and_no_warning_is_given(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("from-a-file")
    clean_env.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(passphrase_file))
    project = project_with(tmp_path, SECRET_FIELD)
    (project / "providers.py").write_text(textwrap.dedent(PROVIDERS))
    main = str(project / "main.py")

    applied = clockwork("apply", main, "--yes")
    assert "unprotected" not in applied.stderr
    clean_env.delenv("PULUMI_CONFIG_PASSPHRASE_FILE")
    clean_env.setenv("CW_PULUMI_CONFIG_PASSPHRASE", "wrong")
    clear_settings_cache()
    wrong = clockwork("destroy", main, "--yes", code=1)  # the state really is encrypted
    assert "passphrase" in wrong.stderr.lower()
    clean_env.setenv("CW_PULUMI_CONFIG_PASSPHRASE", "from-a-file")
    clear_settings_cache()  # settings are read once per folder and process
    clockwork("destroy", main, "--yes")


@pytest.mark.pulumi_cli
def test_an_unprotected_state_with_secrets_is_warned_about_once(tmp_path: Path) -> None:
    project = project_with(tmp_path, SECRET_FIELD)
    (project / "providers.py").write_text(textwrap.dedent(PROVIDERS))
    main = str(project / "main.py")
    applied = clockwork("apply", main, "--yes")
    warning = [line for line in applied.stderr.splitlines() if "unprotected" in line]
    assert warning == [
        "warning: secrets go into the state unprotected: set "
        "CW_PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to "
        "encrypt them"
    ]
    clockwork("destroy", main, "--yes")


def test_a_token_in_a_git_url_is_masked_in_plan_show_and_json(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    project = project_with(
        tmp_path,
        f"""
        from clockwork_files import FileResource
        from clockwork_git import GitRepoResource

        repo = GitRepoResource(name="r", description="a private repository",
                               repo_url="https://bot:{PASSWORD}@git.example.invalid/o/r.git",
                               dest="vendor/r")
        notes = FileResource(name="notes.txt", description="about the clone").connect(repo)
    """,
    )
    main = str(project / "main.py")
    for command in (["plan"], ["plan", "--json"], ["show"], ["show", "--json"]):
        assert PASSWORD not in clockwork(*command, main).output, command
    assert RecordingCompleter.prompts  # notes was completed, with the clone as context
    assert not any(PASSWORD in prompt for prompt in RecordingCompleter.prompts)
    plan = json.loads(clockwork("plan", main, "--json").stdout)
    (repo,) = [r for r in plan["resources"] if r["name"] == "r"]
    assert repo["fields"]["repo_url"] == "https://bot:***@git.example.invalid/o/r.git"


@pytest.mark.pulumi_cli
def test_no_warning_for_a_project_without_secrets(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        """
        from clockwork_files import FileResource

        f = FileResource(name="a.txt", description="d", content="a")
    """,
    )
    applied = clockwork("apply", str(project / "main.py"), "--yes")
    assert "unprotected" not in applied.stderr
    clockwork("destroy", str(project / "main.py"), "--yes")
