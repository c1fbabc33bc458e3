"""The embedding cache's store under stress (evalkit/embed/cache.py): a damaged file, processes writing at
once (spawned and forked), a full disk, a folder that cannot be written or is deleted mid-run, bounded memory.

These need thousands of vectors and exact control of what the model returns, so a fake encoder stands in
for the model: text ``t<i>`` maps to row ``i % 4099`` of a fixed random bank of unit 512-d vectors. The
cache tests with the real model are in tests/test_embed.py.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evalkit.embed import CachedEncoder

BANK = np.random.default_rng(0).standard_normal((4099, 512)).astype(np.float32)
BANK /= np.linalg.norm(BANK, axis=1, keepdims=True)


class Fake:
    """``t<i>`` -> ``BANK[i % 4099]``; records the size of every batch that reaches it."""

    model_id, backend, max_tokens = "fake/bank-512", "fake", None

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return _expected(texts)[:, : self.dim]

    def count_tokens(self, text: str) -> int:
        return len(text)


def _texts(lo: int, hi: int) -> list[str]:
    return [f"t{i}" for i in range(lo, hi)]


def _key(text: str) -> bytes:
    """The cache's key of a text."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _expected(texts: Sequence[str]) -> np.ndarray:
    return BANK[[int(t[1:]) % len(BANK) for t in texts]]


