"""The engine module: finding the Pulumi CLI, where state goes, and running off the loop.

The Pulumi CLI cannot be assumed here: without it every engine call must fail with one
clear line. The test that drives the real engine is marked `pulumi_cli` (skipped when
the CLI is not on PATH).
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
from pathlib import Path

import pytest

import clockwork_files.plugin
from clockwork import ClockworkError
from clockwork.blocking import run_blocking
from clockwork.engine import (
    EngineResult,
    StackTarget,
    backend_url_for,
    cli_version,
    find_pulumi_cli,
    local_state_folder,
    open_stack,
    project_name_for,
    pulumi_command,
    require_pulumi_cli,
    run_engine,
)
from clockwork.engine_setup import EngineHome
from clockwork.errors import EngineMissingError
from clockwork.settings import Settings
from clockwork.testing import plugin_host


def settings(**values: object) -> Settings:
    """Settings from explicit values only (the fixtures keep CW_* out of the env)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# ----- finding the CLI ----------------------------------------------------------------------


def test_no_cli_anywhere_is_found_as_none(no_pulumi_cli: Path) -> None:
    assert find_pulumi_cli() is None


def fake_cli(path: Path, script: str = "exit 1") -> Path:
    """A stand-in executable, for discovery only: Clockwork never deploys with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_cli_installed_by_clockwork_setup_is_found(no_pulumi_cli: Path) -> None:
    stub = fake_cli(EngineHome.default().cli)
    assert stub.is_relative_to(no_pulumi_cli)  # CW_HOME decides where setup installs
    assert find_pulumi_cli() == stub
    assert require_pulumi_cli() == stub


def test_a_stub_that_is_not_executable_is_not_a_cli(no_pulumi_cli: Path) -> None:
    stub = fake_cli(EngineHome.default().cli)
    stub.chmod(0o644)
    assert find_pulumi_cli() is None


def test_the_cli_on_path_is_used_as_the_exact_file_found(
    no_pulumi_cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An asdf or mise shim: no <root>/bin/pulumi layout around it.
    shim = fake_cli(tmp_path / "shims" / "pulumi", "echo v3.274.1")
    monkeypatch.setenv("PATH", str(shim.parent))
    assert find_pulumi_cli() == shim
    assert pulumi_command(shim).command == str(shim)


def test_clockworks_own_engine_comes_before_path(
    no_pulumi_cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = fake_cli(tmp_path / "bin" / "pulumi")
    monkeypatch.setenv("PATH", str(on_path.parent))
    own = fake_cli(EngineHome.default().cli)
    assert find_pulumi_cli() == own


@pytest.mark.parametrize(
    "answer, problem",
    [
        ("echo v3.100.0", "version 3.100.0; Clockwork needs 3.181.0 or newer"),
        ("echo not-a-version", "is not a working Pulumi CLI"),
        ("exit 3", "is not a working Pulumi CLI"),
    ],
)
def test_an_old_or_broken_cli_is_one_line_saying_what_is_needed(
    no_pulumi_cli: Path, tmp_path: Path, answer: str, problem: str
) -> None:
    cli = fake_cli(tmp_path / answer.replace(" ", "_") / "pulumi", answer)
    with pytest.raises(EngineMissingError) as caught:
        cli_version(cli)
    assert problem in str(caught.value)
    assert "clockwork setup" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_cli_is_one_line_naming_clockwork_setup(no_pulumi_cli: Path) -> None:
    with pytest.raises(EngineMissingError) as caught:
        require_pulumi_cli()
    message = str(caught.value)
    assert "\n" not in message
    assert "clockwork setup" in message
    assert isinstance(caught.value, ClockworkError)  # the CLI prints it, no traceback


# ----- where state goes ---------------------------------------------------------------------


def test_same_folder_name_in_two_places_gives_two_project_names(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a" / "shop", tmp_path / "b" / "shop"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    name_1, name_2 = project_name_for(first, settings()), project_name_for(second, settings())
    assert name_1 != name_2
    assert name_1.startswith("shop-") and name_2.startswith("shop-")
    assert project_name_for(first, settings()) == name_1  # stable across calls


def test_project_name_setting_wins(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    assert project_name_for(tmp_path, settings(project_name="my-shop")) == "my-shop"


def test_project_name_from_odd_folder_names_is_valid_for_pulumi(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    for folder_name in ("My Project (v2) ü", "x" * 200, "!!!"):
        folder = tmp_path / folder_name
        folder.mkdir()
        name = project_name_for(folder, settings())
        assert len(name) <= 100, name
        assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in name), name
    assert project_name_for(tmp_path / "!!!", settings()).startswith("project-")


def test_default_backend_is_a_state_folder_inside_the_project(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    url = backend_url_for(tmp_path, settings())
    assert url == f"file://{tmp_path.resolve()}/.clockwork/state"
    assert local_state_folder(url) == tmp_path.resolve() / ".clockwork" / "state"


@pytest.mark.parametrize("folder_name", ["My Projects", "100% done", "a#b"])
def test_state_folder_of_a_project_with_odd_characters(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, folder_name: str
) -> None:
    project = tmp_path / folder_name
    project.mkdir()
    url = backend_url_for(project, settings())
    assert local_state_folder(url) == project.resolve() / ".clockwork" / "state"


@pytest.mark.parametrize(
    "url",
    ["s3://bucket", "https://api.pulumi.com", "azblob://container/state", "file:///srv/state"],
)
def test_backend_url_setting_passes_through(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, url: str
) -> None:
    clean_env.setenv("CW_BACKEND_URL", url)
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert backend_url_for(tmp_path, from_env) == url


def test_local_state_folder_is_none_for_remote_backends() -> None:
    assert local_state_folder("s3://bucket/state") is None
    assert local_state_folder("https://api.pulumi.com") is None
    assert local_state_folder("file:///srv/state?no_tmp_dir=true") == Path("/srv/state")


def test_stack_target_holds_the_passphrase_but_never_shows_it(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    target = StackTarget.for_project(
        tmp_path, settings(pulumi_config_passphrase="hunter2-secret", stack="prod")
    )
    assert target.env["PULUMI_CONFIG_PASSPHRASE"] == "hunter2-secret"
    assert target.stack_name == "prod"
    assert target.backend_url == backend_url_for(tmp_path, settings())
    assert "hunter2-secret" not in repr(target)
    assert "hunter2-secret" not in str(target)


def test_passphrase_from_the_environment(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PULUMI_CONFIG_PASSPHRASE", "from-env")
    target = StackTarget.for_project(tmp_path, Settings(_env_file=None))  # type: ignore[call-arg]
    assert target.env["PULUMI_CONFIG_PASSPHRASE"] == "from-env"


def test_no_passphrase_is_an_empty_one(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    target = StackTarget.for_project(tmp_path, settings())
    assert target.env["PULUMI_CONFIG_PASSPHRASE"] == ""


# ----- results ------------------------------------------------------------------------------


def test_engine_result_summary() -> None:
    assert EngineResult("up", {"create": 2, "same": 1}).summary() == "+2 create, =1 same"
    assert EngineResult("up", {"update": 1, "delete": 0}, 4.4).summary() == "~1 update in 4s"
    assert EngineResult("destroy", {"delete": 3}).summary() == "-3 delete"
    assert EngineResult("up", {"replace": 1}).summary() == "+-1 replace"
    assert EngineResult("preview", {}).summary() == "no changes"
    assert EngineResult("preview", {"same": 0}, 0.2).summary() == "no changes in 0s"


# ----- running off the event loop -----------------------------------------------------------


def test_run_blocking_outside_a_loop_runs_in_this_thread() -> None:
    assert run_blocking(threading.get_ident) == threading.get_ident()


def test_run_blocking_inside_a_running_loop_uses_another_thread() -> None:
    async def main() -> tuple[int, int]:
        return threading.get_ident(), run_blocking(threading.get_ident)

    loop_thread, worker_thread = asyncio.run(main())
    assert loop_thread == threading.get_ident()
    assert worker_thread != loop_thread


def test_run_blocking_passes_errors_through() -> None:
    def fail() -> None:
        raise ClockworkError("nope")

    async def main() -> None:
        run_blocking(fail)

    with pytest.raises(ClockworkError, match="nope"):
        asyncio.run(main())


# ----- opening a stack ----------------------------------------------------------------------


def test_open_stack_without_the_cli_fails_before_anything_else(
    tmp_path: Path, no_pulumi_cli: Path
) -> None:
    ran: list[str] = []
    target = StackTarget.for_project(tmp_path, settings())
    with pytest.raises(EngineMissingError, match="clockwork setup"):
        open_stack(target, lambda: ran.append("program"))
    assert ran == []
    assert not (tmp_path / ".clockwork").exists()  # not even the state folder
    assert list(tmp_path.iterdir()) == []


class PreviewOnlyDestroyStack:
    """What the Automation API does for `destroy(preview_only=True)`: the plan comes as
    engine events (ending with a summary event), while the returned result's summary is
    the stack's last update (here: the `up` that created two resources)."""

    name = "dev"

    def destroy(self, on_event=None, preview_only=False):
        from pulumi.automation import events

        assert preview_only  # a dry run must never destroy for real
        summary = events.SummaryEvent(
            maybe_corrupt=False, duration_seconds=0, resource_changes={"delete": 2}, policy_packs={}
        )
        for event in (
            events.EngineEvent(
                sequence=1, timestamp=0, prelude_event=events.PreludeEvent(config={})
            ),
            events.EngineEvent(sequence=2, timestamp=0, summary_event=summary),
        ):
            if on_event is not None:
                on_event(event)
        last_update = type("UpdateSummary", (), {"resource_changes": {"create": 2}})()
        return type("DestroyResult", (), {"stdout": "", "stderr": "", "summary": last_update})()


