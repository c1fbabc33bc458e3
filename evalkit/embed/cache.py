"""Embedding cache: one SQLite file per model, keyed by the SHA-256 of the text, and a bounded memory layer.

Layout: ``<cache dir>/<sha256(model id)[:16]>/vectors.sqlite3`` with one table, ``vectors(key, dim, vec,
crc)``: ``key`` the 32-byte SHA-256 of the UTF-8 text, ``vec`` ``dim`` little-endian float32 values, ``crc``
the CRC-32 of key and vec. One file per model replaces the former one ``.npy`` file per text (millions of
files of ~4 KB at corpus scale, issue 6); old ``.npy`` files in the same folder are ignored, not migrated
(delete the two-character subfolders to reclaim their space).

Guarantees (tests/test_embed.py with the real model, tests/test_embed_cache.py under stress):

- Processes share a cache (Ray workers, parallel runs): WAL mode, so readers never wait for a writer and
  writers take turns under a busy timeout; each ``encode()`` call writes its new vectors in one
  transaction (``_TXN_ROWS`` rows at most, so the WAL file stays small); lookups are batched.
- Nothing wrong is ever served: a row whose checksum, length or dimension does not match is recomputed and
  rewritten; a file SQLite finds corrupt or not a database is removed and started afresh. Because a row's
  checksum covers its key, any row that passes it is that text's vector, whatever befell the file.
- A cache that cannot be opened or written (read-only folder, disk full, locked for longer than the timeout)
  only costs time: the vectors are computed and returned as without a cache.
- The folder is safe to delete at any time; a process that has the file open keeps its open (deleted) copy.
- Memory stays bounded whatever the corpus: at most ``memory_items`` vectors (65,536: 128 MB at 512
  dimensions) are kept between calls, least recently used first out.
- One `CachedEncoder` may be called from several threads (a lock serialises calls) and survives ``fork``:
  a child opens a connection of its own, as SQLite requires (sqlite.org/howtocorrupt.html, 2.6).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import zlib
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import Encoder

__all__ = ["MEMORY_ITEMS", "CachedEncoder", "default_cache_dir"]

MEMORY_ITEMS = 65_536
FILE_NAME = "vectors.sqlite3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors"
    " (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL, crc INTEGER NOT NULL)"
)
_BUSY_S = 30.0  # how long a writer waits for another process's transaction before giving up on writing
_PAGE_SIZE = 32_768  # 15 rows of 512 floats a page; at the default 4,096 each ~2.1 KB row takes a page alone
_CHUNK = 900  # keys per `WHERE key IN (...)`, under the 999 variables of old SQLite builds
_TXN_ROWS = 16_384  # rows per transaction (32 MB of WAL at 512 dimensions)
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_MAX_FAILURES = 3  # failed opens before a process stops trying the disk
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
# Connections inherited over fork are never closed in the child: SQLite forbids using them there, and
# closing one could checkpoint and remove the WAL file the parent is still using.
_INHERITED: list[sqlite3.Connection] = []


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE``, else ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit``."""
    if env := os.environ.get("EVALKIT_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "evalkit"


def _busy(exc: BaseException) -> bool:
    """Is ``exc`` SQLite's "database is locked" (another process holds the lock)?"""
    return isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _BUSY


def _checksum(key: bytes, vec: bytes) -> int:
    return zlib.crc32(vec, zlib.crc32(key))


def _decode(key: object, dim: object, vec: object, crc: object) -> np.ndarray | None:
    """The row's vector, or None if anything about it is off (it is then recomputed)."""
    if not (isinstance(key, bytes) and isinstance(vec, bytes) and isinstance(dim, int) and isinstance(crc, int)):
        return None
    if dim <= 0 or len(vec) != 4 * dim or _checksum(key, vec) != crc:
        return None
    out = np.frombuffer(vec, dtype="<f4")
    return out if np.isfinite(out).all() else None


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _Store:
    """The SQLite file of one model. No method raises: a cache that fails only costs time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._id: tuple[int, int] | None = None
        self._failures = 0
        self.recoveries = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None and self._pid != os.getpid():
            _INHERITED.append(self._conn)  # forked: open a connection of our own
            self._conn = None
        if self._conn is not None or self._failures >= _MAX_FAILURES:
            return self._conn
        deadline, pause = time.monotonic() + _BUSY_S, 0.01
        while True:
            conn = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=_BUSY_S, isolation_level=None, check_same_thread=False)
                self._id = _file_id(self.path)
                conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")  # only takes effect on a new file
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a crash may lose the last writes
                conn.execute(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                if _busy(exc) and time.monotonic() < deadline:
                    # Processes opening a new file at once: setting it up (WAL mode, the table) can meet
                    # "database is locked" without SQLite waiting out the busy timeout; wait here instead
                    # (8 processes on a fresh file, 10 trials: 3 such failures, each costing that process its cache).
                    if conn is not None:
                        conn.close()
                    time.sleep(pause)
                    pause = min(2 * pause, 0.5)
                    continue
                self._failures += 1
                if conn is not None:
                    self._conn = conn
                    if not self._failed(exc):
                        self._conn = None
                        conn.close()
                return None
            self._conn, self._pid = conn, os.getpid()
            return conn

    def _failed(self, exc: BaseException) -> bool:
        """After an error: a corrupt file is removed (if it is still the one we opened) and True returned; the
        next call opens a fresh one. Other errors (locked, full, read-only) leave the file as it is."""
        if not (isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT):
            return False
        conn, self._conn = self._conn, None
        # Closed before the files are removed: closing may delete the WAL file by name, which must still be ours.
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        if self._id is not None and _file_id(self.path) == self._id:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(f"{self.path}{suffix}")
                except OSError:
                    pass
        self.recoveries += 1
        return True

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The valid stored vectors of ``keys`` (any subset, possibly none)."""
        found: dict[bytes, np.ndarray] = {}
        conn = self._connect() if keys else None
        if conn is None:
            return found
        try:
            for i in range(0, len(keys), _CHUNK):
                part = keys[i : i + _CHUNK]
                sql = f"SELECT key, dim, vec, crc FROM vectors WHERE key IN ({','.join('?' * len(part))})"
                for key, dim, vec, crc in conn.execute(sql, part):
                    if (vector := _decode(key, dim, vec, crc)) is not None:
                        found[key] = vector
        except sqlite3.Error as exc:
            self._failed(exc)
        return found

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store rows (replacing any stored under the same keys); on failure, store what was committed."""
        conn = self._connect() if keys else None
        if conn is None:
            return
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        try:
            for i in range(0, len(keys), _TXN_ROWS):
                rows = []
                for key, vector in zip(keys[i : i + _TXN_ROWS], vectors[i : i + _TXN_ROWS]):
                    blob = vector.tobytes()
                    rows.append((key, vector.shape[0], blob, _checksum(key, blob)))
                conn.execute("BEGIN IMMEDIATE")  # take the write lock now: waits under the busy timeout
                try:
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        if self._conn is not None:
            if self._pid == os.getpid():
                self._conn.close()
            else:
                _INHERITED.append(self._conn)
        self._conn = None


class CachedEncoder:
    """Wraps an `Encoder`: encodes each distinct text once, serves repeats from memory, then from disk.

    ``hits`` and ``misses`` count distinct texts per call served from the cache and sent to the model.
    """

    def __init__(self, encoder: Encoder, cache_dir: Path | None = None, memory_items: int = MEMORY_ITEMS) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.backend = encoder.backend
        self.max_tokens = encoder.max_tokens
        safe = hashlib.sha256(encoder.model_id.encode()).hexdigest()[:16]
        self.dir = (cache_dir or default_cache_dir()) / safe
        self.path = self.dir / FILE_NAME
        self.memory_items = memory_items
        self._store = _Store(self.path)
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._dim: int | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def count_tokens(self, text: str) -> int:
        return self.encoder.count_tokens(text)

    def close(self) -> None:
        """Close the database file (it is reopened by the next `encode`)."""
        with self._lock:
            self._store.close()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode([])
        with self._lock:
            keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts]
            distinct = dict(zip(keys, texts))  # key -> text, in first-seen order
            resets = self._store.recoveries
            found: dict[bytes, np.ndarray] = {}
            for key in distinct:
                if (vector := self._memory.get(key)) is not None:
                    found[key] = vector
            found.update(self._store.get([k for k in distinct if k not in found]))
            found = self._one_dimension(found)
            todo = [k for k in distinct if k not in found]
            if todo:
                new = np.asarray(self.encoder.encode([distinct[k] for k in todo]), dtype=np.float32)
                if found and new.shape[1] != next(iter(found.values())).shape[0]:
                    # The disk held another dimension under this model id: the model is the truth.
                    found, todo = {}, list(distinct)
                    new = np.asarray(self.encoder.encode([distinct[k] for k in todo]), dtype=np.float32)
                self._dim = new.shape[1]
                self._store.put(todo, new)
                found.update(zip(todo, (row.copy() for row in new)))  # copies: a row would keep `new` alive
            if self._store.recoveries != resets:  # a corrupt file was replaced: refill the new one with this call's
                self._store.put(list(found), np.stack(list(found.values())))
            self.hits += len(distinct) - len(todo)
            self.misses += len(todo)
            self._remember(found)
            return np.stack([found[k] for k in keys])

    def _one_dimension(self, found: dict[bytes, np.ndarray]) -> dict[bytes, np.ndarray]:
        """Drop vectors whose dimension is not the model's (known from its output, else the most common)."""
        if not found:
            return found
        dim = self._dim or Counter(v.shape[0] for v in found.values()).most_common(1)[0][0]
        return {k: v for k, v in found.items() if v.shape[0] == dim}

    def _remember(self, found: dict[bytes, np.ndarray]) -> None:
        memory = self._memory
        for key in list(found)[-self.memory_items :] if self.memory_items > 0 else ():
            memory[key] = found[key]
            memory.move_to_end(key)
        while len(memory) > self.memory_items:
            memory.popitem(last=False)
