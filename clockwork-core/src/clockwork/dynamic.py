"""Dynamic providers as the engine runs them: in another Python process.

Pulumi pickles a dynamic provider (with dill) into the resource's `__provider` input;
the provider process unpickles it. Classes are pickled by reference to their module,
so that process must be able to import it. Site-packages are shared (the engine runs
Clockwork's interpreter) and so is the project folder (on its PYTHONPATH): a module
beside main.py works. main.py itself is run by Clockwork under a name of its own,
which no other process can import: a provider defined there is refused up front, with
the fix, instead of failing inside the engine after other resources were deployed.
"""

from __future__ import annotations

import base64
import pickletools
from collections.abc import Iterable
from typing import Any

from .errors import ProjectError

MAIN_MODULE_PREFIX = "clockwork_main_"  # the loader's name for a main.py


def provider_payload(inputs: dict[str, Any]) -> bytes | None:
    """The pickled provider of a registered resource's inputs, or None."""
    serialized = inputs.get("__provider")
    if isinstance(serialized, dict):  # marked secret: {<secret signature>, "value": ...}
        serialized = serialized.get("value")
    if not isinstance(serialized, str):
        return None
    return base64.b64decode(serialized)


def modules_referenced(payload: bytes) -> set[str]:
    """Every module a pickle imports when loaded, read without loading it."""
    modules: set[str] = set()
    strings: list[str] = []  # STACK_GLOBAL takes module and name from the last two
    for opcode, argument, _ in pickletools.genops(payload):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(str(argument))
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            modules.add(strings[-2])
        elif opcode.name in ("GLOBAL", "INST"):
            modules.add(str(argument).split(" ", 1)[0])
    return modules


def check_providers_importable(registered: Iterable[Any]) -> None:
    """Refuse a dynamic provider whose class lives in main.py (see the module doc)."""
    for resource in registered:
        payload = provider_payload(resource.inputs)
        if payload is None:
            continue
        if any(module.startswith(MAIN_MODULE_PREFIX) for module in modules_referenced(payload)):
            raise ProjectError(
                f"{resource.name}: its dynamic provider is defined in main.py, which the "
                "engine's provider process cannot import; move the provider class into a "
                "module beside main.py (e.g. providers.py) and import it from there"
            )
