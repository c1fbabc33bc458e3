"""The gate's run history: one SQLite file (stdlib sqlite3) per test set, one row per gated run.

A run records its label, time (UTC), commit, the test set's fingerprints (source, references, segment
count), the output's fingerprint, every score with its 95% interval and signature, the flag rate, the
verdict with every rule's outcome, and (for line files) the output itself, zlib-compressed, so a later
run can test the cumulative drop for significance against it.

Safety: WAL journal; every write is one ``BEGIN IMMEDIATE`` transaction (a second writer waits up to
`BUSY_TIMEOUT_S` for the lock instead of failing), so a run killed mid-write leaves no partial row; the
schema is versioned with ``PRAGMA user_version`` and migrated forward, step by step, inside the same kind
of transaction. A history belongs to the test set of its first run: another test set is `HistoryMismatch`
(exit 2).
"""

from __future__ import annotations

import json
import math
import sqlite3
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from .baseline import BaselineMismatch

__all__ = [
    "BUSY_TIMEOUT_S", "MIGRATIONS", "SCHEMA_VERSION", "HistoryMismatch", "Run", "RunScore", "check_history", "connect", "find_run",
    "load_runs", "pin_run", "record_run", "reference_run", "run_output", "test_set_of",
]

BUSY_TIMEOUT_S = 60.0
# MIGRATIONS[k] takes a database from schema version k to k + 1 (version 0: an empty file).
MIGRATIONS: tuple[str, ...] = (
    # 1: runs and their scores; meta holds the test set the history belongs to.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label TEXT, created TEXT NOT NULL, commit_sha TEXT,
        test_set TEXT NOT NULL, target TEXT, baseline TEXT,
        flag_rate REAL, passed INTEGER NOT NULL, verdicts TEXT NOT NULL
    );
    CREATE TABLE scores (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        metric TEXT NOT NULL, score REAL NOT NULL, ci_low REAL, ci_high REAL, signature TEXT NOT NULL,
        PRIMARY KEY (run_id, metric)
    );
    """,
    # 2: the output of each run (for the cumulative rule's paired test) and the pinned reference run.
    """
    CREATE TABLE outputs (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, text BLOB NOT NULL);
    ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_FIX = ("keep one history per test set: give this test set its own --history file "
        "(or move the old file away to start over)")


class HistoryMismatch(BaselineMismatch):
    """The run is on another test set than the history's (exit code 2)."""


@dataclass(frozen=True)
class RunScore:
    """One corpus score of a run: ``ci95`` the 95% interval (None when not computed)."""

    metric: str
    score: float
    signature: str
    ci95: tuple[float, float] | None = None


@dataclass(frozen=True)
class Run:
    """One gated run. ``id`` counts from 1 in the order runs were recorded; ``passed`` is the verdict;
    ``verdicts`` the rules' outcomes as in ``CheckResult.as_dict()``; ``has_output``: its output is kept."""

    id: int
    label: str | None
    created: str
    commit: str | None
    test_set: dict[str, Any]
    target: str | None
    baseline: str | None
    flag_rate: float | None
    passed: bool
    verdicts: tuple[dict[str, Any], ...]
    scores: dict[str, RunScore] = field(default_factory=dict)
    pinned: bool = False
    has_output: bool = False

    @property
    def name(self) -> str:
        """How messages name the run: ``run 3 (v1.2, abc123def456)``."""
        extra = [x for x in (self.label, (self.commit or "")[:12]) if x]
        extra = list(dict.fromkeys(extra))
        return f"run {self.id}" + (f" ({', '.join(extra)})" if extra else "")

    def values(self) -> dict[str, float]:
        """Scores keyed by metric, with ``flag_rate`` (as `evalkit.gate.report_values`)."""
        out = {m: s.score for m, s in self.scores.items()}
        if self.flag_rate is not None:
            out["flag_rate"] = self.flag_rate
        return out


def test_set_of(fingerprints: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies the test set in `evalkit.compare.report_fingerprints`: source, references, segments."""
    return {"source": fingerprints.get("source"), "references": list(fingerprints.get("references") or []),
            "segments": fingerprints.get("segments")}


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """Open (``create``: or make) a history, in WAL mode, migrated to `SCHEMA_VERSION`.

    Raises InputError (exit 2) for a file that is not an evalkit history or is from a newer evalkit.
    """
    if not create and not path.is_file():
        raise InputError(path, "no such history file", "record one with `evalkit check ... --history FILE.db`")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise InputError(path, f"cannot open the history ({exc})", "give a path in a writable folder") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        _migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(path, f"not an evalkit history ({exc})", "give the .db file `evalkit check --history` wrote") from None
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: taken at once (IMMEDIATE), so two writers queue instead of deadlocking."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with _write(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated it
        if version > SCHEMA_VERSION:
            raise UsageError(f"{path}: history schema {version} is newer than this evalkit's ({SCHEMA_VERSION})",
                             "upgrade evalkit (pip install -U evalkit)")
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise InputError(path, "a SQLite file that is not an evalkit history", "give another --history path")
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")


def _check_test_set(conn: sqlite3.Connection, path: Path, test_set: Mapping[str, Any]) -> bool:
    """True when the history has no test set yet; raise `HistoryMismatch` when it has another."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'test_set'").fetchone()
    if row is None:
        return True
    known = json.loads(row[0])
    if known != dict(test_set):
        what = [k for k in ("source", "references", "segments") if known.get(k) != test_set.get(k)]
        raise HistoryMismatch(f"{path}: this run is on another test set than the history's ({', '.join(what)} differ)", _FIX)
    return False


