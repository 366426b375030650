"""Clones deployed through the real Pulumi engine (marked `pulumi_cli`): what only a
whole apply/destroy shows, against local bare repositories."""

from __future__ import annotations

import functools
import http.server
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import clockwork_git.plugin
from clockwork import ClockworkError, pipeline
from clockwork.pipeline import RunOptions
from clockwork.testing import plugin_host


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(autouse=True)
def engine_env(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    with plugin_host(clockwork_git.plugin, distribution="clockwork-git"):
        yield


def write_main(project: Path, url: str, dest: str = "vendor/r") -> Path:
    main = project / "main.py"
    main.write_text(
        textwrap.dedent(f"""
        from clockwork_git import GitRepoResource

        repo = GitRepoResource(name="r", repo_url={url!r}, dest={dest!r})
    """)
    )
    return main


def ops(result: pipeline.ApplyResult) -> dict[str, int]:
    assert result.engine is not None
    return {op: count for op, count in result.engine.changes.items() if count}


@pytest.mark.pulumi_cli
def test_the_same_repository_spelled_with_git_suffix_is_no_replace(remote, project):
    """Before: `…/remote` → `…/remote.git` compared as strings: the clone was deleted
    and cloned again, and what was in it was lost."""
    spelled_without = str(remote.bare).removesuffix(".git")
    main = write_main(project, spelled_without)
    pipeline.apply(main)
    clone = project / "vendor" / "r"
    assert (clone / "README.md").is_file()
    (clone / "MARKER.txt").write_text("the user's\n")
    inode = (clone / ".git").stat().st_ino

    again = pipeline.apply(write_main(project, str(remote.bare)))

    assert "replace" not in ops(again) and "create" not in ops(again)
    assert "delete" not in ops(again)
    assert (clone / "MARKER.txt").read_text() == "the user's\n"
    assert (clone / ".git").stat().st_ino == inode  # never cloned again
    (clone / "MARKER.txt").unlink()
    pipeline.destroy(main)
    assert not (project / "vendor").exists()


@pytest.mark.pulumi_cli
def test_destroy_keeps_a_clone_with_work_in_it_until_forced(remote, project):
    """Before: destroy deleted the clone with its uncommitted, untracked and unpushed
    work."""
    main = write_main(project, remote.url)
    pipeline.apply(main)
    clone = project / "vendor" / "r"
    (clone / "README.md").write_text("edited\n")
    (clone / "notes.txt").write_text("mine\n")
    (clone / "LOCAL.md").write_text("local\n")
    git("add", "LOCAL.md", cwd=clone)
    git("commit", "--quiet", "-m", "local work", cwd=clone)

    with pytest.raises(ClockworkError) as caught:
        pipeline.destroy(main)

    assert (
        f"{clone} has 1 uncommitted change, 1 untracked file and 1 unpushed commit; "
        "kept it: commit and push, or run with --force to delete it"
    ) in str(caught.value)
    assert (clone / "notes.txt").read_text() == "mine\n"
    assert (clone / "README.md").read_text() == "edited\n"
    assert git("log", "-1", "--format=%s", cwd=clone) == "local work"

    pipeline.destroy(main, options=RunOptions(force=True))
    assert not clone.exists() and not (project / "vendor").exists()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_remote(remote) -> Iterator[str]:
    """The bare repository served over git's dumb HTTP protocol on 127.0.0.1."""
    git("update-server-info", cwd=remote.bare)
    handler = functools.partial(QuietHandler, directory=str(remote.bare.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}/{remote.bare.name}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.pulumi_cli
def test_a_token_in_the_url_is_never_in_the_state_in_plain_text(http_remote, remote, project):
    """Before: repo_url and remote_url (with the token) were stored as plain strings."""
    token = "ghp_s3cretT0kenValue"
    main = write_main(project, f"http://user:{token}@{http_remote}")
    pipeline.apply(main)
    clone = project / "vendor" / "r"
    assert git("rev-parse", "HEAD", cwd=clone) == remote.sha("main")

    assert_no_plain_token(project, token)

    again = pipeline.apply(main)  # refreshed (read), diffed: still the real URL inside
    assert ops(again) == {"same": 2}
    assert_no_plain_token(project, token)
    pipeline.destroy(main)
    assert not clone.exists()


def assert_no_plain_token(project: Path, token: str) -> None:
    state = project / ".clockwork" / "state"
    files = [path for path in state.rglob("*") if path.is_file()]
    assert any(path.suffix == ".json" for path in files)
    assert [path for path in files if token.encode() in path.read_bytes()] == []
    assert any(b"ciphertext" in path.read_bytes() for path in files)


@pytest.mark.pulumi_cli
def test_a_clone_deleted_by_hand_is_cloned_again_on_the_next_apply(remote, project):
    """Refresh asks read(), which says the clone is gone: the engine creates it again
    (instead of trusting the state and fetching in a folder that is not there)."""
    main = write_main(project, remote.url)
    pipeline.apply(main)
    clone = project / "vendor" / "r"
    subprocess.run(["rm", "-rf", str(clone)], check=True)

    again = pipeline.apply(main)

    assert ops(again).get("create") == 1
    assert git("rev-parse", "HEAD", cwd=clone) == remote.sha("main")
    pipeline.destroy(main)
    assert not (project / "vendor").exists()
