"""`clockwork plugins` in a fresh process: the first run builds the plugin manifest,
the next ones answer from it without importing any plugin's classes (or pydantic).

Every installed plugin is enabled, each run is its own interpreter, with a CW_HOME of
the test's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from clockwork.plugins import RACY_SECONDS

# Runs the CLI in-process, then prints (as the last stdout line) which of the watched
# packages (top-level) and modules (resource classes) got imported.
PROBE = """\
import json, sys
from clockwork_cli.main import cli

try:
    cli.main(sys.argv[1:], prog_name="clockwork")
except SystemExit as exit:
    if exit.code not in (0, None):
        raise
packages = {name.split(".")[0] for name in sys.modules} & {"pydantic", "pulumi", "pydantic_ai"}
modules = set(sys.modules) & {"clockwork.resource", "clockwork_files.resource"}
print(json.dumps(sorted(packages | modules)))
"""


def run_plugins(home: Path, *args: str) -> tuple[str, list[str]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CW_")}
    environment["CW_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "plugins", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    *output, imported = result.stdout.splitlines()
    return "\n".join(output), json.loads(imported)


def test_plugins_answers_from_the_manifest_without_importing_plugin_classes(tmp_path):
    home = tmp_path / "home"
    first, imported = run_plugins(home, "--json")
    # No manifest yet: the hooks ran, imported the classes and built their models.
    assert {"pydantic", "clockwork.resource", "clockwork_files.resource"} <= set(imported)

    # A source file changed a moment ago is not trusted until it settles, and one that
    # changes between two runs (someone editing the workspace) makes the next run build
    # anew: try a few times for two runs in a row with nothing changing.
    second, imported = "", ["no manifest was written"]
    for _ in range(5):
        if list((home / "cache" / "plugins").glob("*.json")):
            second, imported = run_plugins(home, "--json")
            if not imported:
                break
        time.sleep(RACY_SECONDS)
        first, _ = run_plugins(home, "--json")
    table, table_imported = run_plugins(home)

    assert second == first
    assert imported == table_imported == []
    listed = {entry["name"]: entry for entry in json.loads(second)}
    assert "FileResource" in listed["clockwork-files"]["resources"]
    assert "clockwork-files" in table and "FileResource" in table
