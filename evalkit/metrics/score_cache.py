"""Score cache for plug-in and neural metrics: one SQLite file per metric signature, keyed by the texts.

Layout: ``<cache dir>/scores/<sha256(signature)[:16]>/scores.sqlite3``, one table ``scores(key, value,
crc)``: ``key`` the SHA-256 of the segment's source, target and references (NUL-separated, UTF-8),
``value`` the float64 score (NaN stored as NULL), ``crc`` the CRC-32 of key and value. The signature holds
the model id and checkpoint hash (neural adapters) or whatever the plug-in says made the numbers, so a
new model or option never reads old scores. A metric that gives more than a number per segment (XCOMET's
error spans) keeps that as text in a second table, ``details(key, value, crc)``, same key, ``crc`` the
CRC-32 of key and UTF-8 text.

The house pattern of `evalkit.embed.cache`: WAL mode so processes share the file, a busy timeout, a row
whose checksum fails is recomputed, and a cache that cannot be opened or written only costs time.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

__all__ = ["Item", "ScoreCache"]

Item = tuple[str, str, tuple[str, ...]]  # (source, target, references)
_SCHEMA = "CREATE TABLE IF NOT EXISTS scores (key BLOB PRIMARY KEY, value REAL, crc INTEGER NOT NULL)"
_DETAILS = "CREATE TABLE IF NOT EXISTS details (key BLOB PRIMARY KEY, value TEXT NOT NULL, crc INTEGER NOT NULL)"
_CHUNK = 900  # keys per IN (...)


def _key(item: Item) -> bytes:
    source, target, refs = item
    return hashlib.sha256("\0".join((source, target, str(len(refs)), *refs)).encode("utf-8")).digest()


def _crc(key: bytes, value: float | None) -> int:
    return zlib.crc32(struct.pack("<d", math.nan if value is None else value), zlib.crc32(key))


def _text_crc(key: bytes, value: str) -> int:
    return zlib.crc32(value.encode("utf-8", "surrogatepass"), zlib.crc32(key))


class ScoreCache:
    """Scores of one metric signature. ``get`` returns the items it has; ``put`` stores new ones."""

    def __init__(self, signature: str, cache_dir: Path | None = None) -> None:
        from ..embed.cache import default_cache_dir

        folder = (cache_dir or default_cache_dir()) / "scores" / hashlib.sha256(signature.encode()).hexdigest()[:16]
        self.path = folder / "scores.sqlite3"
        self._conn: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            conn.execute(_DETAILS)
            (folder / "signature.txt").write_text(signature + "\n", encoding="utf-8")
            self._conn = conn
        except (OSError, sqlite3.Error):  # no cache: the scores are computed, as without one
            self._conn = None

    def _rows(self, table: str, items: Sequence[Item]) -> Iterator[tuple[Item, bytes, object, object]]:
        """``(item, key, value, crc)`` of the stored rows of ``items`` in ``table``, looked up in chunks of
        `_CHUNK` keys; a read error ends the rows early (what was found stays found)."""
        if self._conn is None or not items:
            return
        by_key = {_key(item): item for item in items}
        keys = list(by_key)
        try:
            for start in range(0, len(keys), _CHUNK):
                part = keys[start : start + _CHUNK]
                rows = self._conn.execute(f"SELECT key, value, crc FROM {table} WHERE key IN ({','.join('?' * len(part))})",
                                          part).fetchall()  # fmt: skip
                for key, value, crc in rows:
                    if isinstance(key, bytes):
                        yield by_key[key], key, value, crc
        except sqlite3.Error:
            return

    def _write(self, table: str, rows: list[tuple[bytes, object, int]]) -> None:
        if self._conn is None or not rows:
            return
        try:
            with self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany(f"INSERT OR REPLACE INTO {table} (key, value, crc) VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # read-only or full disk: the run goes on without caching

    def get(self, items: Sequence[Item]) -> dict[Item, float]:
        return {item: math.nan if value is None else float(value) for item, key, value, crc in self._rows("scores", items)
                if (value is None or isinstance(value, (int, float))) and crc == _crc(key, value)}  # fmt: skip

    def put(self, items: Sequence[Item], values: np.ndarray) -> None:
        rows: list[tuple[bytes, object, int]] = []
        for item, value in zip(items, values):
            v = None if not math.isfinite(float(value)) else float(value)  # NaN/inf: SQLite has no NaN
            if v is None and not math.isnan(float(value)):
                continue  # an infinite score is not cached (it would come back as NaN)
            key = _key(item)
            rows.append((key, v, _crc(key, v)))
        self._write("scores", rows)

    def get_details(self, items: Sequence[Item]) -> dict[Item, str]:
        """The stored details text of the items that have one."""
        return {item: value for item, key, value, crc in self._rows("details", items)
                if isinstance(value, str) and crc == _text_crc(key, value)}  # fmt: skip

    def put_details(self, items: Sequence[Item], texts: Sequence[str]) -> None:
        self._write("details", [(key, text, _text_crc(key, text)) for key, text in ((_key(item), text)
                                                                                 for item, text in zip(items, texts))])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
