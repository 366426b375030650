"""Every plugin has the same layout, and its modules import one way.

The layout of a plugin package `clockwork_<name>`:

- `specs.py`: shared parsing and constants; plain Python, imports no sibling module.
- `resource.py`: the model; imports specs (and helper modules).
- `program.py` or `provider.py`: what the model compiles to (Pulumi resources or a
  dynamic provider; imports pulumi); may import the model, specs and helpers.
- `assertions.py`: may import the model, specs and helpers, never the compile module.
- `policies.py`: the rules on AI-chosen values; like assertions, it may import the
  model, specs and helpers, never the compile module.
- `plugin.py`: the hooks; imports its classes inside them, nothing of its own at
  module level (`clockwork --help` loads it).
- anything else is a helper (running a CLI: `git.py`, `docker_cli.py`): specs only.

So imports go specs <- resource <- program/provider. The only import against that
direction is the model's own `to_pulumi`, which imports its compile module inside the
function: no module-level circle. Module level here means everything that runs when
the module is imported, `if TYPE_CHECKING:` blocks included; only function bodies are
lazy. Checked on the source (ast), so nothing is imported.

The packages' `__init__` export lazily (`clockwork.lazy.lazy_exports`) and give type
checkers the same names through `if TYPE_CHECKING:` imports: the two must agree.
"""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = {
    "clockwork_files": ROOT / "clockwork-files" / "src" / "clockwork_files",
    "clockwork_docker": ROOT / "clockwork-docker" / "src" / "clockwork_docker",
    "clockwork_git": ROOT / "clockwork-git" / "src" / "clockwork_git",
    "clockwork_apple": ROOT / "clockwork-apple" / "src" / "clockwork_apple",
}
CORE = ("clockwork", ROOT / "clockwork-core" / "src" / "clockwork")
COMPILE_MODULES = ("program", "provider")
SPECS_MODULE: dict[str, str] = {}  # a plugin whose shared parsing has another name
NOT_YET_TYPED: set[str] = set()  # plugins whose __init__ has no TYPE_CHECKING imports

# Which roles a module may import at module level, and, in addition, inside functions.
MODULE_LEVEL = {
    "specs": set(),
    "helper": {"specs"},
    "resource": {"specs", "helper"},
    "compile": {"specs", "helper", "resource"},
    "assertions": {"specs", "helper", "resource"},
    "policies": {"specs", "helper", "resource"},
    "plugin": set(),
}
LAZY = {
    "resource": {"compile"},  # to_pulumi
    # the hooks; a helper such as clockwork_docker.engine_source (how setup builds its
    # engine plugin) is what `register_engine_plugins` registers
    "plugin": {"resource", "assertions", "policies", "helper"},
}


def _plugin_params(pending: set[str], reason: str) -> list:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
        if name in pending
        else name
        for name in PLUGINS
    ]


def specs_module(package: str) -> str:
    return SPECS_MODULE.get(package, "specs")


def parsed_modules(folder: Path) -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(folder.glob("*.py"))
    }


def lazy_table(init: ast.Module) -> dict[str, str]:
    """The `{name: ".module"}` literal passed to lazy_exports in a package's __init__."""
    for node in ast.walk(init):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_exports"
        ):
            return ast.literal_eval(node.args[1])
    raise AssertionError("no lazy_exports(...) call in __init__")


def type_checking_imports(init: ast.Module) -> dict[str, str]:
    """{name: ".module"} of the `from .module import Name as Name` lines under
    `if TYPE_CHECKING:`."""
    found: dict[str, str] = {}
    for node in init.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.level == 1, (
                    f"only `from .module import Name as Name` under TYPE_CHECKING: "
                    f"{ast.unparse(statement)}"
                )
                for alias in statement.names:
                    assert alias.asname == alias.name, (
                        f"re-export {alias.name} as itself (`import {alias.name} as "
                        f"{alias.name}`) so type checkers see it as exported"
                    )
                    found[alias.name] = f".{statement.module}"
    return found


def sibling_imports(
    tree: ast.Module, package: str, siblings: set[str], exports: dict[str, str]
) -> list[tuple[str, int, bool]]:
    """(sibling module, line, lazy) for each import of a module of the same package;
    lazy: inside a function body. `from package import Name` goes to the module that
    defines Name (the lazy exports)."""
    found: list[tuple[str, int, bool]] = []

    def targets(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Import):
            parts = [alias.name.split(".") for alias in node.names]
            return [p[1] for p in parts if len(p) > 1 and p[0] == package]
        if not isinstance(node, ast.ImportFrom) or node.level > 1:
            return []
        module = node.module or ""
        if node.level == 0:
            if module != package and not module.startswith(f"{package}."):
                return []
            module = module.removeprefix(package).removeprefix(".")
        if module:
            return [module.split(".")[0]]
        names = [alias.name for alias in node.names]
        return [name if name in siblings else exports.get(name, "").lstrip(".") for name in names]

    def visit(node: ast.AST, lazy: bool) -> None:
        for module in targets(node):
            if module in siblings:
                found.append((module, getattr(node, "lineno", 0), lazy))
        inside = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def role(package: str, module: str) -> str:
    if module == specs_module(package):
        return "specs"
    if module in COMPILE_MODULES:
        return "compile"
    if module in ("resource", "assertions", "policies", "plugin"):
        return module
    return "helper"


