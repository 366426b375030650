"""A plugin installed like any third-party package is found, listed and usable.

Each test environment is a throw-away venv that sees the workspace's installed
packages (through a .pth file) and has the sample plugin (tests/sample_plugin), and in
one of them also the broken plugin (tests/broken_plugin), installed with `uv pip`.
The CLI then runs in that venv as `python -m clockwork_cli`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
SAMPLE_PLUGIN = TESTS_DIR / "sample_plugin"
BROKEN_PLUGIN = TESTS_DIR / "broken_plugin"
SAMPLE = "clockwork-sample"
BROKEN = "clockwork-broken-sample"

MAIN_PY = """\
from clockwork_sample import SampleResource, ThingColorAssert

thing = SampleResource(name="thing", size=3, color="red",
                       assertions=[ThingColorAssert(color="red")])
"""

# Loads a main.py against the plugins the environment enables; prints the resources
# as JSON, or the error line and exit code the CLI would give.
LOAD_PROJECT = """\
import json, sys
from clockwork.errors import ClockworkError
from clockwork.loader import load_project
from clockwork.plugins import get_plugin_host
try:
    project = load_project(sys.argv[1], registry=get_plugin_host().registry)
except ClockworkError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(error.exit_code)
print(json.dumps([[r.type_name(), r.name, r.model_dump(include={"size", "color"})]
                  for r in project.resources]))
"""

COMPILE_PROJECT = """\
import json, sys
from clockwork.loader import load_project
from clockwork.plugins import get_plugin_host
from clockwork.testing import compile_under_mocks
project = load_project(sys.argv[1], registry=get_plugin_host().registry)
registered = compile_under_mocks(project.resources)
print(json.dumps([[r.type, r.name, r.inputs] for r in registered]))
"""


# ----- environments -----------------------------------------------------------------------


def make_plugin_venv(directory: Path, plugins: list[Path]) -> Path:
    """A venv at `directory` with the workspace's packages visible and `plugins`
    installed into it; returns its python."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH: it installs the sample plugins")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True)
    python = directory / "bin" / "python"
    see_workspace_packages(python)
    subprocess.run(
        [uv, "pip", "install", "--python", str(python), "--no-deps", *map(str, plugins)],
        check=True,
        capture_output=True,
        text=True,
    )
    return python


def see_workspace_packages(python: Path) -> None:
    """Make the workspace venv's site-packages part of `python`'s sys.path.

    `site.addsitedir` (rather than a bare path line) also runs the .pth files there,
    which is how the workspace's editable installs put their sources on sys.path.
    """
    own_site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    workspace_site_packages = sysconfig.get_paths()["purelib"]
    pth = Path(own_site_packages) / "clockwork_workspace.pth"
    pth.write_text(f"import site; site.addsitedir({workspace_site_packages!r})\n")


@pytest.fixture(scope="module")
def sample_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plugin_venv(tmp_path_factory.mktemp("sample-venv"), [SAMPLE_PLUGIN])


@pytest.fixture(scope="module")
def broken_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plugin_venv(tmp_path_factory.mktemp("broken-venv"), [SAMPLE_PLUGIN, BROKEN_PLUGIN])


@pytest.fixture
def main_py(tmp_path: Path) -> Path:
    path = tmp_path / "main.py"
    path.write_text(MAIN_PY)
    return path


