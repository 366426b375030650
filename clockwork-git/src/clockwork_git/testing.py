"""Helpers for tests that run git: commits work without the user's config, and that
config cannot change results. Light module."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Environment(Protocol):
    """What `isolate_git_config` needs of pytest's MonkeyPatch."""

    def setenv(self, name: str, value: str) -> None: ...


def isolate_git_config(env: Environment, folder: Path) -> None:
    """git reads only a config written in `folder` (default branch `main`) and commits
    as a fixed test author."""
    config = folder / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    env.setenv("GIT_CONFIG_GLOBAL", str(config))
    env.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        env.setenv(f"GIT_{role}_NAME", "Clockwork Test")
        env.setenv(f"GIT_{role}_EMAIL", "test@clockwork.invalid")
