"""Output mode `auto` (the default): find how the model server gives structured output,
and remember it.

A model returns its values as a call of an output tool (`tool`), as JSON constrained by
a schema (`native`), or as plain JSON described in the instructions (`prompted`). Small
local models often fail at tool calls (with `tool_choice=required` a 0.5B model loops
until the timeout) while JSON-schema output works, and hosted models are best at tool
calls. So `auto` tries, in order:

- the mode remembered for this base URL and model, if any;
- on a local server (localhost, 127.0.0.1, ::1): native, prompted, tool;
- elsewhere: tool, native, prompted.

A mode fails fast: the completer (told `request.probing`) raises OutputModeFailed on the
first response in the wrong shape (text instead of the tool call, an answer that is not
JSON) or when the server refuses the mode, and the next mode is tried at once. Values
that are well-formed but rejected (a clashing volume, a bad image) are retried within
the mode as usual: they say nothing about the mode.

The mode that worked is remembered per base URL and model in `output-modes.json` in the
project's cache folder (`<project>/.clockwork/cache`, or CW_CACHE_DIR): later runs start
with it (with CW_CACHE_ENABLED=false nothing is kept). It lives with the project's
cache, not in the Clockwork home, so tests and throw-away projects never change what
another project remembers. Light module: no pydantic-ai import.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .cache import cache_dir_for
from .completer import (
    Completer,
    CompletionFailed,
    CompletionOutcome,
    CompletionRequest,
    OutputModeFailed,
)
from .redaction import without_credentials
from .settings import Settings

AUTO = "auto"
LOCAL_ORDER = ("native", "prompted", "tool")
HOSTED_ORDER = ("tool", "native", "prompted")
MODES = frozenset(LOCAL_ORDER)
MEMORY_FILE_NAME = "output-modes.json"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def is_local_url(url: str) -> bool:
    return (urlparse(url).hostname or "") in LOCAL_HOSTS


@dataclass(frozen=True)
class ModeMemory:
    """The output mode that worked, per (base URL, model), in one small JSON file."""

    path: Path

    @classmethod
    def for_project(cls, project_dir: Path, settings: Settings) -> ModeMemory:
        """In the project's cache folder (CW_CACHE_DIR or `<project>/.clockwork/cache`)."""
        return cls(cache_dir_for(project_dir, settings) / MEMORY_FILE_NAME)

    def recall(self, base_url: str, model: str) -> str | None:
        mode = self._read().get(_key(base_url, model))
        return mode if mode in MODES else None  # a hand-edited file cannot pick a bad mode

    def remember(self, base_url: str, model: str, mode: str) -> None:
        known = self._read()
        if known.get(_key(base_url, model)) == mode:
            return
        known[_key(base_url, model)] = mode
        self._write(known)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or corrupt: nothing remembered, auto probes again
        if not isinstance(data, dict):
            return {}
        return {str(key): value for key, value in data.items() if isinstance(value, str)}

    def _write(self, known: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Atomic: a run interrupted mid-write leaves the old file, never half of one.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(known, file, indent=2, sort_keys=True)
        os.replace(temporary, self.path)


def _key(base_url: str, model: str) -> str:
    # The server without its credentials: a password in CW_BASE_URL is never stored.
    return f"{without_credentials(base_url).rstrip('/')} {model}"


@dataclass(frozen=True)
class ModePlan:
    """Which output modes one run uses: the configured one, or auto's order."""

    configured: str
    base_url: str
    model: str
    memory: ModeMemory
    keep: bool = True  # remember what worked (not with CW_CACHE_ENABLED=false: nothing is kept)

    @property
    def remembered(self) -> str | None:
        return self.memory.recall(self.base_url, self.model) if self.configured == AUTO else None

    def order(self) -> list[str]:
        if self.configured != AUTO:
            return [self.configured]
        default = LOCAL_ORDER if is_local_url(self.base_url) else HOSTED_ORDER
        first = self.remembered
        return [first, *(mode for mode in default if mode != first)] if first else list(default)

    def remember(self, mode: str) -> None:
        if self.configured == AUTO and self.keep:
            self.memory.remember(self.base_url, self.model, mode)

    def describe(self) -> dict[str, str | None]:
        """For `clockwork show`: the configured mode and, for auto, the remembered one."""
        return {"configured": self.configured, "remembered": self.remembered}

    @classmethod
    def for_project(cls, project_dir: Path, settings: Settings) -> ModePlan:
        memory = ModeMemory.for_project(project_dir, settings)
        return cls(
            settings.output_mode, settings.base_url, settings.model, memory, settings.cache_enabled
        )


def mode_line(described: dict[str, str | None]) -> str:
    """`clockwork show`'s line about the output mode."""
    configured = described.get("configured")
    if configured != AUTO:
        return f"output mode: {configured}"
    remembered = described.get("remembered")
    if remembered is None:
        return "output mode: auto (none remembered yet for this server and model)"
    return f"output mode: auto, using {remembered} (remembered for this server and model)"


async def complete_in_modes(
    completer: Completer, request: CompletionRequest, plan: ModePlan
) -> CompletionOutcome:
    """`completer.complete(request)` in the plan's modes, the next one as soon as one
    fails as a mode; sets `request.output_mode` to the mode that worked."""
    if plan.configured != AUTO:
        return await completer.complete(request)
    calls = 0
    failures: list[str] = []
    for mode in plan.order():
        request.output_mode, request.probing = mode, True
        try:
            outcome = await completer.complete(request)
        except OutputModeFailed as failure:
            calls += failure.model_calls
            failures.append(f"{mode}: {failure}")
            continue
        except CompletionFailed as failure:
            failure.model_calls += calls
            raise
        plan.remember(mode)
        outcome.model_calls += calls
        return outcome
    raise CompletionFailed(
        "no output mode worked (CW_OUTPUT_MODE=auto tried " + "; ".join(failures) + ")", calls
    )
