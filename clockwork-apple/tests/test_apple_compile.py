"""What AppleContainerResource compiles to, under Pulumi's mock runtime."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clockwork import BlankResource, ProjectError
from clockwork.testing import compile_under_mocks, plugin_host
from clockwork_apple import AppleContainerResource, AppleContainerRunningAssert, plugin
from clockwork_apple.commands import create_script, delete_script, run_command

COMMAND_TYPE = "command:local:Command"


@pytest.fixture(autouse=True)
def _apple_plugin():
    with plugin_host(plugin, distribution="clockwork-apple") as host:
        yield host


def test_compiles_to_a_local_command_inside_its_parent_after_its_peers():
    db = AppleContainerResource(name="db", image="postgres:16", env_vars={"POSTGRES_DB": "app"})
    web = AppleContainerResource(name="web", image="nginx:1.27", ports=["8080:80"],
                                 command=["nginx", "-g", "daemon off;"]).connect(db)
    site = BlankResource(name="site").add(db, web)

    registered = compile_under_mocks([site])

    command = registered.named("web")
    assert command.type == COMMAND_TYPE
    assert command.inputs["create"] == create_script(web)
    assert command.inputs["delete"] == delete_script("web")
    assert command.inputs["triggers"] == [run_command(web), True]
    assert command.inputs["interpreter"] == ["/bin/sh", "-c"]
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


@pytest.mark.parametrize("change", [
    {"image": "nginx:1.28"}, {"ports": ["8081:80"]}, {"volumes": ["/srv:/srv"]},
    {"env_vars": {"A": "1"}}, {"command": ["sleep", "1"]}, {"networks": ["backend"]},
    {"must_run": False},
])
def test_any_change_to_the_container_changes_its_triggers(change):
    """Without an `update` command, pulumi-command replaces on a trigger change."""
    base = {"name": "web", "image": "nginx:1.27", "ports": ["8080:80"]}
    before = compile_under_mocks([AppleContainerResource(**base)]).named("web")
    after = compile_under_mocks([AppleContainerResource(**{**base, **change})]).named("web")
    assert before.inputs["triggers"] != after.inputs["triggers"]


def test_missing_image_is_a_clear_error():
    with pytest.raises(ProjectError, match=r"AppleContainerResource\('web'\): image not set"):
        compile_under_mocks([AppleContainerResource(name="web")])


def test_registered_through_its_entry_point():
    with plugin_host(entry_points=True) as host:
        registry = host.registry
        assert registry.resources["AppleContainerResource"].value is AppleContainerResource
        assert registry.resources["AppleContainerResource"].distribution == "clockwork-apple"
        assert (registry.assertions["AppleContainerRunningAssert"].value
                is AppleContainerRunningAssert)


def test_loading_the_plugin_imports_no_pulumi():
    code = ("import sys, clockwork_apple.plugin; "
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('pulumi', 'pulumi_command', 'pulumi_docker')])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"
