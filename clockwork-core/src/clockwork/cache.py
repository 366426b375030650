"""The completion cache: content-addressed, in one SQLite file per project.

The key is a sha256 of everything that shapes a completion (resource type, user-set
values, description, connection and parent context, model, output mode, completer,
prompt template version), so an unchanged main.py is completed again from the cache
with no model call, and a changed resource misses, as do the resources whose context
it changes.

A cache file that is not a readable SQLite database (overwritten, truncated) is
reported as corrupt, naming the file; `clear()` removes such a file instead of failing
on it, so `clockwork cache clear` always gets a project going again.

Two runs may share a cache at once (say `clockwork plan` in two terminals): SQLite in
WAL mode with a busy timeout serialises their writes, and `INSERT OR REPLACE` makes a
write of the same key idempotent. Each operation is one short transaction, retried
while another process holds the lock.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import ClockworkError
from .settings import Settings

CACHE_FILE_NAME = "completions.sqlite3"
BUSY_TIMEOUT_SECONDS = 30.0
# SQLite's primary result codes for "this is not (any more) a database we can read".
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
# The files SQLite keeps beside the database (write-ahead log, shared memory, journal).
_SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")
T = TypeVar("T")

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
    canonical = json.dumps(
        parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
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


@dataclass(frozen=True)
class ClearResult:
    path: str
    removed: int  # entries forgotten (0 when the file was corrupt: nothing was readable)
    corrupt: str | None = None  # why the file was unreadable, when it was removed instead

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CacheCorruptError(ClockworkError):
    """The cache file is not a readable SQLite database: a bad file (exit 2), which
    `clockwork cache clear` removes."""

    exit_code = 2

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(
            f"the completion cache {path} is corrupt ({reason}): `clockwork cache clear` "
            f"removes it (or run with --no-cache)"
        )


class CompletionCache:
    """Completed field values by key, in `<directory>/completions.sqlite3`.

    One connection per cache object, opened on first use and guarded by a lock, so the
    object may be shared between threads.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILE_NAME
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # ----- lookups ----------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The values stored under `key`, or None; counts the hit or miss."""

        def look_up(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
            if row is not None:
                db.execute("UPDATE completions SET hits = hits + 1 WHERE key = ?", (key,))
            _count(db, "misses" if row is None else "hits")
            return None if row is None else row[0]

        found = self._transaction(look_up)
        return None if found is None else json.loads(found)

    def put(
        self,
        key: str,
        values: Mapping[str, Any],
        *,
        resource_type: str,
        resource_name: str | None = None,
    ) -> None:
        value = json.dumps(dict(values), sort_keys=True, ensure_ascii=False)
        self._transaction(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO completions (key, resource_type, resource_name, value, "
                "created, hits) VALUES (?, ?, ?, ?, ?, 0)",
                (key, resource_type, resource_name, value, time.time()),
            )
        )

    # ----- maintenance ------------------------------------------------------------------

    def stats(self) -> CacheStats:
        if not self.path.exists():  # asking must not create an empty cache
            return CacheStats(str(self.path), 0, 0, 0, 0)

        def count(db: sqlite3.Connection) -> tuple[int, dict[str, int]]:
            entries = db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
            return entries, dict(db.execute("SELECT name, value FROM counters").fetchall())

        entries, counters = self._transaction(count)
        return CacheStats(
            str(self.path),
            entries,
            counters.get("hits", 0),
            counters.get("misses", 0),
            self._size_on_disk(),
        )

    def clear(self) -> int:
        """Forget every entry and the counters; returns how many entries there were.
        A corrupt cache file is removed (see `clear_all` to learn that it was)."""
        return self.clear_all().removed

    def clear_all(self) -> ClearResult:
        """As `clear`, saying also whether the file was corrupt and removed instead."""
        if not self.path.exists():
            return ClearResult(str(self.path), 0)

        def delete_all(db: sqlite3.Connection) -> int:
            removed = db.execute("DELETE FROM completions").rowcount
            db.execute("DELETE FROM counters")
            return removed

        try:
            removed = self._transaction(delete_all)
            self._with_retries(lambda db: db.execute("VACUUM"))  # give the space back too
        except CacheCorruptError as corrupt:
            self._remove_files()
            return ClearResult(str(self.path), 0, corrupt.reason)
        return ClearResult(str(self.path), removed)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _size_on_disk(self) -> int:
        files = [self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))]
        return sum(file.stat().st_size for file in files if file.exists())

    def _remove_files(self) -> None:
        """Delete the database and the files SQLite keeps beside it."""
        self.close()
        files = [
            self.path,
            *(self.path.with_name(self.path.name + suffix) for suffix in _SIDE_FILE_SUFFIXES),
        ]
        for file in files:
            try:
                file.unlink(missing_ok=True)
            except OSError as error:
                raise ClockworkError(
                    f"cannot remove the corrupt completion cache {file}: {error.strerror or error}"
                ) from None

    # ----- connection and transactions --------------------------------------------------

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` as one write transaction: all of it or none, so a retry after
        "database is locked" never counts or writes twice."""

        def in_transaction(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now (waits if busy)
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return result

        return self._with_retries(in_transaction)

    def _with_retries(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # SQLite's busy timeout covers most waits, but some (a WAL being set up or
        # recovered by another process) report "locked" at once: wait and try again.
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        delay = 0.005
        while True:
            try:
                with self._lock:
                    return work(self._connection())
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() > deadline:
                    raise self._failure(error) from None
            except sqlite3.DatabaseError as error:
                raise self._failure(error) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ClockworkError(f"cannot create the cache folder: {error}") from None
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) and short.
            db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
                db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster
                db.executescript(_SCHEMA)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _failure(self, error: sqlite3.Error) -> ClockworkError:
        if _is_corrupt(error):
            self.close()  # a connection to an unreadable file is of no more use
            return CacheCorruptError(self.path, str(error))
        return ClockworkError(
            f"the completion cache {self.path} failed: {error} "
            f"(delete {self.directory} to start afresh, or run with --no-cache)"
        )


def _is_corrupt(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(error).lower()
    return "not a database" in text or "malformed" in text


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _count(db: sqlite3.Connection, counter: str) -> None:
    db.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1",
        (counter,),
    )
