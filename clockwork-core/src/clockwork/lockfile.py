"""`clockwork.lock`: what the AI chose, beside main.py, meant to be committed.

The cache (`.clockwork/cache`) is local to one machine; the lock is the reviewable,
pinnable record of every AI-filled value, so a teammate or CI with no model and an
empty cache completes main.py exactly as it was reviewed.

Format: JSON, sorted keys, two-space indent, one block per resource under
`"resources"`, keyed by the resource's `declared_key` (its address when the user named
it, else address + `#k`: an AI-chosen name is not known before completion). Each
block holds the values, who chose them (completer, model, output mode, prompt
template version), `inputs` (a sha256 of everything the model saw: the prompt
context and the fields asked for) and `input_hashes`, one short hash per part of
that context (each user-set field, the description, each connection, the parent...),
so a stale entry says WHICH input changed. Nothing in it depends on the time or the
machine: the same main.py and answers give the same bytes, and a diff of the lock is
what a reviewer reads.

Lookup order in completion: lock, then cache, then model. The inputs hash leaves the
model, base URL, output mode, completer and template version out: a teammate with
another model configuration still uses the locked values (the entry records which
model produced them). A locked entry whose inputs changed is stale: it is asked again
(offline: an error naming the changed input), and replaced when the lock is written.

Who writes it: `apply` (creating the file, like package-lock.json, when the project
has AI-filled values) and `clockwork lock`; plan, show and assert only read it (plan
shows the diff it would make). Written from `CompletionReport.store()`, so only values
that passed the project's checks are kept, and the whole lock is what this run
completed: values the user has since set in main.py, and resources no longer there,
drop out.

Secrets never go in: a resource whose AI-filled values hold one (a secret field, or a
secret-looking key of one) is left out and reported, with the advice to set it in
main.py; it is completed from the cache or the model as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .errors import UsageError
from .filling import OutputRejected, apply_completion
from .resource import Resource, looks_secret

LOCK_FILE_NAME = "clockwork.lock"
LOCK_FORMAT = 1
_ABOUT = (
    "What the AI chose for main.py, per resource. Written by `clockwork lock` and "
    "`clockwork apply`; commit it and review its diff."
)
_SHORT_HASH = 16  # per-input hashes only tell which input changed: short is enough


def lock_path_for(project_dir: Path) -> Path:
    return Path(project_dir) / LOCK_FILE_NAME


def lock_exists(project_dir: Path) -> bool:
    return lock_path_for(project_dir).is_file()


# ----- one entry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LockEntry:
    """What the AI chose for one resource, who chose it, and from what."""

    resource_type: str
    values: dict[str, Any]
    completer: str
    model: str
    output_mode: str
    template_version: str
    inputs: str
    input_hashes: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.resource_type,
            "values": self.values,
            "completer": self.completer,
            "model": self.model,
            "output_mode": self.output_mode,
            "template_version": self.template_version,
            "inputs": self.inputs,
            "input_hashes": self.input_hashes,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> LockEntry:
        """Strictly: a hand-edited or badly merged entry is a usage error naming it."""
        if not isinstance(data, dict):
            raise UsageError(f"{where}: expected an object, got {type(data).__name__}")
        texts = ("type", "completer", "model", "output_mode", "template_version", "inputs")
        for key in texts:
            if not isinstance(data.get(key), str):
                raise UsageError(f"{where}: {key!r} must be a string")
        values, hashes = data.get("values"), data.get("input_hashes")
        if not isinstance(values, dict):
            raise UsageError(f"{where}: 'values' must be an object")
        if not isinstance(hashes, dict) or not all(isinstance(h, str) for h in hashes.values()):
            raise UsageError(f"{where}: 'input_hashes' must map names to strings")
        return cls(
            resource_type=data["type"],
            values=values,
            completer=data["completer"],
            model=data["model"],
            output_mode=data["output_mode"],
            template_version=data["template_version"],
            inputs=data["inputs"],
            input_hashes=dict(hashes),
        )


# ----- the file -----------------------------------------------------------------------------


@dataclass
class LockFile:
    path: Path
    entries: dict[str, LockEntry] = field(default_factory=dict)
    exists: bool = False

    @classmethod
    def load(cls, path: Path) -> LockFile:
        """The lock at `path`; an empty one when there is none. A file that is not a
        lock (bad JSON, a merge conflict left in it) is a usage error naming it."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: cannot read the lock file: {error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            hint = " (a merge conflict left in it?)" if "<<<<<<<" in text else ""
            raise UsageError(f"{path}:{error.lineno}: not valid JSON{hint}: {error.msg}") from None
        if not isinstance(data, dict) or data.get("clockwork_lock") != LOCK_FORMAT:
            raise UsageError(f"{path}: not a clockwork.lock of format {LOCK_FORMAT}")
        resources = data.get("resources")
        if not isinstance(resources, dict):
            raise UsageError(f"{path}: 'resources' must be an object")
        entries = {
            key: LockEntry.from_json(value, f"{path}: entry {key!r}")
            for key, value in resources.items()
        }
        return cls(path, entries, exists=True)

    def render(self) -> str:
        """The file's text: deterministic, sorted, one block per resource."""
        data = {
            "about": _ABOUT,
            "clockwork_lock": LOCK_FORMAT,
            "resources": {key: self.entries[key].to_json() for key in sorted(self.entries)},
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self) -> None:
        """Replace the file in one step: a reader never sees half a lock."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(self.render(), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise UsageError(f"{self.path}: cannot write the lock file: {error}") from None
        self.exists = True


# ----- what the model saw -------------------------------------------------------------------


def input_hashes(context: Mapping[str, Any], output_type: type[BaseModel]) -> dict[str, str]:
    """One short hash per part of a prompt context (`PromptContext.as_dict()`) and of
    the fields asked for, so a changed input can be named. Each user-set field and each
    connection is a part of its own."""
    parts: dict[str, Any] = {}
    for key, value in context.items():
        if key == "user_fields":  # name and description are parts of their own already
            own = {name: item for name, item in value.items() if name not in context}
            parts.update({f"user_fields.{name}": item for name, item in own.items()})
        elif key == "connections":
            parts.update({f"connections.{index}": item for index, item in enumerate(value)})
        elif key != "fields_to_fill":
            parts[key] = value
    # What is asked for: names, types, descriptions and the constraints of the schema.
    parts["fields_to_fill"] = [context.get("fields_to_fill"), output_type.model_json_schema()]
    return {key: _digest(value)[:_SHORT_HASH] for key, value in sorted(parts.items())}


def inputs_digest(hashes: Mapping[str, str]) -> str:
    return "sha256:" + _digest(dict(hashes))


def _digest(value: Any) -> str:
    canonical = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_inputs(before: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """In words, which inputs differ: "user field 'ports' changed", "connection 1 was
    added"..."""
    reasons = []
    for key in sorted(set(before) | set(now)):
        if before.get(key) == now.get(key):
            continue
        verb = "was added" if key not in before else "was removed" if key not in now else "changed"
        if key.startswith("user_fields."):
            verb = "was set" if key not in before else verb
        reasons.append(f"{_input_label(key)} {verb}")
    return reasons


