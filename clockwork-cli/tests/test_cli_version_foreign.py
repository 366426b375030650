"""`clockwork version` names projects that only share Clockwork's names on PyPI: the
`clockwork` time toolkit and an unrelated `clockwork-cli`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clockwork_cli.main import build_cli


def fake_distribution(site: Path, name: str, version: str, requires: list[str]) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


@pytest.fixture
def foreign_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    fake_distribution(site, "clockwork", "0.3.0", [])
    fake_distribution(site, "clockwork-cli", "1.4.2", ["click"])
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    return site


def test_version_warns_about_foreign_distributions(foreign_site: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["version"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: clockwork 0.3.0 is installed here: an unrelated project that also installs "
        "a `clockwork` module and can shadow clockwork-core's: `pip uninstall clockwork`",
        "warning: clockwork-cli 1.4.2 is installed here: not Clockwork's CLI but an unrelated "
        "project of that name on PyPI: uninstall it and install Clockwork's from its "
        "repository",
    ]
    assert "clockwork-core" in result.stdout  # ours are still listed


def test_version_json_marks_them_foreign(foreign_site: Path) -> None:
    listed = json.loads(CliRunner().invoke(build_cli(), ["version", "--json"]).stdout)
    foreign = {entry["name"] for entry in listed if "foreign" in entry}
    assert foreign == {"clockwork 0.3.0", "clockwork-cli 1.4.2"}
    assert any(entry["name"] == "clockwork-core" and "version" in entry for entry in listed)


def test_our_own_distributions_are_not_foreign() -> None:
    from clockwork.plugins import foreign_distributions

    assert foreign_distributions() == {}