def test_a_destroy_dry_run_reports_what_would_be_deleted() -> None:
    seen: list[object] = []

    result = run_engine("destroy", PreviewOnlyDestroyStack(), seen.append, preview_only=True)

    assert result.changes == {"delete": 2}
    assert result.summary() == "-2 delete"
    assert len(seen) == 2  # the caller's live view still sees every event


# ----- the real engine (needs the Pulumi CLI) -----------------------------------------------


@pytest.mark.pulumi_cli
def test_apply_then_destroy_with_the_real_engine(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    from clockwork import pipeline

    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource

        hello = FileResource(
            name="hello.txt", directory="out/deep", description="a greeting",
            content="hello from clockwork\\n", mode="640",
        )
    """)
    )
    written = project / "out" / "deep" / "hello.txt"
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        applied = pipeline.apply(project / "main.py")
        assert applied.engine is not None
        assert applied.engine.changes.get("create", 0) >= 1
        assert written.read_text() == "hello from clockwork\n"
        assert oct(written.stat().st_mode & 0o777) == oct(0o640)
        assert (project / ".clockwork" / "state").is_dir()

        again = pipeline.apply(project / "main.py")  # nothing changed: nothing to do
        assert again.engine is not None
        assert not {op for op, n in again.engine.changes.items() if n and op != "same"}

        destroyed = pipeline.destroy(project / "main.py")
    assert destroyed.engine is not None
    assert not written.exists()
    assert not (project / "out").exists()  # the folders it created went too
    assert (project / "main.py").is_file()
    assert project.is_dir()


@pytest.mark.pulumi_cli
def test_a_stack_locked_by_another_run_is_a_clear_error(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Two `up`s at once on one stack: the second fails in one line, exit status 1."""
    started = threading.Event()
    release = threading.Event()

    def slow_program() -> None:
        started.set()
        release.wait(30)  # holds the stack's lock while the other run tries

    target = StackTarget.for_project(tmp_path, settings())
    first = open_stack(target, slow_program)
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(run_engine("up", first)))
    runner.start()
    try:
        assert started.wait(120)
        second = open_stack(target, lambda: None)
        with pytest.raises(ClockworkError, match="locked by another run") as caught:
            run_engine("up", second)
        assert caught.value.exit_code == 1
        assert "\n" not in str(caught.value)
    finally:
        release.set()
        runner.join(120)