def _fresh_run(folder: Path, texts: list[str]) -> list[int]:
    """A new encoder's batches over ``texts`` (after checking what it returns): [] when all came from disk."""
    fake = Fake()
    assert np.array_equal(CachedEncoder(fake, folder).encode(texts), _expected(texts))
    return fake.calls


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("damage", ["not-a-database", "cut-in-half", "garbled-middle", "garbled-end", "empty"])
def test_damaged_file_is_recomputed_then_replaced(tmp_path: Path, damage: str) -> None:
    texts = _texts(0, 3000)  # ~6.7 MB: about 200 pages, so a cut or garbled part hits rows, index or both
    enc = CachedEncoder(Fake(), tmp_path)
    enc.encode(texts)
    enc.close()
    data = bytearray(enc.path.read_bytes())
    noise = np.random.default_rng(1).bytes(len(data))
    n = len(data)
    if damage == "not-a-database":
        data[:100] = noise[:100]
    elif damage == "cut-in-half":
        data = data[: n // 2]
    elif damage == "garbled-middle":
        data[n // 3 : n // 3 + 200_000] = noise[:200_000]
    elif damage == "garbled-end":
        data[-50_000:] = noise[:50_000]
    else:
        data = bytearray()
    enc.path.write_bytes(bytes(data))
    _fresh_run(tmp_path, texts)  # correct vectors, whatever it could still read
    assert _fresh_run(tmp_path, texts) == []  # and the next run finds them all again
    assert _integrity(enc.path) == "ok"


def test_old_npy_cache_files_are_ignored(tmp_path: Path) -> None:
    enc = CachedEncoder(Fake(), tmp_path)
    key = hashlib.sha256(b"t0").hexdigest()
    (enc.dir / key[:2]).mkdir(parents=True)
    np.save(enc.dir / key[:2] / f"{key}.npy", BANK[1])  # the pre-SQLite layout, holding a wrong vector
    assert _fresh_run(tmp_path, ["t0"]) == [1]


def test_large_call_crosses_lookup_and_transaction_chunks(tmp_path: Path) -> None:
    # 20,000 > 16,384 rows a transaction and > 900 keys a lookup (constants in evalkit/embed/cache.py).
    texts = _texts(0, 20_000)
    assert _fresh_run(tmp_path, texts) == [20_000]
    assert _fresh_run(tmp_path, texts) == []


def _write_overlapping(folder: str, worker: int, start_line: Any) -> None:
    enc = CachedEncoder(Fake(), Path(folder))
    start_line.wait(60)  # all four write at once, not one after the other as they happen to start
    lo = worker * 1000  # workers overlap by 1,000 texts with each neighbour
    for start in range(lo, lo + 2000, 100):
        assert np.array_equal(enc.encode(_texts(start, start + 100)), _expected(_texts(start, start + 100)))
    assert enc._store._failures == 0  # no open gave up: opening a fresh file at once waits for the lock


def test_concurrent_writers_share_one_file(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start_line = ctx.Barrier(4)
    workers = [ctx.Process(target=_write_overlapping, args=(str(tmp_path), w, start_line)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert _fresh_run(tmp_path, _texts(0, 5000)) == []  # every process's writes landed
    assert _integrity(CachedEncoder(Fake(), tmp_path).path) == "ok"


def _encode_in_child(enc: CachedEncoder, texts: list[str]) -> None:
    inherited = enc._store._conn
    assert np.array_equal(enc.encode(texts), _expected(texts))
    # SQLite: "do not open an SQLite database connection, then fork(), then try to use that database
    # connection in the child process" (sqlite.org/howtocorrupt.html, 2.6); no error shows when one does.
    assert inherited is not None and enc._store._conn is not inherited


def test_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    enc = CachedEncoder(Fake(), tmp_path)
    enc.encode(_texts(0, 500))  # the parent's connection is open when it forks
    child = multiprocessing.get_context("fork").Process(target=_encode_in_child, args=(enc, _texts(500, 1000)))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    enc.encode(_texts(1000, 1500))  # the parent's connection still works
    assert _fresh_run(tmp_path, _texts(0, 1500)) == []
    assert _integrity(enc.path) == "ok"


def test_full_disk_only_costs_time(tmp_path: Path) -> None:
    fake = Fake()
    enc = CachedEncoder(fake, tmp_path)
    enc.encode(_texts(0, 100))
    conn = enc._store._connect()
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL, as on a full disk
    assert np.array_equal(enc.encode(_texts(100, 2100)), _expected(_texts(100, 2100)))
    assert fake.calls == [100, 2000]
    assert _fresh_run(tmp_path, _texts(0, 100)) == []  # what was written before stays
    assert _fresh_run(tmp_path, _texts(100, 2100)) == [2000]  # nothing half-written is served


@pytest.mark.parametrize("kind", ["a-file-in-the-way", "read-only"])
def test_unwritable_folder_only_costs_time(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "cache"
    if kind == "a-file-in-the-way":
        folder.write_text("not a folder\n", encoding="utf-8")
    else:
        folder.mkdir()
        folder.chmod(0o555)
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
    fake = Fake()
    enc = CachedEncoder(fake, folder)
    assert np.array_equal(enc.encode(_texts(0, 300)), _expected(_texts(0, 300)))
    assert np.array_equal(enc.encode(_texts(0, 300)), _expected(_texts(0, 300)))
    assert fake.calls == [300]  # the second call is served from memory


def test_folder_deleted_mid_run(tmp_path: Path) -> None:
    fake = Fake()
    enc = CachedEncoder(fake, tmp_path / "cache")
    enc.encode(_texts(0, 500))
    shutil.rmtree(tmp_path / "cache")
    assert np.array_equal(enc.encode(_texts(0, 1000)), _expected(_texts(0, 1000)))  # no error
    assert fake.calls == [500, 500]  # the first 500 still in memory
    assert _fresh_run(tmp_path / "cache", _texts(0, 100)) == [100]  # a new run starts a new file
    assert _fresh_run(tmp_path / "cache", _texts(0, 100)) == []


def test_memory_keeps_the_most_recently_used(tmp_path: Path) -> None:
    enc = CachedEncoder(Fake(), tmp_path, memory_items=4)
    enc.encode(["t1", "t2", "t3", "t4"])
    enc.encode(["t1"])  # used again: now the most recent
    enc.encode(["t5"])  # evicts t2, the least recently used
    assert set(enc._memory) == {_key(t) for t in ("t1", "t3", "t4", "t5")}
    big = CachedEncoder(Fake(), tmp_path, memory_items=1000)
    for start in range(0, 10_000, 2500):
        big.encode(_texts(start, start + 2500))
        assert len(big._memory) <= 1000
