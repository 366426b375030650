"""Every example in examples/ loads, and a fully specified one plans in-process.

Plugins come from the installed entry points, as for a user. The Pulumi CLI is hidden
(PATH and CW_HOME point at empty folders) so a plan never previews against, or writes,
state inside the repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clockwork import pipeline
from clockwork.settings import clear_settings_cache
from clockwork.testing import plugin_host

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAINS = sorted(EXAMPLES.glob("*/main.py"))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.upper().startswith("CW_") or key.upper() == "PULUMI_CONFIG_PASSPHRASE":
            monkeypatch.delenv(key, raising=False)
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("CW_HOME", str(tmp_path / "cw-home"))
    clear_settings_cache()
    with plugin_host(entry_points=True):
        yield
    clear_settings_cache()


def test_there_are_examples() -> None:
    assert MAINS, f"no examples/*/main.py under {EXAMPLES}"


@pytest.mark.parametrize("main", MAINS, ids=[m.parent.name for m in MAINS])
def test_example_loads_and_plans(main: Path) -> None:
    before = sorted(p.relative_to(main.parent) for p in main.parent.rglob("*")
                    if "__pycache__" not in p.parts)
    project = pipeline.load(main)
    assert project.resources, f"{main} declares no resources"

    if any(resource.needs_completion() for resource in project.resources):
        return  # planning it would need a model: loading is what can be checked here
    result = pipeline.plan(main)
    assert len(result.registered) >= 1
    assert result.preview is None and result.preview_skipped is not None
    json.dumps(result.to_dict())
    after = sorted(p.relative_to(main.parent) for p in main.parent.rglob("*")
                   if "__pycache__" not in p.parts)
    assert after == before  # planning an example leaves its folder as it was
