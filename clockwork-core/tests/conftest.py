"""Shared fixtures for clockwork-core's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
