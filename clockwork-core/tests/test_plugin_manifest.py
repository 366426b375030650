"""The plugin manifest: `clockwork plugins` answers from it without running the
registration hooks, and never from stale data.

Each "run" is a new host over real (temporary) installed distributions, with the
plugin modules forgotten in between, as a new process would find them. Every hook of
the test plugin appends a line to a log file, so a test sees whether it ran.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clockwork import hookimpl
from clockwork.plugins import (
    CORE_DISTRIBUTION,
    ENTRY_POINT_GROUP,
    RACY_SECONDS,
    PluginHost,
    manifest_folder,
)
from clockwork.testing import plugin_host

MODULES = (
    "cwmanifest_plugin",
    "cwmanifest_plugin.plugin",
    "cwmanifest_plugin.things",
    "cwmanifest_failing",
)

PLUGIN = """
    from clockwork import hookimpl

    @hookimpl
    def register_resources(register):
        from . import things
        things.log("register_resources")
        register(things.Thing)

    @hookimpl
    def register_completers(register):
        from . import things
        things.log("register_completers")
        register("thing-completer", things.completer)
"""

THINGS = """
    import os
    from pathlib import Path

    from clockwork import Resource

    def log(what):
        with open(os.environ["CWMANIFEST_LOG"], "a") as calls:
            calls.write(what + "\\n")

    class Thing(Resource):
        pass

    def completer(settings):
        return None
"""


class Site:
    """A folder on sys.path holding installed distributions."""

    def __init__(self, root: Path):
        self.root = root

    def install(self, dist: str, version: str, entry: str, files: dict[str, str]) -> None:
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        for old in self.root.glob(f"{dist.replace('-', '_')}-*.dist-info"):
            for file in old.iterdir():
                file.unlink()
            old.rmdir()
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nmain = {entry}\n")
        for name, source in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        self.settle()

    def settle(self) -> None:
        """Date every file a while back, past the manifest's racy-mtime guard."""
        past = time.time() - 10 * RACY_SECONDS
        for path in self.root.rglob("*"):
            os.utime(path, (past, past))


@pytest.fixture
def site(tmp_path, monkeypatch, clean_env):
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    clean_env.setenv("CWMANIFEST_LOG", str(tmp_path / "calls.log"))
    site = Site(root)
    site.install(
        "cwmanifest",
        "1.0.0",
        "cwmanifest_plugin.plugin",
        {
            "cwmanifest_plugin/__init__.py": "",
            "cwmanifest_plugin/plugin.py": PLUGIN,
            "cwmanifest_plugin/things.py": THINGS,
        },
    )
    yield site
    forget_plugin_modules()


def forget_plugin_modules() -> None:
    for module in MODULES:
        sys.modules.pop(module, None)


@pytest.fixture
def calls(tmp_path):
    log = tmp_path / "calls.log"

    def read() -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    return read


def run(manifests: Path, allowed: set[str] | None = None) -> tuple[PluginHost, dict]:
    """A fresh host, as a new `clockwork plugins` process builds it, and its listing."""
    forget_plugin_modules()
    host = PluginHost(allowed=allowed or {"cwmanifest"}, manifest_dir=manifests)
    host.register_builtin()
    host.load_entry_points()
    return host, host.registered_names()


