"""The `container` command lines, built and then run for real by a shell.

Apple's CLI cannot run here (macOS 26+ only). The scripts are run with real `bash -c`
and `sh -c`, but the `container` they call is the fake from conftest.py, which only
records its argv. So these tests prove our quoting and script logic: that the CLI
would receive exactly the intended arguments, and that no value ever runs as shell
code. They do not pretend that Apple's CLI ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clockwork import ProjectError
from clockwork_apple import AppleContainerResource
from clockwork_apple.program import (
    ENV_CARRIER_PREFIX,
    create_script,
    delete_command,
    delete_script,
    environment,
    environment_digest,
    run_command,
    shell_line,
)
from clockwork_apple.specs import MISSING_CLI_MESSAGE, SHELL_OWNED_NAMES

SHELLS = ["bash", "sh"]  # pulumi-command runs `/bin/sh -c` (dash here); bash for good measure


def container(**fields) -> AppleContainerResource:
    return AppleContainerResource(
        **{"name": "web", "image": "nginx:1.27", "must_run": False, **fields}
    )


# ----- argument building, field by field ------------------------------------------------------


def test_minimal_run_command():
    assert run_command(container()) == [
        "container",
        "run",
        "--detach",
        "--name",
        "web",
        "nginx:1.27",
    ]


def test_ports_are_published_in_order():
    args = run_command(container(ports=["8080:80", "127.0.0.1:8443:443/tcp"]))
    assert args[5:] == ["--publish", "8080:80", "--publish", "127.0.0.1:8443:443/tcp", "nginx:1.27"]


def test_no_ports_when_left_none_or_empty():
    assert "--publish" not in run_command(container(ports=None))
    assert "--publish" not in run_command(container(ports=[]))


def test_volumes_absolute_relative_home_and_named(tmp_path: Path):
    web = container(
        volumes=[
            "/srv/www:/www:ro",
            "./conf:/etc/app",
            "../up:/up:rw",
            "~/cache:/cache",
            "data:/var/lib/data:ro",
        ]
    )
    web.bind_to_project(tmp_path / "project")
    assert run_command(web)[5:-1] == [
        "--volume",
        "/srv/www:/www:ro",
        "--volume",
        f"{(tmp_path / 'project' / 'conf').resolve()}:/etc/app",
        "--volume",
        f"{tmp_path.resolve() / 'up'}:/up",
        "--volume",
        f"{Path.home() / 'cache'}:/cache",
        "--volume",
        "data:/var/lib/data:ro",
    ]


def test_env_vars_in_order_by_name_only():
    web = container(env_vars={"B": "2", "A": "x=y z"})
    assert run_command(web)[5:] == ["--env", "B", "--env", "A", "nginx:1.27"]
    assert environment(web) == {"CLOCKWORK_APPLE_ENV_B": "2", "CLOCKWORK_APPLE_ENV_A": "x=y z"}
    assert ENV_CARRIER_PREFIX == "CLOCKWORK_APPLE_ENV_"


def test_the_run_line_without_env_vars_is_the_plain_command():
    assert "\ncontainer run --detach --name web nginx:1.27 || exit $?" in create_script(container())


def test_no_values_anywhere_in_the_create_script():
    web = container(env_vars={"PASSWORD": "hunter2-s3cret"}, must_run=True)
    assert "hunter2-s3cret" not in create_script(web)
    assert "hunter2-s3cret" not in " ".join(run_command(web))


def test_environment_digest_follows_the_values_not_their_order():
    digest = environment_digest({"A": "1", "B": "2"})
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert digest == environment_digest({"B": "2", "A": "1"})
    assert digest != environment_digest({"A": "1", "B": "3"})
    assert digest != environment_digest({"A": "1"})
    # The separator cannot be faked by a value (NUL is refused in values).
    assert environment_digest({"A": "1\nB=2"}) != environment_digest({"A": "1", "B": "2"})
    int(digest.removeprefix("sha256:"), 16)  # only hex after the prefix


def test_networks():
    args = run_command(container(networks=["backend", "metrics"]))
    assert args[5:] == ["--network", "backend", "--network", "metrics", "nginx:1.27"]


def test_command_follows_the_image():
    args = run_command(container(command=["nginx", "-g", "daemon off;"]))
    assert args[-4:] == ["nginx:1.27", "nginx", "-g", "daemon off;"]


def test_every_field_in_cli_order():
    web = container(
        ports=["8080:80"],
        volumes=["/a:/b"],
        env_vars={"K": "v"},
        networks=["n1"],
        command=["run", "--fast"],
    )
    assert run_command(web) == [
        "container",
        "run",
        "--detach",
        "--name",
        "web",
        "--publish",
        "8080:80",
        "--volume",
        "/a:/b",
        "--env",
        "K",
        "--network",
        "n1",
        "nginx:1.27",
        "run",
        "--fast",
    ]


def test_delete_command():
    assert delete_command("web") == ["container", "delete", "--force", "web"]


def test_shell_line_quotes_only_what_needs_it():
    assert shell_line(["container", "run", "a b", "it's", "$(x)", ""]) == (
        "container run 'a b' 'it'\"'\"'s' '$(x)' ''"
    )


# ----- quoting, run for real ------------------------------------------------------------------


def hostile_values(marker: Path) -> dict:
    """Values that would break, or run code, if any quoting were missing."""
    touch = f"touch {marker}"
    return {
        "env_vars": {
            "SPACES": "hello big world",
            "QUOTES": "it's \"quoted\" and 'single'",
            "SEMI": f"a; {touch}",
            "SUBST": f"$({touch})",
            "TICKS": f"`{touch}`",
            "MIXED": f"x' ; {touch}; echo '",
            "NEWLINE": f"line1\n{touch}",
            "GLOB": "*",
            "VAR": "$HOME ${PATH} $$",
            "BACKSLASH": "C:\\path\\",
        },
        "command": [
            "sh",
            "-c",
            f"echo $HOME; {touch}",
            f"$({touch})",
            f"`{touch}`",
            "a b",
            "'",
            '"',
            "",
            "--rm",
            "-d",
            "&&",
            "|",
            ">",
            f"{marker}",
        ],
        "volumes": [f"/tmp/dir with space/$({touch})/`{touch}`;x:/data:ro"],
    }


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_values_reach_the_cli_unchanged_and_run_nothing(
    fake_container, tmp_path: Path, shell: str
):
    marker = tmp_path / "pwned"
    values = hostile_values(marker)
    web = container(**values)

    done = fake_container.run(create_script(web), shell=shell, env=environment(web))

    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "a value was run as shell code"
    touch = f"touch {marker}"
    expected = [
        "run",
        "--detach",
        "--name",
        "web",
        "--volume",
        f"/tmp/dir with space/$({touch})/`{touch}`;x:/data:ro",
        *[arg for key in values["env_vars"] for arg in ("--env", key)],
        "nginx:1.27",
        "sh",
        "-c",
        f"echo $HOME; {touch}",
        f"$({touch})",
        f"`{touch}`",
        "a b",
        "'",
        '"',
        "",
        "--rm",
        "-d",
        "&&",
        "|",
        ">",
        str(marker),
    ]
    assert fake_container.calls() == [expected]
    # The values reach `container` through its environment, unchanged.
    assert fake_container.envs() == [values["env_vars"]]
    assert not marker.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_env_values_reach_the_cli_through_its_environment_only(fake_container, shell: str):
    secret = "hunter2 'top' $(secret)"
    web = container(env_vars={"DB_PASSWORD": secret, "MODE": "prod"}, must_run=True)
    fake_container.lists("web\n")

    done = fake_container.run(create_script(web), shell=shell, env=environment(web))

    assert done.returncode == 0, done.stderr
    run, listing = fake_container.calls()
    assert run == [
        "run",
        "--detach",
        "--name",
        "web",
        "--env",
        "DB_PASSWORD",
        "--env",
        "MODE",
        "nginx:1.27",
    ]
    assert not any(secret in arg or "prod" in arg for call in (run, listing) for arg in call)
    assert fake_container.envs()[0] == {"DB_PASSWORD": secret, "MODE": "prod"}


@pytest.mark.parametrize("shell", SHELLS)
def test_a_container_path_does_not_change_where_the_scripts_find_their_tools(
    fake_container, shell: str
):
    """Only `container run` gets the container's PATH; the scripts keep their own."""
    container_path = "/opt/app/bin:/usr/bin:/bin"  # the fake's folder is not on it
    web = container(env_vars={"PATH": container_path, "HOME": "/srv/app"}, must_run=True)
    fake_container.lists("web\n")

    done = fake_container.run(create_script(web), shell=shell, env=environment(web))

    assert done.returncode == 0, done.stderr
    assert [call[:2] for call in fake_container.calls()] == [
        ["run", "--detach"],
        ["list", "--quiet"],
    ]
    assert fake_container.envs()[0] == {"PATH": container_path, "HOME": "/srv/app"}
    fake_container.lists("web\n")
    deleted = fake_container.run(delete_script("web"), shell=shell, env=environment(web))
    assert deleted.returncode == 0, deleted.stderr
    assert fake_container.calls()[-1] == ["delete", "--force", "web"]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "env_vars",
    [
        {"CLOCKWORK_APPLE_ENV_A": "outer", "A": "inner"},
        {"A": "inner", "CLOCKWORK_APPLE_ENV_A": "outer"},
    ],
)
def test_a_name_like_a_carrier_reads_no_other_value(fake_container, shell: str, env_vars):
    web = container(env_vars=env_vars)
    done = fake_container.run(create_script(web), shell=shell, env=environment(web))
    assert done.returncode == 0, done.stderr
    assert fake_container.envs() == [env_vars]