def _input_label(key: str) -> str:
    if key.startswith("user_fields."):
        return f"user field {key.removeprefix('user_fields.')!r}"
    if key.startswith("connections."):
        return f"connection {int(key.removeprefix('connections.')) + 1}"
    labels = {
        "fields_to_fill": "the fields to fill (or their types)",
        "type_doc": "the resource type's documentation",
        "resource_type": "the resource type",
        "ancestors": "an ancestor",
        "children": "a child",
        "siblings": "a sibling",
    }
    return labels.get(key, f"the {key}")


# ----- secrets ------------------------------------------------------------------------------


def secret_values_in(resource: Resource, values: Mapping[str, Any]) -> list[str]:
    """The AI-filled values that are secrets: a whole secret field, or the
    secret-looking keys (PASSWORD, TOKEN...) of a secret dict field."""
    found: list[str] = []
    for name in sorted(resource.secret_field_names() & set(values)):
        value = values[name]
        if isinstance(value, dict):
            found.extend(f"{name}.{key}" for key in sorted(value) if looks_secret(key))
        elif value is not None:
            found.append(name)
    return found


# ----- one run's use of the lock ------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """What the lock says about one resource: values to reuse, or why not."""

    entry: LockEntry | None = None  # set: reuse its values (inputs unchanged)
    stale: list[str] = field(default_factory=list)  # why the entry no longer fits


