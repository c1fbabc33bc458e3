"""Report writes are atomic: a writer killed (SIGKILL) in the middle of writing leaves the previous
report whole and readable, and its leftover temporary file cannot be taken for a report file.

A corrupt or half-written embedding cache entry and two processes sharing one cache are tested
in tests/test_embed.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evalkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
ONE_PAIR = ROOT / "tests" / "data" / "hostile" / "one-pair.txt"
REPORT_FILES = ("pairs.csv", "summary.json", "report.html")
TEMP = re.compile(r"^\.(pairs\.csv|summary\.json|report\.html)\.[^/]+\.tmp$")  # atomic_write's temporary names

# The writer: the real `write_report` on a report of 1,000 links of ~100 KB each (pairs.csv ~100 MB,
# enough for the write to take a visible while), then sleep; the test kills it first.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from evalkit.records import Link, Report, ScoredLink
    from evalkit.report import write_report

    n, size = 1000, 50_000
    links = tuple(
        ScoredLink(Link((i,), (i,)), source="源" * (size // 3), target="=HYPERLINK(x) " + "t" * size, similarity=0.5)
        for i in range(n)
    )
    report = Report({"document": "big"}, "zh", "en", links, {}, {}, "defaults", {"id": "test"})
    print("ready", flush=True)
    write_report(report, Path(sys.argv[1]))
    print("done", flush=True)
    time.sleep(60)
    """
)


def _good_report(folder: Path, cache_dir: Path) -> dict[str, bytes]:
    code = main(["score", str(ONE_PAIR), "-o", str(folder), "--cache-dir", str(cache_dir), "--bootstrap", "0", "-q"])
    assert code == 0
    return {name: (folder / name).read_bytes() for name in REPORT_FILES}


def _assert_whole(folder: Path) -> None:
    """Each report file parses: CSV rows all as wide as the header, JSON loads, HTML is closed."""
    with open(folder / "pairs.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["links"] == len(rows) - 1
    assert (folder / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def _kill_mid_write(folder: Path, script: str, *args: str) -> list[str]:
    """Start ``script``, SIGKILL it as soon as a temporary report file has bytes in it; return the
    leftover temporary names (proof that the kill came before the rename)."""
    proc = subprocess.Popen([sys.executable, "-c", script, str(folder), *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [p for p in folder.iterdir() if TEMP.match(p.name)]
            if any(p.stat().st_size > 0 for p in temps if p.exists()):
                break
            time.sleep(0.001)
        else:
            pytest.fail("the writer never started a temporary file")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return sorted(p.name for p in folder.iterdir() if TEMP.match(p.name))


def test_killed_real_writer_leaves_previous_report_whole(tmp_path: Path, cache_dir: Path) -> None:
    folder = tmp_path / "report"
    before = _good_report(folder, cache_dir)
    leftovers = _kill_mid_write(folder, WRITER)
    assert leftovers, "the writer finished a rename before the kill: nothing was tested"
    names = sorted(os.listdir(folder))
    assert [n for n in names if not TEMP.match(n)] == sorted(REPORT_FILES)  # no other file appeared
    assert all(n.startswith(".") and n.endswith(".tmp") for n in leftovers)  # hidden, never *.csv/*.json/*.html
    # The kill came while pairs.csv (the first file) was being written: every file is the old one.
    assert {name: (folder / name).read_bytes() for name in REPORT_FILES} == before
    _assert_whole(folder)
    # And the next run writes over the leftovers' folder normally.
    assert _good_report(folder, cache_dir) == before


LOOP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from evalkit.report.files import atomic_write

    folder = Path(sys.argv[1])
    big = "x" * (200 << 20)  # 200 MB
    print("ready", flush=True)
    while True:
        for name in ("pairs.csv", "summary.json", "report.html"):
            atomic_write(folder / name, big)
    """
)


def test_killed_atomic_write_loop_keeps_previous_files(tmp_path: Path, cache_dir: Path) -> None:
    """`atomic_write` of a 200 MB string, killed mid-write: the file it was replacing is untouched."""
    folder = tmp_path / "report"
    before = _good_report(folder, cache_dir)
    leftovers = _kill_mid_write(folder, LOOP)
    assert len(leftovers) == 1, leftovers
    target = TEMP.match(leftovers[0]).group(1)  # type: ignore[union-attr]
    assert (folder / target).read_bytes() == before[target]
    _assert_whole_or_big(folder, before)


def _assert_whole_or_big(folder: Path, before: dict[str, bytes]) -> None:
    """Each report file is either the previous one or a complete 200 MB write, never a part."""
    for name in REPORT_FILES:
        data = (folder / name).read_bytes()
        assert data == before[name] or data == b"x" * (200 << 20), f"{name}: {len(data)} bytes"


def test_failed_write_removes_its_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk error during the write (fsync failing, as on a full disk) is a clear `InputError`;
    the temporary file is removed and the previous file stays."""
    from evalkit.errors import InputError
    from evalkit.report import files

    (tmp_path / "pairs.csv").write_text("old\n", encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(InputError, match="No space left on device"):
        files.atomic_write(tmp_path / "pairs.csv", "new\n" * 1000)
    assert os.listdir(tmp_path) == ["pairs.csv"]
    assert (tmp_path / "pairs.csv").read_text(encoding="utf-8") == "old\n"


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o600])
def test_rewrite_keeps_the_files_permissions(tmp_path: Path, mode: int) -> None:
    """A report rewritten in place keeps the permissions its owner gave it (mkstemp would make 0o600)."""
    from evalkit.report.files import atomic_write

    path = tmp_path / "summary.json"
    path.write_text("{}\n", encoding="utf-8")
    path.chmod(mode)
    atomic_write(path, "{\"new\": 1}\n")
    assert path.stat().st_mode & 0o777 == mode
