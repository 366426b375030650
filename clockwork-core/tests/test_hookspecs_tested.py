"""Every hook has a test that registers a plugin implementing it (as datasette does).

A new hookspec without such a test fails here: write a test that registers a plugin
with `def <hook_name>(...)` and checks what the hook gave.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clockwork import hookspecs

REPO = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve()


def hook_names() -> list[str]:
    return sorted(
        name for name, value in vars(hookspecs).items() if hasattr(value, "clockwork_spec")
    )


def scanned_files() -> list[Path]:
    folders = [REPO / "clockwork-core" / "tests", REPO / "tests"]
    folders += sorted(p / "tests" for p in REPO.glob("clockwork-*") if (p / "tests").is_dir())
    found: set[Path] = set()
    for folder in folders:
        if folder.is_dir():
            found.update(
                p.resolve()
                for p in folder.rglob("*.py")
                if p.name.startswith("test_") or p.name == "conftest.py"
            )
    found.discard(THIS_FILE)
    return sorted(found)


def implementing_files(hook_name: str, files: list[Path]) -> list[Path]:
    pattern = re.compile(rf"^\s*def\s+{re.escape(hook_name)}\s*\(", re.MULTILINE)
    return [path for path in files if pattern.search(path.read_text(encoding="utf-8"))]


def test_the_hooks_are_found():
    names = hook_names()
    assert "register_resources" in names
    assert "register_commands" in names
    assert len(names) >= 6


def test_the_scanner_sees_this_suite_and_not_this_file():
    files = scanned_files()
    assert REPO / "clockwork-core" / "tests" / "test_plugins.py" in files
    assert THIS_FILE not in files


def test_the_scanner_finds_only_real_definitions(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "class P:\n"
        "    @hookimpl\n"
        "    def register_resources(self, register):\n"
        "        pass\n"
        "# register_assertions( is only mentioned here\n"
        "x = 'def register_compilers_extra('\n"
    )
    assert implementing_files("register_resources", [sample]) == [sample]
    assert implementing_files("register_assertions", [sample]) == []
    assert implementing_files("register_compilers", [sample]) == []


@pytest.mark.parametrize("hook_name", hook_names())
def test_hook_is_implemented_by_a_plugin_in_some_test(hook_name):
    files = scanned_files()
    assert implementing_files(hook_name, files), (
        f"no test registers a plugin implementing the {hook_name} hook: add one that "
        f"defines `def {hook_name}(...)` in a plugin and checks its effect"
    )