@dataclass
class LockChange:
    key: str
    change: str  # "added", "updated" or "removed"
    resource_type: str
    reasons: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "change": self.change,
            "type": self.resource_type,
            "reasons": self.reasons,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class LockChanges:
    """How this run's lock differs from the file: what a reviewer reads."""

    path: str
    exists: bool
    changes: list[LockChange]
    stale: dict[str, list[str]]
    unchanged: int
    not_locked: dict[str, str]  # key -> why it cannot be locked (a secret)
    written: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "exists": self.exists,
            "written": self.written,
            "changes": [change.to_dict() for change in self.changes],
            "stale": self.stale,
            "unchanged": self.unchanged,
            "not_locked": self.not_locked,
        }


class LockSession:
    """One completion run's use of a project's lock: looked up before the cache,
    recorded after each resource is completed, written (when the run may) once the
    project's checks passed."""

    def __init__(self, lock: LockFile, project_keys: Collection[str], *, write: bool):
        self.lock = lock
        self.write_allowed = write
        self.project_keys = set(project_keys)
        self.entries: dict[str, LockEntry] = {}  # the lock as this run leaves it
        self.stale: dict[str, list[str]] = {}
        self.asked_again: dict[str, str] = {}  # key -> why its entry was not looked up
        self.not_locked: dict[str, str] = {}
        self.written = False

    @classmethod
    def for_project(
        cls, project_dir: Path, resources: Iterable[Resource], *, write: bool
    ) -> LockSession:
        keys = [resource.declared_key for resource in resources]
        return cls(LockFile.load(lock_path_for(project_dir)), keys, write=write)

    def look_up(self, resource: Resource, hashes: Mapping[str, str]) -> Lookup:
        entry = self.lock.entries.get(resource.declared_key)
        if entry is None:
            return Lookup()
        if entry.resource_type != resource.type_name():
            reasons = [f"the resource type changed (was {entry.resource_type})"]
        elif entry.inputs != inputs_digest(hashes):
            reasons = changed_inputs(entry.input_hashes, hashes) or ["its inputs changed"]
        else:
            return Lookup(entry)
        self.stale[resource.declared_key] = reasons
        return Lookup(stale=reasons)

    def reuse(
        self, resource: Resource, hashes: Mapping[str, str], *, ask_again: str | None = None
    ) -> dict[str, Any] | None:
        """Set the locked values on `resource` when its entry still fits (inputs
        unchanged, values still valid) and return them as JSON; else None, with the
        reason in `stale`. `ask_again`: why the entry must not stand (an update, a
        repair), as the lock's diff will say."""
        if ask_again is not None:
            self.mark_asked_again(resource, ask_again)
            return None
        found = self.look_up(resource, hashes)
        if found.entry is None:
            return None
        try:
            filled = apply_completion(resource, found.entry.values)
        except OutputRejected as rejection:  # the type's rules changed since
            self.mark_stale(resource, f"its locked values are refused now: {rejection}")
            return None
        self.keep(resource, found.entry)
        return resource.model_dump(mode="json", include=set(filled))

    def mark_stale(self, resource: Resource, reason: str) -> None:
        """The locked values no longer pass the resource's own rules."""
        self.stale[resource.declared_key] = [reason]

    def mark_asked_again(self, resource: Resource, why: str) -> None:
        if resource.declared_key in self.lock.entries:
            self.asked_again[resource.declared_key] = why

    def keep(self, resource: Resource, entry: LockEntry) -> None:
        """A locked entry reused as it is (who chose it stays recorded)."""
        self.entries[resource.declared_key] = entry

    def record(
        self,
        resource: Resource,
        hashes: Mapping[str, str],
        values: dict[str, Any],
        **chosen_by: str,
    ) -> None:
        """New values for `resource` (from the cache or the model); `chosen_by`: its
        completer, model, output_mode and template_version."""
        secrets = secret_values_in(resource, values)
        if secrets:
            self.not_locked[resource.declared_key] = (
                f"the AI chose a secret ({', '.join(secrets)}): set it in main.py"
            )
            return
        self.entries[resource.declared_key] = LockEntry(
            resource_type=resource.type_name(),
            values=values,
            inputs=inputs_digest(hashes),
            input_hashes=dict(hashes),
            completer=chosen_by["completer"],
            model=chosen_by["model"],
            output_mode=chosen_by["output_mode"],
            template_version=chosen_by["template_version"],
        )

    def changes(self) -> LockChanges:
        old = self.lock.entries
        changes = []
        for key in sorted(set(old) | set(self.entries)):
            before, after = old.get(key), self.entries.get(key)
            if before is not None and after is not None and before.values == after.values:
                continue
            changes.append(self._change(key, before, after))
        unchanged = sum(
            1
            for key, entry in self.entries.items()
            if key in old and old[key].values == entry.values
        )
        return LockChanges(
            str(self.lock.path),
            self.lock.exists,
            changes,
            dict(self.stale),
            unchanged,
            dict(self.not_locked),
            self.written,
        )

    def _change(self, key: str, before: LockEntry | None, after: LockEntry | None) -> LockChange:
        if before is None:
            assert after is not None
            return LockChange(key, "added", after.resource_type, [], None, after.values)
        if after is None:
            reasons = [self._why_removed(key)]
            return LockChange(key, "removed", before.resource_type, reasons, before.values, None)
        reasons = self.stale.get(key) or [self.asked_again.get(key, "asked again")]
        return LockChange(key, "updated", after.resource_type, reasons, before.values, after.values)

    def _why_removed(self, key: str) -> str:
        if key in self.not_locked:
            return self.not_locked[key]
        if key in self.project_keys:
            return "main.py sets its values now"
        return "not in main.py any more"

    def store(self) -> None:
        """Write the lock, if this run may and there is something to say: a project
        with no AI-filled values gets no lock file (an existing one is kept, emptied)."""
        if not self.write_allowed or (not self.lock.exists and not self.entries):
            return
        if self.lock.exists and self.entries == self.lock.entries:
            return  # unchanged: leave the file (and its timestamp) alone
        LockFile(self.lock.path, dict(self.entries), self.lock.exists).write()
        self.written = True


def remove_entries(project_dir: Path, keys: Iterable[str]) -> list[str]:
    """Drop `keys` from the project's lock (after `clockwork freeze` put their values in
    main.py); returns those that were there."""
    lock = LockFile.load(lock_path_for(project_dir))
    removed = [key for key in keys if lock.entries.pop(key, None) is not None]
    if removed:
        lock.write()
    return removed


def keys_named(resources: Iterable[Resource], names: Iterable[str], lock: LockFile) -> list[str]:
    """The declared keys of the resources `names` names: by the name main.py gives it,
    its declared key, or the name the AI chose (as the lock records it). An unknown
    name is a usage error."""
    by_name: dict[str, str] = {}
    for resource in resources:
        key = resource.declared_key
        by_name[key] = key
        locked = lock.entries.get(key)
        chosen = locked.values.get("name") if locked is not None else None
        for name in (resource.name, chosen):
            if isinstance(name, str):
                by_name.setdefault(name, key)
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise UsageError(f"no resource named {unknown[0]!r} in main.py (nor in {lock.path.name})")
    return [by_name[name] for name in names]
