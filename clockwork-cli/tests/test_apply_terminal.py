"""`clockwork apply` on a real terminal (a pseudo-terminal): it shows what will change,
property by property, and deploys only after the user says yes. Through the installed
console script and the real Pulumi engine (marked `pulumi_cli`)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

CLOCKWORK_SCRIPT = Path(sys.executable).parent / "clockwork"


def read_until(fd: int, wanted: str, limit_s: float = 120) -> str:
    """What the terminal shows until `wanted` appears (or the process ends)."""
    seen = ""
    deadline = time.monotonic() + limit_s
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096).decode(errors="replace")
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def run_on_a_terminal(project: Path, answer: str) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CW_") or k == "CW_HOME"}
    process = subprocess.Popen(
        [str(CLOCKWORK_SCRIPT), "apply", "main.py"],
        cwd=project,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    try:
        shown = read_until(controller, "Deploy these changes?")
        os.write(controller, answer.encode())
        shown += read_until(controller, "\x00", limit_s=120)  # everything until it exits
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return code, shown.replace("\r\n", "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource

        notes = FileResource(name="notes.txt", description="d", content="hello\\n")
    """)
    )
    return folder


@pytest.mark.pulumi_cli
def test_apply_shows_the_changes_and_deploys_after_yes(project: Path) -> None:
    code, shown = run_on_a_terminal(project, "y\n")
    assert code == 0, shown
    assert "+ notes.txt (pulumi-python:dynamic/clockwork:File) create" in shown
    assert '    content: - → "hello\\n"' in shown
    assert (project / "notes.txt").read_text() == "hello\n"


@pytest.mark.pulumi_cli
def test_apply_deploys_nothing_when_the_user_says_no(project: Path) -> None:
    code, shown = run_on_a_terminal(project, "n\n")
    assert code == 2, shown
    assert "nothing deployed" in shown
    assert not (project / "notes.txt").exists()
