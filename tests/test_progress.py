"""Progress of `evalkit score`: the pipeline's stage callback, and bars on stderr only on a terminal without -q."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.pipeline import ScoreOptions, score_document, score_parallel
from evalkit.report.summary import summary_json

from conftest import SEED, SEED_REF, read_lines

Call = tuple[str, int, int]


def _by_stage(calls: list[Call]) -> dict[str, list[tuple[int, int]]]:
    """The calls grouped by stage, checking the contract of `StageProgress` on the way: each stage comes
    once (its calls are contiguous), starts at 0, never goes back, keeps its total and ends at it."""
    stages: dict[str, list[tuple[int, int]]] = {}
    for stage, done, total in calls:
        assert stage in stages and stage == list(stages)[-1] or stage not in stages, f"{stage} came back: {calls}"
        stages.setdefault(stage, []).append((done, total))
    for stage, steps in stages.items():
        dones, totals = [d for d, _ in steps], {t for _, t in steps}
        assert dones[0] == 0 and dones == sorted(dones) and len(totals) == 1 and dones[-1] == totals.pop(), (stage, steps)
    return stages


def test_document_stages_and_totals(cache_dir: Path) -> None:
    options = ScoreOptions(cache_dir=cache_dir, n_bootstrap=100)
    calls: list[Call] = []
    report = score_document(SEED, (SEED_REF,), options, progress=lambda *call: calls.append(call))
    stages = _by_stage(calls)
    assert list(stages) == ["reading", "aligning", "encoding", "metrics", "checks"]
    total = {stage: steps[-1][1] for stage, steps in stages.items()}
    # The seed (README): 16 zh segments (title + 15 bullets), 15 en; 16 links, 15 paired, each with a reference.
    assert total["reading"] == 2 and total["aligning"] == 2  # the document and its reference
    assert total["encoding"] == 16 + 15 + 2 * 15 + 2 * 15  # both pools, the paired sides, outputs and references
    assert total["metrics"] == 4 + 2  # bleu, chrf, chrf++, ter (ScoreOptions.metrics) + similarity, margin
    assert total["checks"] == len(report.links) == 16
    assert len(stages["checks"]) == 17  # 0 then every link: fewer than 100 links report one by one
    # The callback changes nothing: the same report as without it (the default no-op).
    assert summary_json(report) == summary_json(score_document(SEED, (SEED_REF,), options))


def test_parallel_stages_and_totals(tmp_path: Path, cache_dir: Path) -> None:
    # The seed's 15 Chinese bullets against its 15 English ones and the reference (its lines after the # header).
    lines = [line for line in read_lines(SEED) if line.strip()]
    files = {"src.zh": lines[1:16], "hyp.en": lines[16:31], "ref.en": [r for r in read_lines(SEED_REF) if not r.startswith("#")]}
    for name, text in files.items():
        assert len(text) == 15, name
        (tmp_path / name).write_text("\n".join(text) + "\n", encoding="utf-8")
    calls: list[Call] = []
    report = score_parallel(tmp_path / "src.zh", tmp_path / "hyp.en", (tmp_path / "ref.en",),
                            ScoreOptions(cache_dir=cache_dir, n_bootstrap=100), progress=lambda *call: calls.append(call))
    stages = _by_stage(calls)
    assert list(stages) == ["reading", "aligning", "encoding", "metrics", "checks"]
    assert stages["reading"][-1] == (3, 3) and stages["aligning"][-1] == (1, 1)  # src, tgt, ref; one pairing check
    assert stages["checks"][-1] == (15, 15) == (len(report.links), len(report.links))


def _score(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[str, str]:
    code = main(["score", "--cache-dir", str(cache_dir), str(SEED), "-o", str(tmp_path / "r"), *options])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


@pytest.mark.parametrize("options", [["-q"], ["--json"]])
def test_no_progress_with_quiet_or_json_on_a_terminal(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    options: list[str],
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    out, err = _score(tmp_path, cache_dir, capsys, *options)
    assert err == ""
    assert (out == "") if options == ["-q"] else out.startswith("{")


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not sys.stderr.isatty()  # capsys: as in CI, or `evalkit score ... 2>log`
    out, err = _score(tmp_path, cache_dir, capsys)
    assert err == "" and "16 links" in out


def test_bars_on_a_terminal(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The counterpart of the tests above: on a terminal, without -q, every stage draws a bar on stderr.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    out, err = _score(tmp_path, cache_dir, capsys)
    for stage in ("reading", "aligning", "encoding", "metrics", "checks", "writing"):
        assert f"{stage}:" in err, err
    assert "16 links" in out and "\r" not in out  # the summary on stdout, untouched by the bars


class _FakeBar:
    """Stands in for tqdm.tqdm: records each bar's description, totals, position and whether it was closed."""

    made: list[_FakeBar] = []

    def __init__(self, total: int, initial: int = 0, desc: str = "", **_: object) -> None:
        self.total, self.n, self.desc, self.closed = total, initial, desc, False
        _FakeBar.made.append(self)

    def update(self, n: int) -> None:
        assert not self.closed and n >= 0
        self.n += n

    def close(self) -> None:
        self.closed = True


def test_stage_bars_one_bar_per_stage_erased_when_done(monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm

    from evalkit.progress import stage_bars

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(tqdm, "tqdm", _FakeBar)
    monkeypatch.setattr(_FakeBar, "made", [])
    with stage_bars(quiet=False) as report:
        for _document in range(2):  # several documents go through the stages once each
            report("reading", 0, 1)
            report("reading", 1, 1)
            report("checks", 0, 4)
            report("checks", 2, 4)
            assert not _FakeBar.made[-1].closed  # still running
            report("checks", 4, 4)
        report("checks", 4, 4)  # a repeat of a finished stage's last call: no new bar
        report("checks", 6, 6)  # a total that grew after the stage was done (a stream): a new bar from 6
        report("writing", 0, 3)  # left open: closed on leaving the block
    bars = [(b.desc, b.n, b.total, b.closed) for b in _FakeBar.made]
    assert bars == [("reading", 1, 1, True), ("checks", 4, 4, True)] * 2 + [("checks", 6, 6, True), ("writing", 0, 3, True)]


def test_stage_bars_draw_nothing_when_quiet_or_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm

    from evalkit.progress import no_progress, stage_bars

    monkeypatch.setattr(tqdm, "tqdm", _FakeBar)
    monkeypatch.setattr(_FakeBar, "made", [])
    for tty, quiet in [(False, False), (True, True), (False, True)]:
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty)
        with stage_bars(quiet=quiet) as report:
            assert report is no_progress
            report("reading", 0, 1)
    assert _FakeBar.made == []