def run(python: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python *args` with the Clockwork variables set only as given."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CW_")}
    environment.update(env)
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=environment, timeout=180
    )


def clockwork(python: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(python, "-m", "clockwork_cli", *args, **env)


def listed_plugins(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    return {entry["name"]: entry for entry in json.loads(result.stdout)}


# ----- the sample plugin ------------------------------------------------------------------


def test_sample_plugin_is_listed_with_what_it_registers(sample_python: Path) -> None:
    result = clockwork(sample_python, "plugins", "--json")

    listed = listed_plugins(result)
    assert next(iter(listed)) == "clockwork-core"
    assert listed[SAMPLE] == {
        "name": SAMPLE,
        "version": "0.3.0",
        "hooks": [
            "register_assertions",
            "register_commands",
            "register_policies",
            "register_prompt_templates",
            "register_resources",
        ],
        "resources": ["SampleResource"],
        "assertions": ["ThingColorAssert"],
        "completers": [],
        "compilers": [],
        "prompt_templates": ["SampleResource"],
        "completion_tools": [],
        "engine_plugins": [],
        "policies": ["sample.thing-size"],
    }
    assert SAMPLE not in result.stderr


def test_sample_plugin_shows_in_the_human_listing_and_version(sample_python: Path) -> None:
    table = clockwork(sample_python, "plugins")
    versions = clockwork(sample_python, "version", "--json")

    assert table.returncode == 0, table.stderr
    assert SAMPLE in table.stdout and "SampleResource" in table.stdout
    assert {"name": SAMPLE, "version": "0.3.0"} in json.loads(versions.stdout)


def test_sample_plugin_adds_its_command(sample_python: Path) -> None:
    help_text = clockwork(sample_python, "--help")
    hello = clockwork(sample_python, "sample-hello", "Ada")

    assert "sample-hello" in help_text.stdout
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello Ada from clockwork-sample\n"


def test_main_py_using_the_sample_resource_loads(sample_python: Path, main_py: Path) -> None:
    result = run(sample_python, "-c", LOAD_PROJECT, str(main_py))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["SampleResource", "thing", {"size": 3, "color": "red"}]]


def test_sample_resource_compiles_to_its_pulumi_resource(
    sample_python: Path, main_py: Path
) -> None:
    result = run(sample_python, "-c", COMPILE_PROJECT, str(main_py))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["sample:index:Thing", "thing", {"size": 3, "color": "red"}]
    ]


# ----- CW_PLUGINS -------------------------------------------------------------------------


def test_cw_plugins_limits_loading_to_the_named_distributions(sample_python: Path) -> None:
    result = clockwork(sample_python, "plugins", "--json", CW_PLUGINS=SAMPLE)

    assert list(listed_plugins(result)) == ["clockwork-core", SAMPLE]


def test_empty_cw_plugins_loads_only_core(sample_python: Path) -> None:
    result = clockwork(sample_python, "plugins", "--json", CW_PLUGINS="")

    assert list(listed_plugins(result)) == ["clockwork-core"]


def test_main_py_needing_a_plugin_left_out_fails_naming_it(
    sample_python: Path, main_py: Path
) -> None:
    result = run(sample_python, "-c", LOAD_PROJECT, str(main_py), CW_PLUGINS="")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "SampleResource" in result.stderr and SAMPLE in result.stderr
    assert "not enabled" in result.stderr


# ----- a broken plugin --------------------------------------------------------------------


def test_broken_plugin_is_one_warning_and_the_others_still_load(broken_python: Path) -> None:
    # CW_PLUGINS keeps the workspace's own plugins out, so that stderr holds only
    # what the broken one causes.
    result = clockwork(broken_python, "plugins", "--json", CW_PLUGINS=f"{SAMPLE},{BROKEN}")

    listed = listed_plugins(result)
    assert list(listed) == ["clockwork-core", SAMPLE]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(f"warning: plugin {BROKEN} failed to load: RuntimeError")


def test_broken_plugin_among_all_installed_is_warned_about_once(broken_python: Path) -> None:
    result = clockwork(broken_python, "plugins", "--json")

    assert SAMPLE in listed_plugins(result)
    lines = result.stderr.splitlines()
    assert [line for line in lines if BROKEN in line] == [
        f"warning: plugin {BROKEN} failed to load: RuntimeError: {BROKEN} is broken on purpose"
    ]
    assert all(line.startswith("warning: ") for line in lines), result.stderr


def test_strict_plugins_make_a_broken_plugin_an_error(broken_python: Path) -> None:
    result = clockwork(
        broken_python, "plugins", "--json", CW_PLUGINS=f"{SAMPLE},{BROKEN}", CW_STRICT_PLUGINS="1"
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: plugin {BROKEN} failed to load: RuntimeError: {BROKEN} is broken on purpose "
        "(CW_STRICT_PLUGINS=1)"
    ]


def test_strict_plugins_ignore_a_broken_plugin_left_out(broken_python: Path) -> None:
    result = clockwork(broken_python, "plugins", "--json", CW_PLUGINS=SAMPLE, CW_STRICT_PLUGINS="1")

    assert list(listed_plugins(result)) == ["clockwork-core", SAMPLE]
    assert result.stderr == ""


def test_main_py_loads_despite_a_broken_plugin(broken_python: Path, main_py: Path) -> None:
    result = run(broken_python, "-c", LOAD_PROJECT, str(main_py), CW_PLUGINS=f"{SAMPLE},{BROKEN}")

    assert result.returncode == 0, result.stderr
    assert [entry[:2] for entry in json.loads(result.stdout)] == [["SampleResource", "thing"]]
    assert len(result.stderr.splitlines()) == 1 and BROKEN in result.stderr


# ----- the plugin author's own tests ------------------------------------------------------


def test_the_sample_plugins_own_tests_pass_with_clockwork_testing(sample_python: Path) -> None:
    """What a plugin author runs, in an environment where the plugin is installed."""
    result = run(
        sample_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(SAMPLE_PLUGIN / "tests")
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
