"""The `clockwork` entry point of clockwork-files is installed and registers its types."""

from __future__ import annotations

import importlib.metadata

import pytest

from clockwork.plugins import PluginHost
from clockwork_files import FileContentMatchesAssert, FileExistsAssert, FileResource


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    monkeypatch.delenv("CW_PLUGINS", raising=False)
    monkeypatch.setenv("CW_STRICT_PLUGINS", "1")  # a broken plugin fails the test


def test_entry_point_is_declared():
    found = [
        ep
        for ep in importlib.metadata.entry_points(group="clockwork")
        if ep.value == "clockwork_files.plugin"
    ]
    assert [ep.name for ep in found] == ["files"]
    assert found[0].dist.name == "clockwork-files"


def test_registry_has_the_file_types_from_clockwork_files():
    host = PluginHost.from_environment()
    registry = host.registry

    assert registry.resources["FileResource"].value is FileResource
    assert registry.resources["FileResource"].distribution == "clockwork-files"
    for assertion in (FileExistsAssert, FileContentMatchesAssert):
        registration = registry.assertions[assertion.__name__]
        assert registration.value is assertion
        assert registration.distribution == "clockwork-files"
    registered = registry.by_distribution("clockwork-files")
    assert registered["resources"] == ["FileResource"]
    assert registered["assertions"] == ["FileContentMatchesAssert", "FileExistsAssert"]
    assert registered["policies"] == [
        "files.executable",
        "files.mode",
        "files.sensitive-path",
        "files.symlink",
    ]
    assert not any(
        names
        for kind, names in registered.items()
        if kind not in ("resources", "assertions", "policies")
    )
    assert host.problems == []


def test_loaded_distribution_reports_its_version():
    host = PluginHost.from_environment()
    loaded = host.distributions()["clockwork-files"]
    assert loaded.version == importlib.metadata.version("clockwork-files")
    assert loaded.module == "clockwork_files.plugin"


def test_cw_plugins_can_leave_it_out(monkeypatch):
    monkeypatch.setenv("CW_PLUGINS", "clockwork-core")
    registry = PluginHost.from_environment().registry
    assert "FileResource" not in registry.resources
    assert "BlankResource" in registry.resources


def test_cw_plugins_can_name_it(monkeypatch):
    monkeypatch.setenv("CW_PLUGINS", "clockwork_files")
    assert "FileResource" in PluginHost.from_environment().registry.resources
