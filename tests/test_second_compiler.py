"""The compiler contract (`register_compilers`), with a second compiler deployed through
the real Pulumi engine: `factory(settings)` returns an object whose
`build_program(ordered_resources)` gives a Pulumi inline program (a function of no
arguments); Clockwork evaluates it in-process for `plan` and runs it through the
Automation API for `apply`, `destroy` and previews."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clockwork import hookimpl
from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork


class StampingCompiler:
    """Compiles as core's compiler does, and stamps the stack with who compiled it."""

    def __init__(self, settings: Any):
        from clockwork.compiler import PulumiCompiler

        self.inner = PulumiCompiler()

    def build_program(self, ordered: Any) -> Any:
        program = self.inner.build_program(ordered)

        def stamped() -> None:
            import pulumi

            program()
            pulumi.export("compiled_by", "stamping")

        return stamped


class StampingPlugin:
    @hookimpl
    def register_compilers(self, register):
        register("stamping", StampingCompiler)


@pytest.fixture(autouse=True)
def stamping(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    clean_env.setenv("CW_COMPILER", "stamping")
    with plugin_host(StampingPlugin(), entry_points=True):
        yield


def test_plan_evaluates_the_chosen_compilers_program(tmp_path: Path, no_pulumi_cli: Path) -> None:
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource
        f = FileResource(name="a.txt", description="d", content="a")
    """)
    )
    plan = json.loads(clockwork("plan", str(tmp_path / "main.py"), "--json").stdout)
    assert [r["name"] for r in plan["pulumi_resources"]] == ["a.txt"]


@pytest.mark.pulumi_cli
def test_apply_deploys_the_chosen_compilers_program(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""
        from clockwork_files import FileResource
        f = FileResource(name="a.txt", description="d", content="a")
    """)
    )
    applied = json.loads(clockwork("apply", str(tmp_path / "main.py"), "--yes", "--json").stdout)
    assert applied["outputs"]["compiled_by"] == "stamping"
    assert (tmp_path / "a.txt").read_text() == "a"
    clockwork("destroy", str(tmp_path / "main.py"), "--yes")
    assert not (tmp_path / "a.txt").exists()


def test_an_unknown_compiler_is_a_usage_error(
    tmp_path: Path, no_pulumi_cli: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("CW_COMPILER", "nope")
    (tmp_path / "main.py").write_text("")
    result = clockwork("plan", str(tmp_path / "main.py"), code=2)
    assert "unknown compiler 'nope' (installed: pulumi, stamping)" in result.stderr