def check_history(path: Path, fingerprints: Mapping[str, Any]) -> None:
    """Raise `HistoryMismatch` (exit 2) when the history at ``path`` belongs to another test set."""
    if path.exists():
        with _closing(connect(path)) as conn:
            _check_test_set(conn, path, test_set_of(fingerprints))


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def record_run(path: Path, *, fingerprints: Mapping[str, Any], scores: Sequence[RunScore], flag_rate: float | None,
               passed: bool, verdicts: Sequence[Mapping[str, Any]], label: str | None = None, commit: str | None = None,
               baseline: str | None = None, output: bytes | None = None, created: str | None = None) -> Run:
    """Append one run to the history at ``path`` (made when absent) in one transaction; return it.

    ``fingerprints`` as `evalkit.compare.report_fingerprints` (``target`` is the output's); ``output`` the
    output file's bytes (kept compressed). Raises `HistoryMismatch` for another test set.
    """
    test_set = test_set_of(fingerprints)
    created = created or datetime.now(UTC).isoformat(timespec="seconds")
    with _closing(connect(path)) as conn, _write(conn):
        if _check_test_set(conn, path, test_set):
            conn.execute("INSERT INTO meta (key, value) VALUES ('test_set', ?)", (json.dumps(test_set, sort_keys=True),))
        cur = conn.execute(
            "INSERT INTO runs (label, created, commit_sha, test_set, target, baseline, flag_rate, passed, verdicts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (label, created, commit, json.dumps(test_set, sort_keys=True), fingerprints.get("target"), baseline,
             _num(flag_rate), int(passed), json.dumps(list(verdicts), ensure_ascii=False, sort_keys=True)))
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO scores (run_id, metric, score, ci_low, ci_high, signature) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, s.metric, s.score, *(s.ci95 or (None, None)), s.signature) for s in scores if math.isfinite(s.score)])
        if output is not None:
            conn.execute("INSERT INTO outputs (run_id, text) VALUES (?, ?)", (run_id, zlib.compress(output, 6)))
    found = find_run(path, run_id)
    return found


@contextmanager
def _closing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield conn
    finally:
        conn.close()


def load_runs(path: Path) -> list[Run]:
    """Every run of the history, oldest first (one read transaction: a consistent snapshot)."""
    with _closing(connect(path, create=False)) as conn:
        conn.execute("BEGIN")
        rows = conn.execute("SELECT id, label, created, commit_sha, test_set, target, baseline, flag_rate, passed, verdicts,"
                            " pinned, id IN (SELECT run_id FROM outputs) FROM runs ORDER BY id").fetchall()
        scores: dict[int, dict[str, RunScore]] = {}
        for run_id, metric, score, low, high, sig in conn.execute(
                "SELECT run_id, metric, score, ci_low, ci_high, signature FROM scores ORDER BY run_id, metric"):
            scores.setdefault(run_id, {})[metric] = RunScore(metric, score, sig, None if low is None else (low, high))
        conn.execute("COMMIT")
    return [Run(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], bool(r[8]), tuple(json.loads(r[9])),
                scores.get(r[0], {}), bool(r[10]), bool(r[11])) for r in rows]


def find_run(path: Path, run: int | str) -> Run:
    """A run by id (``3``) or label; the last of several with one label. UsageError when there is none."""
    runs = load_runs(path)
    text = str(run)
    hits = [r for r in runs if (text.isdigit() and r.id == int(text))] or [r for r in runs if r.label == text]
    if not hits:
        known = ", ".join(str(r.id) for r in runs[-10:]) or "none yet"
        raise UsageError(f"{path}: no run {text!r} in the history", f"give a run id (last ids: {known}) or a label")
    return hits[-1]


def reference_run(path: Path) -> Run | None:
    """The run cumulative drops are measured from: the pinned one, else the first; None for no history."""
    if not path.exists():
        return None
    runs = load_runs(path)
    return next((r for r in runs if r.pinned), runs[0] if runs else None)


def pin_run(path: Path, run: int | str | None) -> Run | None:
    """Make ``run`` the reference of the cumulative rule (None: unpin, back to the first run)."""
    target = find_run(path, run) if run is not None else None
    with _closing(connect(path, create=False)) as conn, _write(conn):
        conn.execute("UPDATE runs SET pinned = 0 WHERE pinned = 1")
        if target is not None:
            conn.execute("UPDATE runs SET pinned = 1 WHERE id = ?", (target.id,))
    return find_run(path, target.id) if target is not None else None


def run_output(path: Path, run_id: int) -> bytes | None:
    """The output file a run was made from, as recorded; None when it was not kept."""
    with _closing(connect(path, create=False)) as conn:
        row = conn.execute("SELECT text FROM outputs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else zlib.decompress(row[0])