def import_graph(package: str) -> dict[str, list[tuple[str, int, bool]]]:
    """module -> its imports of siblings (the package __init__ left out: it is the
    package's face, importing nothing at run time)."""
    modules = parsed_modules(PLUGINS[package])
    exports = lazy_table(modules["__init__"])
    siblings = set(modules) - {"__init__"}
    return {
        name: sibling_imports(tree, package, siblings, exports)
        for name, tree in modules.items()
        if name != "__init__"
    }


# ----- the files ------------------------------------------------------------------------


@pytest.mark.parametrize("package", list(PLUGINS))
def test_plugin_has_the_standard_modules(package: str) -> None:
    present = {path.stem for path in PLUGINS[package].glob("*.py")}
    required = {"__init__", "resource", "assertions", "plugin", specs_module(package)}
    assert required <= present, f"{package} lacks {sorted(required - present)}"
    compile_modules = [name for name in COMPILE_MODULES if name in present]
    assert len(compile_modules) == 1, (
        f"{package} needs exactly one of program.py / provider.py, has {compile_modules}"
    )


@pytest.mark.parametrize(
    "package",
    _plugin_params(set(SPECS_MODULE), "clockwork-git keeps its shared parsing in validation.py"),
)
def test_shared_parsing_lives_in_specs(package: str) -> None:
    assert (PLUGINS[package] / "specs.py").is_file()


# ----- the imports ----------------------------------------------------------------------


@pytest.mark.parametrize("package", list(PLUGINS))
def test_module_level_imports_have_no_circle(package: str) -> None:
    graph = import_graph(package)
    sorter = graphlib.TopologicalSorter(
        {
            module: {target for target, _, lazy in imports if not lazy}
            for module, imports in graph.items()
        }
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"{package}: module-level import circle {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("package", list(PLUGINS))
def test_specs_imports_no_sibling(package: str) -> None:
    specs = specs_module(package)
    assert import_graph(package)[specs] == [], f"{package}.{specs} imports a sibling module"


@pytest.mark.parametrize("package", list(PLUGINS))
def test_imports_go_one_way(package: str) -> None:
    wrong = []
    for module, imports in import_graph(package).items():
        source = role(package, module)
        for target, line, lazy in imports:
            allowed = MODULE_LEVEL[source] | (LAZY.get(source, set()) if lazy else set())
            if role(package, target) not in allowed:
                where = "inside a function" if lazy else "at module level"
                wrong.append(f"{module}.py:{line} imports {target} {where}")
    assert wrong == [], f"{package}: imports against specs <- resource <- program/provider"


def test_the_checks_see_a_circle_and_a_wrong_direction() -> None:
    # Guards the parser itself: relative, `from . import x`, absolute, lazy and
    # TYPE_CHECKING imports are all found.
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from . import specs\n"
        "from clockwork_x.program import thing\n"
        "from clockwork_x import Model\n"
        "if TYPE_CHECKING:\n"
        "    from .assertions import Check\n"
        "def to_pulumi():\n"
        "    from .program import build\n"
    )
    siblings = {"specs", "program", "resource", "assertions"}
    found = sibling_imports(tree, "clockwork_x", siblings, {"Model": ".resource"})
    assert found == [
        ("specs", 2, False),
        ("program", 3, False),
        ("resource", 4, False),
        ("assertions", 6, False),
        ("program", 8, True),
    ]


# ----- the package faces ----------------------------------------------------------------


@pytest.mark.parametrize(
    "package",
    [CORE[0], *_plugin_params(NOT_YET_TYPED, "clockwork-git's __init__ is not typed yet")],
)
def test_lazy_exports_are_visible_to_type_checkers(package: str) -> None:
    folder = CORE[1] if package == CORE[0] else PLUGINS[package]
    init = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    assert type_checking_imports(init) == lazy_table(init)


def test_lazy_exports_load_on_first_use() -> None:
    packages = [CORE[0], *PLUGINS]
    probe = f"""\
import importlib, json, sys
packages = {packages!r}
for name in packages:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pulumi")
                or (m.split(".")[0] in packages and "." in m and not m.endswith(".lazy")))
result = {{"loaded": loaded, "all": {{}}, "missing": []}}
for name in packages:
    package = sys.modules[name]
    result["all"][name] = list(package.__all__)
    for export in package.__all__:
        getattr(package, export)
    try:
        package.no_such_name
    except AttributeError:
        pass
    else:
        result["missing"].append(name)
print(json.dumps(result))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["loaded"] == []  # importing the packages loaded none of their modules
    for name, exported in result["all"].items():
        folder = CORE[1] if name == CORE[0] else PLUGINS[name]
        table = lazy_table(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert exported == sorted(table)
    assert result["missing"] == []
