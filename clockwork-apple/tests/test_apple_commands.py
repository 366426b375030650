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

from clockwork_apple import AppleContainerResource
from clockwork_apple.commands import (
    MISSING_CLI_MESSAGE,
    create_script,
    delete_command,
    delete_script,
    run_command,
    shell_line,
)

SHELLS = ["bash", "sh"]  # pulumi-command runs `/bin/sh -c` (dash here); bash for good measure


def container(**fields) -> AppleContainerResource:
    return AppleContainerResource(**{"name": "web", "image": "nginx:1.27", "must_run": False,
                                     **fields})


# ----- argument building, field by field ------------------------------------------------------


def test_minimal_run_command():
    assert run_command(container()) == [
        "container", "run", "--detach", "--name", "web", "nginx:1.27"]


def test_ports_are_published_in_order():
    args = run_command(container(ports=["8080:80", "127.0.0.1:8443:443/tcp"]))
    assert args[5:] == ["--publish", "8080:80", "--publish", "127.0.0.1:8443:443/tcp",
                        "nginx:1.27"]


def test_no_ports_when_left_none_or_empty():
    assert "--publish" not in run_command(container(ports=None))
    assert "--publish" not in run_command(container(ports=[]))


def test_volumes_absolute_relative_home_and_named(tmp_path: Path):
    web = container(volumes=["/srv/www:/www:ro", "./conf:/etc/app", "../up:/up:rw",
                             "~/cache:/cache", "data:/var/lib/data:ro"])
    web._project_dir = tmp_path / "project"
    assert run_command(web)[5:-1] == [
        "--volume", "/srv/www:/www:ro",
        "--volume", f"{(tmp_path / 'project' / 'conf').resolve()}:/etc/app",
        "--volume", f"{tmp_path.resolve() / 'up'}:/up",
        "--volume", f"{Path.home() / 'cache'}:/cache",
        "--volume", "data:/var/lib/data:ro",
    ]


def test_env_vars_in_order():
    args = run_command(container(env_vars={"B": "2", "A": "x=y z"}))
    assert args[5:] == ["--env", "B=2", "--env", "A=x=y z", "nginx:1.27"]


def test_networks():
    args = run_command(container(networks=["backend", "metrics"]))
    assert args[5:] == ["--network", "backend", "--network", "metrics", "nginx:1.27"]


def test_command_follows_the_image():
    args = run_command(container(command=["nginx", "-g", "daemon off;"]))
    assert args[-4:] == ["nginx:1.27", "nginx", "-g", "daemon off;"]


def test_every_field_in_cli_order():
    web = container(ports=["8080:80"], volumes=["/a:/b"], env_vars={"K": "v"},
                    networks=["n1"], command=["run", "--fast"])
    assert run_command(web) == [
        "container", "run", "--detach", "--name", "web", "--publish", "8080:80",
        "--volume", "/a:/b", "--env", "K=v", "--network", "n1", "nginx:1.27", "run", "--fast"]


def test_delete_command():
    assert delete_command("web") == ["container", "delete", "--force", "web"]


def test_shell_line_quotes_only_what_needs_it():
    assert shell_line(["container", "run", "a b", "it's", "$(x)", ""]) == (
        "container run 'a b' 'it'\"'\"'s' '$(x)' ''")


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
        "command": ["sh", "-c", f"echo $HOME; {touch}", f"$({touch})", f"`{touch}`", "a b",
                    "'", '"', "", "--rm", "-d", "&&", "|", ">", f"{marker}"],
        "volumes": [f"/tmp/dir with space/$({touch})/`{touch}`;x:/data:ro"],
    }


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_values_reach_the_cli_unchanged_and_run_nothing(
        fake_container, tmp_path: Path, shell: str):
    marker = tmp_path / "pwned"
    values = hostile_values(marker)
    web = container(**values)

    done = fake_container.run(create_script(web), shell=shell)

    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "a value was run as shell code"
    touch = f"touch {marker}"
    expected = [
        "run", "--detach", "--name", "web",
        "--volume", f"/tmp/dir with space/$({touch})/`{touch}`;x:/data:ro",
        "--env", "SPACES=hello big world",
        "--env", "QUOTES=it's \"quoted\" and 'single'",
        "--env", f"SEMI=a; {touch}",
        "--env", f"SUBST=$({touch})",
        "--env", f"TICKS=`{touch}`",
        "--env", f"MIXED=x' ; {touch}; echo '",
        "--env", f"NEWLINE=line1\n{touch}",
        "--env", "GLOB=*",
        "--env", "VAR=$HOME ${PATH} $$",
        "--env", "BACKSLASH=C:\\path\\",
        "nginx:1.27",
        "sh", "-c", f"echo $HOME; {touch}", f"$({touch})", f"`{touch}`", "a b", "'", '"', "",
        "--rm", "-d", "&&", "|", ">", str(marker),
    ]
    assert fake_container.calls() == [expected]
    assert not marker.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_line_round_trips_any_argument(fake_container, tmp_path: Path, shell: str):
    marker = tmp_path / "pwned"
    args = ["container", "x y", f"$(touch {marker})", f"`touch {marker}`", f";touch {marker}",
            "'\"'\"'", "\\", "\t", "~", "*", "{a,b}", "!", "#", "a\nb"]
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
        "install it from github.com/apple/container)")


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
    assert [call[:2] for call in fake_container.calls()] == [["run", "--detach"],
                                                            ["list", "--quiet"]]


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
    assert fake_container.calls() == [["list", "--all", "--quiet"],
                                      ["delete", "--force", "web"]]


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