@pytest.mark.parametrize("name", sorted(SHELL_OWNED_NAMES))
def test_a_name_the_shell_keeps_is_refused_when_the_resource_is_built(name):
    """bash (macOS's /bin/sh) cannot export UID, EUID, PPID…: refused up front, not at deploy."""
    with pytest.raises(ProjectError, match=f"'{name}' belongs to the shell"):
        container(env_vars={name: "1000"})


def test_the_value_wins_over_a_host_variable_of_the_same_name(fake_container, monkeypatch):
    monkeypatch.setenv("MODE", "from-the-host")
    web = container(env_vars={"MODE": "prod"})
    done = fake_container.run(create_script(web), env=environment(web))
    assert done.returncode == 0, done.stderr
    assert fake_container.envs() == [{"MODE": "prod"}]


def test_a_failing_run_with_env_vars_fails_the_create_with_its_code(fake_container):
    fake_container.fails(3, "Error: container with id web already exists\n")
    web = container(env_vars={"A": "1"}, must_run=True)
    done = fake_container.run(create_script(web), shell="sh", env=environment(web))
    assert done.returncode == 3
    assert "already exists" in done.stderr
    assert len(fake_container.calls()) == 1


def test_a_failing_run_shows_no_value_in_its_error(fake_container):
    fake_container.fails(1, "Error: invalid image\n")
    web = container(env_vars={"TOKEN": "tok-123-secret"})
    script = create_script(web)
    done = fake_container.run(script, env=environment(web))
    assert done.returncode == 1
    # pulumi-command's error quotes the script and its output: neither has the value.
    assert "tok-123-secret" not in script + done.stdout + done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_line_round_trips_any_argument(fake_container, tmp_path: Path, shell: str):
    marker = tmp_path / "pwned"
    args = [
        "container",
        "x y",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f";touch {marker}",
        "'\"'\"'",
        "\\",
        "\t",
        "~",
        "*",
        "{a,b}",
        "!",
        "#",
        "a\nb",
    ]
    done = fake_container.run(shell_line(args), shell=shell)
    assert done.returncode == 0, done.stderr
    assert fake_container.calls() == [args[1:]]
    assert not marker.exists()


