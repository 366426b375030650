"""The docker engine plugin setup builds (our bridge, clockwork_docker/engine).

The wire names: the schema the built plugin gives the engine must name every input
exactly as the pulumi_docker SDK sends it, or the provider would silently drop the
SDK's values. The build itself runs in `clockwork setup`; tests/test_docker_bridge_e2e.py
deploys through the plugin it builds.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pulumi_docker
import pytest
from pulumi._types import input_type_py_to_pulumi_names

from clockwork.engine import usable_pulumi_cli
from clockwork.engine_setup import EngineHome, sdk_plugin
from clockwork.testing import require_engine_plugins
from clockwork_docker.engine_source import (
    SDK_VERSION,
    SOURCES,
    UPSTREAM_SOURCE,
    UPSTREAM_VERSION,
    docker_bridge_source,
    write_local_modules,
)

RESOURCES = {
    "docker:index/container:Container",
    "docker:index/network:Network",
    "docker:index/remoteImage:RemoteImage",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The schema the installed plugin gives the engine, asked through the real CLI."""
    require_engine_plugins(sorted(RESOURCES))
    cli = usable_pulumi_cli()
    if cli is None:
        pytest.skip("needs the Pulumi CLI (`clockwork setup`)")
    home = EngineHome.default()
    binary = home.plugin_dir(sdk_plugin("pulumi_docker")) / "pulumi-resource-docker"
    done = subprocess.run(
        [str(cli), "package", "get-schema", str(binary)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PULUMI_HOME": str(home.pulumi_home)},
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def sdk_names(args_class: str) -> set[str]:
    return set(input_type_py_to_pulumi_names(getattr(pulumi_docker, args_class)).values())


def test_the_bridge_reports_the_sdk_s_version() -> None:
    # The engine asks for the plugin by the SDK's version and checks what it reports.
    bridge = (SOURCES / "bridge" / "bridge.go").read_text()
    assert f'const Version = "{SDK_VERSION}"' in bridge
    assert sdk_plugin("pulumi_docker").version == SDK_VERSION


@pytest.mark.pulumi_cli
def test_the_plugin_has_exactly_the_resources_clockwork_compiles_to(schema) -> None:
    assert set(schema["resources"]) == RESOURCES
    assert schema["version"] == SDK_VERSION


@pytest.mark.pulumi_cli
@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_each_resource_takes_the_inputs_under_the_sdk_s_names(schema, token: str) -> None:
    args_class = token.rsplit(":", 1)[1] + "Args"
    assert set(schema["resources"][token]["inputProperties"]) == sdk_names(args_class)


@pytest.mark.pulumi_cli
def test_each_nested_type_has_the_sdk_s_field_names(schema) -> None:
    nested = sorted(token for token in schema["types"] if ":index/" in token)
    assert nested  # ports, volumes, networks, labels, ...
    differing = {
        token: set(schema["types"][token]["properties"])
        ^ sdk_names(token.rsplit(":", 1)[1] + "Args")
        for token in nested
    }
    assert {token: names for token, names in differing.items() if names} == {}


@pytest.mark.pulumi_cli
def test_the_provider_config_has_the_sdk_s_names(schema) -> None:
    assert set(schema["config"]["variables"]) == sdk_names("ProviderArgs")


def test_setup_builds_the_bridge_for_the_sdk_s_version() -> None:
    import clockwork_docker.plugin

    registered: list[Any] = []
    clockwork_docker.plugin.register_engine_plugins(lambda *args: registered.append(args))
    ((name, plugin),) = registered
    assert (name, plugin.version) == ("docker", SDK_VERSION)
    assert plugin.source == docker_bridge_source()


def fake_upstream(folder: Path) -> Path:
    """A read-only module folder, as the Go module cache keeps them."""
    package = folder / "internal" / "provider"
    package.mkdir(parents=True)
    (folder / "go.mod").write_text(
        "module github.com/terraform-providers/terraform-provider-docker\n"
    )
    (package / "provider.go").write_text("package provider\n")
    for path in (package / "provider.go", folder / "go.mod", package, folder / "internal", folder):
        path.chmod(stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0))
    return folder


def test_prepare_writes_our_module_and_a_writable_upstream_copy_with_the_shim(
    tmp_path: Path,
) -> None:
    upstream = fake_upstream(tmp_path / "cache" / "docker")
    asked: list[str] = []

    def fetch(spec: str) -> Path:
        asked.append(spec)
        return upstream

    workdir = tmp_path / "build"
    workdir.mkdir()
    try:
        write_local_modules(workdir, fetch)
    finally:
        for path in (upstream, *upstream.rglob("*")):
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert asked == [f"{UPSTREAM_SOURCE}@{UPSTREAM_VERSION}"]
    ours = workdir / "dockerbridge"
    assert (ours / "go.mod").read_text().startswith("module clockwork.invalid/dockerbridge\n")
    assert (ours / "cmd" / "pulumi-resource-docker" / "main.go").is_file()
    assert not (ours / "_upstream").exists()  # the shim belongs to the upstream copy only
    copy = workdir / "upstream-docker"
    shim = (copy / "clockworkshim" / "shim.go").read_text()
    assert "terraform-provider-docker/internal/provider" in shim
    assert (copy / "internal" / "provider" / "provider.go").read_text() == "package provider\n"
    assert (copy / "go.mod").stat().st_mode & stat.S_IWUSR  # go writes go.sum beside it
