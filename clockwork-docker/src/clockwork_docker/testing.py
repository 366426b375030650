"""Helpers for tests that deploy containers through the real engine: busybox images
built offline (`docker import` of a rootfs, never pulled) and the checks that say why
a deploy cannot run here. Light module: imported by tests only."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static
HTTPD = '["/bin/httpd", "-f", "-p", "80", "-h", "/www"]'  # serves /www on port 80


def docker(
    *args: str, check: bool = True, stdin: IO[Any] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=120, stdin=stdin
    )


def require_docker_deploys() -> None:
    """Skip, saying exactly why, where a container cannot be deployed through the
    engine (a missing engine plugin fails instead under CW_REQUIRE_PULUMI=1)."""
    import pytest

    from clockwork.testing import require_engine_plugins

    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.skip("no Docker engine answers `docker info`")
    require_engine_plugins(["docker:index/container:Container"])
    if not BUSYBOX.is_file():
        pytest.skip(f"needs {BUSYBOX} (busybox-static) to build the test images offline")


def busybox_rootfs(
    folder: Path, applets: Iterable[str], files: Mapping[str, str] | None = None
) -> Path:
    """A root file system in `folder`: busybox as /bin/busybox with `applets` linked to
    it, and `files` (path inside → text)."""
    (folder / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, folder / "bin" / "busybox")
    for applet in applets:
        (folder / "bin" / applet).symlink_to("busybox")
    for inside, text in (files or {}).items():
        (folder / inside).parent.mkdir(parents=True, exist_ok=True)
        (folder / inside).write_text(text)
    return folder


def import_image(rootfs: Path, tag: str, command: str) -> None:
    """`rootfs` as the local image `tag`, running `command` (a JSON list) by default."""
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    docker("import", "--change", f"CMD {command}", "-", tag, stdin=tar.stdout)
    tar.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
