"""Shared fixtures for clockwork-cli's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clockwork.settings import clear_settings_cache


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    """Settings are cached per folder: never let one test see another's."""
    clear_settings_cache()
    yield
    clear_settings_cache()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CW_* (or Pulumi passphrase) variable from the developer's shell leaks in."""
    for key in list(os.environ):
        if key.upper().startswith("CW_") or key.upper() == "PULUMI_CONFIG_PASSPHRASE":
            monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def no_pulumi_cli(clean_env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                  ) -> Path:
    """A clean environment where the Pulumi CLI is nowhere to be found: PATH is an empty
    folder and CW_HOME (where `clockwork setup` installs it) another. Returns CW_HOME."""
    empty_bin = tmp_path_factory.mktemp("empty-bin")
    home = tmp_path_factory.mktemp("cw-home")
    clean_env.setenv("PATH", str(empty_bin))
    clean_env.setenv("CW_HOME", str(home))
    return home
