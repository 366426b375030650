"""`clockwork` starts light: listing commands and plugins imports no heavy SDK.

Each check runs in a fresh interpreter, with every installed plugin enabled, so a
plugin that imports pulumi or pydantic-ai at module level makes it fail too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY_EVERYWHERE = ("pulumi", "pydantic_ai")

# Runs the CLI in-process with the given arguments, then prints (as the last stdout
# line) which of the watched top-level packages got imported.
PROBE = """\
import json, sys
from clockwork_cli.main import cli

try:
    cli.main(sys.argv[2:], prog_name="clockwork")
except SystemExit as exit:
    if exit.code not in (0, None):
        raise
watched = set(json.loads(sys.argv[1]))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & watched)))
"""


def imported_by(args: list[str], watched: tuple[str, ...], **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CW_")}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watched), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_help_imports_neither_sdks_nor_rich_nor_pydantic() -> None:
    # Plugin modules register their classes inside the hooks, so listing commands
    # builds no model at all.
    assert imported_by(["--help"], (*HEAVY_EVERYWHERE, "rich", "pydantic", "libcst")) == []


@pytest.mark.parametrize("args", [["plugins"], ["plugins", "--json"], ["version"]])
def test_listing_commands_import_no_sdk(args: list[str]) -> None:
    assert imported_by(args, HEAVY_EVERYWHERE) == []


def test_only_freeze_imports_libcst() -> None:
    assert imported_by(["freeze", "--help"], ("libcst",)) == []


def test_probe_would_notice_a_heavy_import(tmp_path: Path) -> None:
    # Guards the check itself: without a plugin manifest (a fresh CW_HOME), listing
    # plugins runs their hooks, which load their models, and the probe sees it.
    assert imported_by(["plugins"], ("pydantic",), CW_HOME=str(tmp_path)) == ["pydantic"]
