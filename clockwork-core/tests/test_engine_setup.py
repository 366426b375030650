"""`clockwork setup`'s parts: engine plugins registered by plugins, what is missing, and
the Go builder module (built for real where `go` is on PATH)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from clockwork import hookimpl
from clockwork.engine_setup import (
    EngineHome,
    EnginePlugin,
    GoSource,
    Installer,
    SetupError,
    builder_go_mod,
    engine_parts,
    failure_line,
    install_engine,
    missing_engine_plugins,
    needed_engine_plugins,
    sdk_plugin,
)
from clockwork.testing import plugin_host

WIDGET = EnginePlugin("widget", "1.2.3")


class WidgetEnginePlugin:
    @hookimpl
    def register_engine_plugins(self, register):
        register("widget", WIDGET)


def test_a_plugins_engine_plugin_is_needed_and_missing_until_installed(tmp_path: Path) -> None:
    home = EngineHome(tmp_path / "engine")
    with plugin_host(WidgetEnginePlugin(), distribution="clockwork-widgets") as host:
        assert needed_engine_plugins(host) == [WIDGET]
        types = ["widget:index/thing:Thing", "pulumi-python:dynamic:Resource"]
        assert missing_engine_plugins(types, host, home) == [
            "the Pulumi resource plugin widget 1.2.3 (clockwork-widgets) is not installed"
        ]
        assert missing_engine_plugins(["other:index:Thing"], host, home) == []

        binary = home.plugin_dir(WIDGET) / "pulumi-resource-widget"
        assert binary.parent == tmp_path / "engine" / "home" / "plugins" / "resource-widget-v1.2.3"
        binary.parent.mkdir(parents=True)
        binary.write_text("")
        assert missing_engine_plugins(types, host, home) == []


def test_sdk_plugins_ask_for_the_version_their_python_sdk_names() -> None:
    import importlib.metadata

    docker = sdk_plugin("pulumi_docker")
    assert (docker.name, docker.kind) == ("docker", "resource")
    assert docker.version == importlib.metadata.version("pulumi-docker")
    command = sdk_plugin("pulumi_command")
    assert command.version == importlib.metadata.version("pulumi-command")


def test_the_apple_plugin_knows_how_to_build_its_command_provider() -> None:
    import clockwork_apple.plugin

    with plugin_host(clockwork_apple.plugin, distribution="clockwork-apple") as host:
        (command,) = needed_engine_plugins(host)
    assert command.name == "command" and command.source is not None
    assert all("@v0.0.0-" in spec for spec in command.source.get)  # a pinned commit


def test_parts_report_cli_launcher_and_plugins(tmp_path: Path) -> None:
    home = EngineHome(tmp_path / "engine")
    assert [(p.name, p.installed) for p in engine_parts(home, [WIDGET], None)] == [
        ("pulumi CLI", False),
        ("python dynamic-provider launcher", False),
        ("resource plugin widget", False),
    ]
    home.bin.mkdir(parents=True)
    home.cli.write_text("")
    (home.bin / "pulumi-resource-pulumi-python").write_text("")
    parts = engine_parts(home, [], home.cli)
    assert [(p.name, p.installed) for p in parts] == [
        ("pulumi CLI", True),
        ("python dynamic-provider launcher", True),
    ]
    assert json.dumps([p.to_dict() for p in parts])


def test_the_builder_module_repeats_the_upstream_replace_lines() -> None:
    text = builder_go_mod("pulumi", ["a/b => c/d v1.0.0"])
    assert text.splitlines()[0] == "module clockwork.invalid/build/pulumi"
    assert "replace a/b => c/d v1.0.0" in text.splitlines()


def test_a_go_failure_is_the_line_that_names_the_module() -> None:
    output = (
        "go: downloading x v1\n"
        "go: example.com/m@v1.0.0: reading https://proxy/...: 403 Forbidden\n"
        "\tserver response: This module version is not available.\n"
    )
    assert (
        failure_line(output, 1) == "go: example.com/m@v1.0.0: reading https://proxy/...: "
        "403 Forbidden"
    )
    assert failure_line("", 3) == "exit status 3"


def test_a_plugin_that_can_neither_be_downloaded_nor_built_says_how_to_get_it(
    tmp_path: Path,
) -> None:
    installer = Installer(EngineHome(tmp_path / "engine"), allow_download=False)
    with pytest.raises(SetupError) as caught:
        installer.install_plugin(tmp_path / "pulumi", WIDGET)
    assert "pulumi plugin install resource widget 1.2.3" in str(caught.value)
    assert "downloads turned off" in str(caught.value)


def test_every_missing_part_is_reported_not_just_the_first(tmp_path: Path) -> None:
    other = EnginePlugin("other", "2.0.0")
    cli = tmp_path / "pulumi"
    installer = install_engine(
        [WIDGET, other], cli, home=EngineHome(tmp_path / "e"), allow_download=False
    )
    assert sorted(installer.failed) == ["resource plugin other", "resource plugin widget"]


HELLO_MAIN = (
    'package main\n\nimport "fmt"\n\nvar Greeting = "unset"\n\n'
    "func main() { fmt.Println(Greeting) }\n"
)


def write_hello_module(workdir: Path, fetch: object) -> None:
    """A local module the builder's replace line points at (as the docker provider's
    patched upstream copy would be)."""
    module = workdir / "hello"
    (module / "cmd" / "hello").mkdir(parents=True)
    (module / "go.mod").write_text("module example.invalid/hello\n\ngo 1.21\n")
    (module / "cmd" / "hello" / "main.go").write_text(HELLO_MAIN)


@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go")
def test_go_build_builds_through_a_builder_module_of_ours(tmp_path: Path) -> None:
    source = GoSource(
        get=("example.invalid/hello@v0.0.0",),
        binaries=("example.invalid/hello/cmd/hello",),
        replaces=("example.invalid/hello => ./hello",),
        ldflags="-X main.Greeting=built-by-clockwork",
        prepare=write_hello_module,
    )
    seen: list[str] = []
    installer = Installer(EngineHome(tmp_path / "engine"), seen.append)
    out = installer.go_build("hello", source)
    run = subprocess.run([str(out / "hello")], capture_output=True, text=True, check=True)
    assert run.stdout == "built-by-clockwork\n"
    assert any("compiling" in line for line in seen)
    assert "$ " in installer.home.log.read_text()  # every command is in the log