def test_the_engine_runs_dynamic_providers_with_this_interpreter(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    import sys

    env = StackTarget.for_project(tmp_path, settings()).env
    assert env["PULUMI_PYTHON_CMD"] == sys.executable
    # The launcher would prefer a virtualenv or toolchain named by these.
    assert env["PULUMI_RUNTIME_VIRTUALENV"] == env["PULUMI_RUNTIME_TOOLCHAIN"] == ""


@pytest.mark.pulumi_cli
def test_providers_run_with_clockworks_python_whatever_python3_is_on_path(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    from clockwork import pipeline

    wrong = tmp_path / "wrong-bin" / "python3"
    wrong.parent.mkdir()
    wrong.write_text("#!/bin/sh\necho 'not the python Clockwork runs in' >&2\nexit 1\n")
    wrong.chmod(0o755)
    import os

    clean_env.setenv("PATH", f"{wrong.parent}{os.pathsep}{os.environ['PATH']}")
    clean_env.setenv("VIRTUAL_ENV", "")
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(
        "from clockwork_files import FileResource\n"
        "f = FileResource(name='a.txt', description='d', content='x')\n"
    )
    with plugin_host(clockwork_files.plugin, distribution="clockwork-files"):
        pipeline.apply(project / "main.py")
        assert (project / "a.txt").read_text() == "x"
        pipeline.destroy(project / "main.py")
    assert not (project / "a.txt").exists()


def test_drift_takes_an_unset_value_and_its_zero_as_the_same() -> None:
    from clockwork.engine import same_value

    # As a Terraform-based provider reads a container back after create.
    created = [{"aliases": ["db"], "gwPriority": None, "readOnly": None, "name": "net"}]
    read_back = [{"aliases": ["db"], "gwPriority": 0, "readOnly": False, "name": "net"}]
    assert same_value(created, read_back)
    assert same_value({"a": None}, {})
    assert not same_value(created, [{**read_back[0], "gwPriority": 5}])
    assert not same_value({"readOnly": None}, {"readOnly": True})
    assert not same_value(None, "0644")
    assert not same_value(["a"], ["a", "b"])