def test_the_second_run_answers_from_the_manifest_without_running_hooks(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    first_host, first = run(manifests)
    assert calls() == ["register_resources", "register_completers"]
    assert first["cwmanifest"]["resources"] == ["Thing"]
    assert first["cwmanifest"]["completers"] == ["thing-completer"]
    assert first[CORE_DISTRIBUTION]["resources"] == ["BlankResource"]
    assert len(list(manifests.glob("*.json"))) == 1

    second_host, second = run(manifests)
    assert second == first
    assert calls() == ["register_resources", "register_completers"]  # no hook ran
    assert "cwmanifest_plugin.things" not in sys.modules  # nor were the classes imported
    assert second_host.problems == []

    # The registry itself is still built from the hooks when something asks for it.
    assert second_host.registry.resources["Thing"].distribution == "cwmanifest"


def test_a_changed_plugin_module_is_never_answered_from_the_manifest(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    run(manifests)
    changed = PLUGIN.replace('register("thing-completer"', 'register("renamed-completer"')
    (site.root / "cwmanifest_plugin" / "plugin.py").write_text(textwrap.dedent(changed))

    _, listing = run(manifests)  # changed a moment ago: rebuilt, and not trusted yet
    assert listing["cwmanifest"]["completers"] == ["renamed-completer"]
    assert calls().count("register_completers") == 2

    site.settle()
    _, listing = run(manifests)
    _, again = run(manifests)
    assert (
        listing["cwmanifest"]["completers"]
        == again["cwmanifest"]["completers"]
        == ["renamed-completer"]
    )
    assert calls().count("register_completers") == 3  # the settled run wrote, the last read


def test_a_changed_module_the_hooks_import_is_never_answered_from_the_manifest(
    site, calls, tmp_path
):
    manifests = tmp_path / "manifests"
    run(manifests)
    things = site.root / "cwmanifest_plugin" / "things.py"
    things.write_text(
        textwrap.dedent(THINGS) + "\n\nclass Widget(Resource):\n    pass\n\nThing = Widget\n"
    )
    site.settle()  # even with an old mtime: the size differs

    _, listing = run(manifests)
    assert listing["cwmanifest"]["resources"] == ["Widget"]


def test_a_new_version_is_a_new_manifest(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    run(manifests)
    site.install("cwmanifest", "2.0.0", "cwmanifest_plugin.plugin", {})
    host, _ = run(manifests)
    assert calls().count("register_resources") == 2
    assert host.distributions()["cwmanifest"].version == "2.0.0"
    assert len(list(manifests.glob("*.json"))) == 2


def test_another_set_of_plugins_is_another_manifest(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    _, with_plugin = run(manifests)
    _, core_only = run(manifests, allowed={"clockwork-core"})
    assert list(core_only) == [CORE_DISTRIBUTION]
    assert core_only[CORE_DISTRIBUTION] == with_plugin[CORE_DISTRIBUTION]
    _, again = run(manifests)
    assert again == with_plugin
    assert calls().count("register_resources") == 1


def test_a_failing_hook_writes_no_manifest_and_fails_again_next_time(site, calls, tmp_path):
    site.install(
        "cwmanifest-failing",
        "1.0.0",
        "cwmanifest_failing",
        {
            "cwmanifest_failing.py": """
            from clockwork import hookimpl

            @hookimpl
            def register_resources(register):
                raise RuntimeError("not today")
        """,
        },
    )
    manifests = tmp_path / "manifests"
    for _ in range(2):
        host, listing = run(manifests, allowed={"cwmanifest", "cwmanifest-failing"})
        assert listing["cwmanifest-failing"]["resources"] == []
        assert host.failures == {
            "cwmanifest-failing": ["failed in register_resources: RuntimeError: not today"]
        }
    assert not list(manifests.glob("*.json"))
    assert calls().count("register_resources") == 2


def test_a_broken_or_foreign_manifest_is_rebuilt(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    run(manifests)
    (manifest,) = manifests.glob("*.json")
    manifest.write_text("{not json")
    _, listing = run(manifests)
    assert listing["cwmanifest"]["resources"] == ["Thing"]
    data = json.loads(manifest.read_text())
    data["key"]["plugins"] = []
    manifest.write_text(json.dumps(data))
    run(manifests)
    assert calls().count("register_resources") == 3


def test_a_deleted_source_file_invalidates_the_manifest(site, calls, tmp_path):
    manifests = tmp_path / "manifests"
    run(manifests)
    (manifest,) = manifests.glob("*.json")
    data = json.loads(manifest.read_text())
    missing = tmp_path / "gone.py"
    data["files"][str(missing)] = [0, 0]
    manifest.write_text(json.dumps(data))
    run(manifests)
    assert calls().count("register_resources") == 2


def test_an_inline_plugin_never_uses_a_manifest(tmp_path):
    class Inline:
        @hookimpl
        def register_completers(self, register):
            register("inline", object)

    manifests = tmp_path / "manifests"
    host = PluginHost(manifest_dir=manifests)
    host.register_builtin()
    host.register(Inline(), distribution="inline")
    assert host.registered_names()["inline"]["completers"] == ["inline"]
    assert not manifests.exists()

    with plugin_host(Inline()) as testing_host:
        assert testing_host.manifest_dir is None


def test_the_manifest_folder_is_under_cw_home(clean_env, tmp_path):
    clean_env.setenv("CW_HOME", str(tmp_path / "home"))
    assert manifest_folder() == tmp_path / "home" / "cache" / "plugins"
    assert PluginHost.from_environment(load_entry_points=False).manifest_dir == manifest_folder()
