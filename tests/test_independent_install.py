"""Each plugin distribution installs on its own next to clockwork-core and the CLI,
brings its resource types into `clockwork`, and needs no other plugin.

Every environment is a fresh venv filled by `uv pip install` from the distributions'
folders (dependencies from the package index or uv's cache), as a user would.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = {
    "clockwork-files": ("clockwork_files", "FileResource"),
    "clockwork-docker": ("clockwork_docker", "DockerResource"),
    "clockwork-git": ("clockwork_git", "GitRepoResource"),
    "clockwork-apple": ("clockwork_apple", "AppleContainerResource"),
}


def fresh_venv_with(directory: Path, *distributions: str) -> Path:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(directory)], check=True)
    python = directory / "bin" / "python"
    folders = [str(ROOT / name) for name in distributions]
    installed = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *folders],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    return python


@pytest.mark.parametrize("distribution", sorted(PLUGINS))
def test_plugin_installs_alone_and_registers_its_types(tmp_path: Path, distribution: str) -> None:
    python = fresh_venv_with(tmp_path / "venv", "clockwork-core", "clockwork-cli", distribution)
    clockwork = tmp_path / "venv" / "bin" / "clockwork"

    listed = subprocess.run(
        [str(clockwork), "plugins", "--json"], capture_output=True, text=True, timeout=120
    )

    assert listed.returncode == 0, listed.stderr
    plugins = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert list(plugins) == ["clockwork-core", distribution]
    assert plugins[distribution]["resources"] == [PLUGINS[distribution][1]]
    others = [module for name, (module, _) in PLUGINS.items() if name != distribution]
    absent = subprocess.run(
        [
            str(python),
            "-c",
            f"import importlib.util as u; print([m for m in {others!r} if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert absent.stdout.strip() == "[]"  # really alone: no other plugin installed


def test_a_project_using_an_uninstalled_plugin_names_it(tmp_path: Path) -> None:
    fresh_venv_with(tmp_path / "venv", "clockwork-core", "clockwork-cli", "clockwork-files")
    clockwork = tmp_path / "venv" / "bin" / "clockwork"
    shutil.copy(ROOT / "examples" / "webapp" / "main.py", tmp_path / "main.py")

    result = subprocess.run(
        [str(clockwork), "plan", str(tmp_path / "main.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert (
        "ContainerRunningAssert, DockerResource, LogContainsAssert come from "
        "clockwork-docker, which is not installed (pip install clockwork-docker)"
    ) in result.stderr
    assert "Traceback" not in result.stderr


# ----- plugins stand alone ----------------------------------------------------------------


def imported_packages(source_folder: Path) -> set[str]:
    found: set[str] = set()
    for path in source_folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("distribution", sorted(PLUGINS))
def test_a_plugin_imports_no_other_plugin(distribution: str) -> None:
    module = PLUGINS[distribution][0]
    others = {m for m, _ in PLUGINS.values() if m != module} | {"clockwork_cli"}
    assert imported_packages(ROOT / distribution / "src") & others == set()


def test_core_imports_no_plugin_and_names_no_plugin_type() -> None:
    core = ROOT / "clockwork-core" / "src"
    assert imported_packages(core) & {m for m, _ in PLUGINS.values()} == set()
    source = "\n".join(p.read_text(encoding="utf-8") for p in core.rglob("*.py"))
    assert [t for _, t in PLUGINS.values() if t in source] == []


def test_a_plugin_left_out_of_cw_plugins_takes_its_types_away() -> None:
    clockwork = Path(sys.executable).parent / "clockwork"
    environment = {"PATH": str(Path(sys.executable).parent), "CW_PLUGINS": "clockwork-files"}

    listed = subprocess.run(
        [str(clockwork), "plugins", "--json"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    planned = subprocess.run(
        [str(clockwork), "plan", str(ROOT / "examples/webapp/main.py")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )

    assert [entry["name"] for entry in json.loads(listed.stdout)] == [
        "clockwork-core",
        "clockwork-files",
    ]
    assert planned.returncode == 2
    assert planned.stderr == (
        "error: resource type DockerResource comes from clockwork-docker, which is not "
        "enabled (it is installed but not loaded: check CW_PLUGINS and the warnings above)\n"
    )