# ----- the CLI missing ------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_create_without_the_cli_fails_with_one_clear_line(run_without_container, shell):
    done = run_without_container(create_script(container(must_run=True)), shell)
    assert done.returncode != 0
    assert done.stderr == MISSING_CLI_MESSAGE + "\n"
    assert done.stdout == ""


@pytest.mark.parametrize("shell", SHELLS)
def test_delete_without_the_cli_fails_with_one_clear_line(run_without_container, shell):
    done = run_without_container(delete_script("web"), shell)
    assert done.returncode != 0
    assert done.stderr == MISSING_CLI_MESSAGE + "\n"


def test_the_message_names_the_cli_and_where_to_get_it():
    assert MISSING_CLI_MESSAGE == (
        "clockwork-apple: Apple's `container` CLI is not on PATH (it runs on macOS 26+ only; "
        "install it from github.com/apple/container)"
    )


# ----- create: failures and must_run ----------------------------------------------------------


def test_a_failing_run_fails_the_create_with_its_code(fake_container):
    fake_container.fails(3, "Error: container with id web already exists\n")
    done = fake_container.run(create_script(container(must_run=True)))
    assert done.returncode == 3
    assert "already exists" in done.stderr
    assert len(fake_container.calls()) == 1  # no must_run check after a failed run


def test_must_run_passes_when_the_container_is_listed_as_running(fake_container):
    fake_container.lists("db\nweb\n")
    done = fake_container.run(create_script(container(must_run=True)), shell="sh")
    assert done.returncode == 0, done.stderr
    assert [call[:2] for call in fake_container.calls()] == [
        ["run", "--detach"],
        ["list", "--quiet"],
    ]


def test_must_run_removes_a_container_that_stopped_and_fails(fake_container):
    fake_container.lists("web-old\nweb2\n")  # similar names must not count
    done = fake_container.run(create_script(container(must_run=True)), shell="sh")
    assert done.returncode == 1
    assert "container web stopped right after it started" in done.stderr
    calls = fake_container.calls()
    assert calls[1:] == [["list", "--quiet"], ["delete", "--force", "web"]]


def test_without_must_run_only_run_is_called(fake_container):
    done = fake_container.run(create_script(container(must_run=False)))
    assert done.returncode == 0
    assert len(fake_container.calls()) == 1


# ----- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_delete_removes_an_existing_container(fake_container, shell):
    fake_container.lists("other\nweb\n")
    done = fake_container.run(delete_script("web"), shell=shell)
    assert done.returncode == 0, done.stderr
    assert fake_container.calls() == [["list", "--all", "--quiet"], ["delete", "--force", "web"]]


def test_delete_of_a_container_already_gone_succeeds(fake_container):
    fake_container.lists("web2\n")
    done = fake_container.run(delete_script("web"))
    assert done.returncode == 0
    assert "container web is already gone" in done.stdout
    assert fake_container.calls() == [["list", "--all", "--quiet"]]


def test_delete_fails_when_the_cli_cannot_list(fake_container):
    fake_container.fails(1, "Error: XPC connection error: Connection invalid\n")
    done = fake_container.run(delete_script("web"))
    assert done.returncode == 1
    assert "XPC connection error" in done.stderr
    assert fake_container.calls() == [["list", "--all", "--quiet"]]  # no blind delete
