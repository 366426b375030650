"""Load a user's main.py and collect the resources it declares.

main.py runs with stdout sent to stderr: what it prints while loading (a debugging
`print()`, a chatty module it imports) never mixes with a command's report.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ClockworkError, ProjectError
from .folders import main_py_path
from .graph import check_unique_names, topological_order
from .plugins import Registry, distribution_of_module
from .resource import Resource


@dataclass
class Project:
    main_path: Path
    directory: Path
    resources: list[Resource]  # every resource, in deployment order

    @property
    def roots(self) -> list[Resource]:
        """Top-level resources: those that are nobody's child."""
        return [r for r in self.resources if r.parent is None]

    def find(self, name: str) -> Resource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise ProjectError(f"no resource named {name!r} in {self.main_path.name}")


def load_project(
    main_path: str | Path | None = None, *, registry: Registry | None = None
) -> Project:
    """Run main.py, collect its resources and order them.

    With a `registry`, every resource type must come from a loaded plugin (or from the
    project's own code): a type whose plugin is installed but not loaded is an error.
    """
    path = main_py_path(main_path)
    if not path.is_file():
        raise ProjectError(f"{path}: no such file (give the path of your main.py)")
    module = _run_main(path)
    found = list(_resources_in(vars(module).values()))
    resources = topological_order(found)
    check_unique_names(resources)
    assign_declared_keys(resources)
    for resource in resources:
        if resource.parent is None:  # a root: binds its whole tree
            resource.bind_to_project(path.parent)
    if registry is not None:
        for resource in resources:
            _check_type_available(type(resource), registry, module.__name__)
    return Project(main_path=path, directory=path.parent, resources=resources)


def assign_declared_keys(resources: list[Resource]) -> None:
    """Give each resource its `declared_key`: its address, plus `#k` for an unnamed
    one (its place, from 1, in declaration order among the unnamed at that address),
    so a new unnamed resource added below the others leaves their keys alone."""
    unnamed_seen: dict[str, int] = {}
    for resource in sorted(resources, key=lambda r: r._seq):
        address = resource.address()
        if resource.name is not None:
            resource._declared_key = address
            continue
        unnamed_seen[address] = unnamed_seen.get(address, 0) + 1
        resource._declared_key = f"{address}#{unnamed_seen[address]}"


def _module_name(path: Path) -> str:
    return "clockwork_main_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]


# Modules main.py imported from its own folder: forgotten before the next load, so a
# reload re-runs them (fresh resources) and another project's same-named module is not
# mistaken for them.
_neighbour_modules: set[str] = set()


def _run_main(path: Path) -> ModuleType:
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    for stale in _neighbour_modules:
        sys.modules.pop(stale, None)
    _neighbour_modules.clear()
    before = set(sys.modules)
    sys.modules[name] = module  # pydantic and dataclasses look classes' modules up here
    sys.path.insert(0, str(path.parent))  # main.py may import its neighbours
    try:
        # What main.py (or a module it imports) prints goes to stderr: stdout carries
        # the command's report, which `--json` must keep parseable.
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        line = (error.text or "").strip()
        shown = f": {line}" if line else ""
        where = error.filename or path  # the error may be in a module main.py imports
        raise ProjectError(f"{where}:{error.lineno}: syntax error: {error.msg}{shown}") from None
    except BaseException as error:
        sys.modules.pop(name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        # A main.py that exits is an error like any other: it must never end a run
        # with an exit status (or empty output) that hides what plan or assert found.
        raise ProjectError(_describe_failure(path, error)) from None
    finally:
        sys.path.remove(str(path.parent))
        _neighbour_modules.update(_imported_from(path.parent, set(sys.modules) - before))
    return module


def _imported_from(folder: Path, names: set[str]) -> set[str]:
    """Those of the modules `names` that were found in `folder` itself (not in, say, a
    virtualenv inside it)."""
    found = set()
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file:
            continue
        try:
            first = Path(file).resolve().relative_to(folder).parts[0]
        except ValueError:
            continue
        top = name.split(".")[0]
        if first in (top, f"{top}.py"):
            found.add(name)
    return found


def _describe_failure(path: Path, error: BaseException) -> str:
    line = _last_line_in(path, error)
    where = f"{path}:{line}" if line else str(path)
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    if missing and missing.startswith("clockwork_"):
        return f"{where}: {_missing_plugin_message(path, missing)}"
    if isinstance(error, ClockworkError):
        return f"{where}: {error}"
    if isinstance(error, SystemExit):
        return f"{where}: main.py called sys.exit({error.code!r}); a project may not exit"
    return f"{where}: {type(error).__name__}: {error}"


def _last_line_in(path: Path, error: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return line


def _missing_plugin_message(path: Path, module: str) -> str:
    distribution = module.split(".")[0].replace("_", "-")
    names = _names_imported_from(path, module.split(".")[0])
    if not names:
        what = f"module {module} comes"
    elif len(names) == 1:
        what = f"resource type {names[0]} comes"
    else:
        what = f"{', '.join(names)} come"
    return f"{what} from {distribution}, which is not installed (pip install {distribution})"


def _names_imported_from(path: Path, package: str) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package
        for alias in node.names
    ]


def _resources_in(values: Any, depth: int = 0) -> Any:
    """Resources among `values`, looking into lists, tuples, sets and dicts too."""
    for value in values:
        if isinstance(value, Resource):
            yield value
        elif depth < 4 and isinstance(value, list | tuple | set | frozenset):
            yield from _resources_in(value, depth + 1)
        elif depth < 4 and isinstance(value, dict):
            yield from _resources_in(value.values(), depth + 1)


def _check_type_available(cls: type[Resource], registry: Registry, main_module: str) -> None:
    registered = registry.resources.get(cls.type_name())
    if registered is not None and registered.value is cls:
        return
    distribution = distribution_of_module(cls.__module__)
    if cls.__module__ == main_module or distribution is None:
        return  # a type the project defines itself needs no plugin
    if registered is not None:
        raise ProjectError(
            f"resource type {cls.type_name()} from {distribution} clashes with the one "
            f"{registered.distribution} registers"
        )
    raise ProjectError(
        f"resource type {cls.type_name()} comes from {distribution}, which is not enabled "
        f"(it is installed but not loaded: check CW_PLUGINS and the warnings above)"
    )
