"""What AppleContainerResource compiles to, under Pulumi's mock runtime."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clockwork import BlankResource, ProjectError
from clockwork.testing import compile_under_mocks, plugin_host
from clockwork_apple import AppleContainerResource, AppleContainerRunningAssert, plugin
from clockwork_apple.program import (
    create_script,
    delete_script,
    environment_digest,
    run_command,
)

COMMAND_TYPE = "command:local:Command"
# How the mock monitor shows an input marked secret: {SECRET_SIGNATURE: ..., "value": ...}
# (pulumi.runtime.rpc._special_sig_key and _special_secret_sig).
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"


@pytest.fixture(autouse=True)
def _apple_plugin():
    with plugin_host(plugin, distribution="clockwork-apple") as host:
        yield host


def test_compiles_to_a_local_command_inside_its_parent_after_its_peers():
    db = AppleContainerResource(name="db", image="postgres:16", env_vars={"POSTGRES_DB": "app"})
    web = AppleContainerResource(
        name="web", image="nginx:1.27", ports=["8080:80"], command=["nginx", "-g", "daemon off;"]
    ).connect(db)
    site = BlankResource(name="site").add(db, web)

    registered = compile_under_mocks([site])

    command = registered.named("web")
    assert command.type == COMMAND_TYPE
    assert command.inputs["create"] == create_script(web)
    assert command.inputs["delete"] == delete_script("web")
    assert command.inputs["triggers"] == [
        run_command(web),
        True,
        create_script(web),
        delete_script("web"),
    ]
    assert command.inputs["interpreter"] == ["/bin/sh", "-c"]
    assert "environment" not in command.inputs  # no variables, no environment input
    assert registered.name_of(command.parent) == "site"
    assert [registered.name_of(urn) for urn in command.dependencies] == ["db"]
    assert registered.named("db").type == COMMAND_TYPE
    assert registered.named("db").dependencies == []
    # The new container takes the old one's name: the old one must go first.
    assert command.delete_before_replace is True


def test_the_create_line_is_the_run_command():
    web = AppleContainerResource(name="web", image="nginx:1.27", ports=["8080:80"])
    create = compile_under_mocks([web]).named("web").inputs["create"]
    assert "container run --detach --name web --publish 8080:80 nginx:1.27 || exit $?" in create
    assert create.startswith("if ! command -v container")


@pytest.mark.parametrize(
    "change",
    [
        {"image": "nginx:1.28"},
        {"ports": ["8081:80"]},
        {"volumes": ["/srv:/srv"]},
        {"env_vars": {"A": "1"}},
        {"command": ["sleep", "1"]},
        {"networks": ["backend"]},
        {"must_run": False},
    ],
)
def test_any_change_to_the_container_changes_its_triggers(change):
    """Without an `update` command, pulumi-command replaces on a trigger change."""
    base = {"name": "web", "image": "nginx:1.27", "ports": ["8080:80"]}
    before = compile_under_mocks([AppleContainerResource(**base)]).named("web")
    after = compile_under_mocks([AppleContainerResource(**{**base, **change})]).named("web")
    assert before.inputs["triggers"] != after.inputs["triggers"]


SECRET = "hunter2-s3cr3t"


def compiled_with_env(**env_vars: str):
    web = AppleContainerResource(name="web", image="nginx:1.27", env_vars=env_vars)
    return web, compile_under_mocks([web]).named("web")


def test_env_values_stay_out_of_create_delete_and_triggers():
    web, command = compiled_with_env(DB_PASSWORD=SECRET, MODE="prod")
    assert command.inputs["create"] == create_script(web)
    assert "--env DB_PASSWORD --env MODE nginx:1.27) || exit $?" in command.inputs["create"]
    for name in ("create", "delete", "triggers"):
        assert SECRET not in repr(command.inputs[name]), name
    assert command.inputs["triggers"] == [
        run_command(web),
        True,
        create_script(web),
        delete_script("web"),
        environment_digest({"DB_PASSWORD": SECRET, "MODE": "prod"}),
    ]


def test_env_values_are_a_secret_environment_input():
    _, command = compiled_with_env(DB_PASSWORD=SECRET, MODE="prod")
    assert command.inputs["environment"] == {
        SECRET_SIGNATURE: SECRET_MARK,
        "value": {"CLOCKWORK_APPLE_ENV_DB_PASSWORD": SECRET, "CLOCKWORK_APPLE_ENV_MODE": "prod"},
    }
    # Everywhere else the value is absent: only the secret holds it.
    others = {k: v for k, v in command.inputs.items() if k != "environment"}
    assert SECRET not in repr(others)


def test_a_changed_env_value_changes_the_triggers():
    """Same names, so the same `container run` line: only the digest tells them apart."""
    _, before = compiled_with_env(DB_PASSWORD=SECRET)
    _, after = compiled_with_env(DB_PASSWORD=SECRET + "-rotated")
    assert before.inputs["create"] == after.inputs["create"]
    assert before.inputs["triggers"] != after.inputs["triggers"]
    _, again = compiled_with_env(DB_PASSWORD=SECRET)
    assert again.inputs["triggers"] == before.inputs["triggers"]


def test_missing_image_is_a_clear_error():
    with pytest.raises(ProjectError, match=r"AppleContainerResource\('web'\): image not set"):
        compile_under_mocks([AppleContainerResource(name="web")])


def test_registered_through_its_entry_point():
    with plugin_host(entry_points=True) as host:
        registry = host.registry
        assert registry.resources["AppleContainerResource"].value is AppleContainerResource
        assert registry.resources["AppleContainerResource"].distribution == "clockwork-apple"
        assert (
            registry.assertions["AppleContainerRunningAssert"].value is AppleContainerRunningAssert
        )


def test_loading_the_plugin_imports_no_pulumi():
    code = (
        "import sys, clockwork_apple.plugin; "
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('pulumi', 'pulumi_command', 'pulumi_docker')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_scripts_text_is_in_the_triggers_so_any_change_to_it_replaces():
    """pulumi-command has no `update` here: a change to a script that leaves the
    `container run` line alone (a new Clockwork's check after it, say) must replace the
    container, not re-run `create` over the running one."""
    web = AppleContainerResource(name="web", image="nginx:1.27", must_run=False)
    triggers = compile_under_mocks([web]).named("web").inputs["triggers"]
    assert create_script(web) in triggers
    assert delete_script("web") in triggers
