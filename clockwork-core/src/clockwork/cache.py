"""The completion cache: content-addressed, in one SQLite file per project.

The key is a sha256 of everything that shapes a completion (resource type, user-set
values, description, connection and parent context, model, output mode, completer,
prompt template version), so an unchanged main.py is completed again from the cache
with no model call, and a changed resource misses, as do the resources whose context
it changes.

Two runs may share a cache at once (say `clockwork plan` in two terminals): SQLite in
WAL mode with a busy timeout serialises their writes, and `INSERT OR REPLACE` makes a
write of the same key idempotent. Each operation opens its own short connection, so a
cache object is safe to use from any thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import ClockworkError
from .settings import Settings

CACHE_FILE_NAME = "completions.sqlite3"
BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    resource_type TEXT NOT NULL,
    resource_name TEXT,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


def cache_key(parts: Mapping[str, Any]) -> str:
    """sha256 of `parts` as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cache_dir_for(project_dir: Path, settings: Settings) -> Path:
    """`settings.cache_dir` if set, else `<project>/.clockwork/cache`."""
    if settings.cache_dir is not None:
        return Path(settings.cache_dir).expanduser()
    return project_dir / ".clockwork" / "cache"


@dataclass(frozen=True)
class CacheStats:
    path: str
    entries: int
    hits: int  # lookups answered from the cache, since the last clear
    misses: int
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CompletionCache:
    """Completed field values by key, in `<directory>/completions.sqlite3`."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILE_NAME

    # ----- lookups ----------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The values stored under `key`, or None; counts the hit or miss."""
        with self._connection() as db:
            row = db.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
            if row is None:
                _count(db, "misses")
                return None
            db.execute("UPDATE completions SET hits = hits + 1 WHERE key = ?", (key,))
            _count(db, "hits")
        return json.loads(row[0])

    def put(self, key: str, values: Mapping[str, Any], *, resource_type: str,
            resource_name: str | None = None) -> None:
        value = json.dumps(dict(values), sort_keys=True, ensure_ascii=False)
        with self._connection() as db:
            db.execute(
                "INSERT OR REPLACE INTO completions (key, resource_type, resource_name, value, "
                "created, hits) VALUES (?, ?, ?, ?, ?, 0)",
                (key, resource_type, resource_name, value, time.time()),
            )

    # ----- maintenance ------------------------------------------------------------------

    def stats(self) -> CacheStats:
        if not self.path.exists():  # asking must not create an empty cache
            return CacheStats(str(self.path), 0, 0, 0, 0)
        with self._connection() as db:
            entries = db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
            counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        return CacheStats(str(self.path), entries, counters.get("hits", 0),
                          counters.get("misses", 0), self._size_on_disk())

    def clear(self) -> int:
        """Forget every entry and the counters; returns how many entries there were."""
        if not self.path.exists():
            return 0
        with self._connection() as db:
            removed = db.execute("DELETE FROM completions").rowcount
            db.execute("DELETE FROM counters")
        with self._connection() as db:
            db.execute("VACUUM")  # give the space back, not just mark pages free
        return removed

    def _size_on_disk(self) -> int:
        files = [self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))]
        return sum(file.stat().st_size for file in files if file.exists())

    # ----- connections ------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Autocommit: every statement is its own short transaction, so a second
            # writer waits (busy timeout) for milliseconds, not for a whole run.
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise ClockworkError(f"cannot open the completion cache {self.path}: {error}") from None
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
            db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster
            db.executescript(_SCHEMA)
            yield db
        except sqlite3.DatabaseError as error:
            raise ClockworkError(
                f"the completion cache {self.path} failed: {error} "
                f"(delete {self.directory} to start afresh)"
            ) from None
        finally:
            db.close()


def _count(db: sqlite3.Connection, counter: str) -> None:
    db.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1",
        (counter,),
    )
