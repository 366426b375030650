"""Imports inside clockwork-core go one way: the completer contract and the value
filling know nothing of loading or plugins, completion is handed the project and the
registry, and a completer backend needs only the contract (no circle through the
builtin plugin, the loader and the plugin host)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "src" / "clockwork"


def module_level_imports(module: str) -> set[str]:
    """The `clockwork` modules a module imports when it is imported (not inside
    functions, not under `if TYPE_CHECKING:`)."""
    tree = ast.parse((CORE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clockwork."):
            found.add(node.module.removeprefix("clockwork."))  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("completer", {"loader", "plugins", "completion", "pipeline"}),
        ("filling", {"loader", "plugins", "completion", "completer", "pipeline"}),
        ("completion", {"loader", "plugins", "pipeline"}),
        ("pydantic_ai_completer", {"completion", "loader", "plugins", "pipeline"}),
        ("prompts", {"loader", "plugins", "completion"}),
    ],
)
def test_completion_modules_import_downwards_only(module: str, forbidden: set[str]) -> None:
    assert module_level_imports(module) & forbidden == set()


def test_a_backend_finds_the_whole_contract_in_one_module() -> None:
    import clockwork.completer as contract

    for name in (
        "CompletionRequest",
        "CompletionOutcome",
        "Completer",
        "OutputRejected",
        "CompletionFailed",
        "values_of",
    ):
        assert name in contract.__all__ and hasattr(contract, name)


def test_undoing_a_proposal_restores_through_pydantic(tmp_path: Path) -> None:
    """The rollback sets values back through the model (no writes into __dict__):
    the field is unset again, validated, and no longer marked as the AI's."""
    from clockwork.filling import OutputRejected, apply_reversibly, restore
    from clockwork_files import FileResource

    notes = FileResource(name="notes.txt", description="d")
    before = apply_reversibly(notes, {"content": "x", "mode": "640"})
    assert notes.mode == "0640" and notes.ai_filled_fields == {"content", "mode"}
    restore(notes, before)
    assert notes.mode is None and notes.content is None
    assert notes.ai_filled_fields == frozenset()
    assert "mode" not in notes.model_fields_set and "content" not in notes.model_fields_set
    with pytest.raises(OutputRejected):
        apply_reversibly(notes, {"content": "x", "mode": "99"})  # not octal
    assert notes.mode is None and notes.content is None


def test_one_resolver_of_the_project_folder() -> None:
    """The loader, the pipeline, the cache commands and the CLI's plugin-settings
    lookup all go through clockwork.folders (no second copy of the rule)."""
    sources = {
        "loader": CORE / "loader.py",
        "pipeline": CORE / "pipeline.py",
        "cli": CORE.parents[2] / "clockwork-cli" / "src" / "clockwork_cli" / "main.py",
        "cache commands": CORE.parents[2]
        / "clockwork-cli"
        / "src"
        / "clockwork_cli"
        / "completion_commands.py",
    }
    for what, path in sources.items():
        text = path.read_text()
        assert "main_py_path" in text or "project_folder" in text, what
        assert ".expanduser().resolve()" not in text, f"{what} resolves the folder itself"


def test_pydantic_ais_first_run_banner_is_off_once_the_completer_loads() -> None:
    """Checked in a fresh interpreter, without the CI and pytest variables that would
    hide the banner anyway."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_VERSION")}
    probe = (
        "import pydantic_ai; before = pydantic_ai.BANNER_ENABLED; "
        "import clockwork.pydantic_ai_completer; print(before, pydantic_ai.BANNER_ENABLED)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.split() == ["True", "False"]
