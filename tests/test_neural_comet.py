"""COMET/CometKiwi adapters (`evalkit.neural`) on tiny checkpoints built by the test (tests/neural_fixtures.py).

Fast tests: input order under batching, too_long instead of truncation, signature, a missing model (exit 2).
Slow test: parity with unbabel-comet installed in its own virtualenv (numpy<2) in a cache folder, to 1e-5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from evalkit.cli import main  # noqa: E402

from conftest import ROOT  # noqa: E402
from neural_fixtures import MAX_TOKENS, build_comet  # noqa: E402

SRC = ["今天天气很好。", "我们明天去北京。", "会议在下午三点开始。", "他说：“没有问题。”"]
MT = ["The weather is nice today.", "We go to Beijing tomorrow.", "The meeting starts at 3 pm.", "He said no problem."]
REF = ["The weather is very good today.", "We will go to Beijing tomorrow.", "The meeting begins at three in the afternoon.",
       'He said: "No problem."']


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-comet")
    return {"comet": build_comet(root / "comet"), "cometkiwi": build_comet(root / "kiwi", "unified_metric")}


def test_order_batching_and_too_long(tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.neural.comet import Comet, CometKiwi

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path))
    long_src = "长" * (MAX_TOKENS + 5)
    src, mt, ref = [*SRC, long_src], [*MT, "x"], [*REF, "y"]
    for cls, refs in ((Comet, [ref]), (CometKiwi, None)):
        metric = cls(model=str(tiny[cls.name]), device="cpu", batch_size="1")
        one = metric.score(src, mt, refs)
        three = cls(model=str(tiny[cls.name]), device="cpu", batch_size="3").score(src, mt, refs)
        back = cls(model=str(tiny[cls.name]), device="cpu", batch_size="3").score(src[::-1], mt[::-1], [r[::-1] for r in refs] if refs else None)
        assert one[:4] == pytest.approx(three[:4], abs=1e-6) and one[:4] == pytest.approx(back[::-1][:4], abs=1e-6)
        assert len(set(round(x, 6) for x in one[:4])) == 4  # distinct scores: a permutation would show
        assert one[4] != one[4] and list(metric.last_flags) == [4] and metric.last_flags[4][0] == "too_long"
        assert metric.signature.startswith(f"{cls.name}|model:{tiny[cls.name]}|ckpt:") and "|evalkit:" in metric.signature


def test_cli_column_and_missing_model(tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.zh").write_text("\n".join(SRC) + "\n", encoding="utf-8")
    (tmp_path / "h.en").write_text("\n".join(MT) + "\n", encoding="utf-8")
    (tmp_path / "r.en").write_text("\n".join(REF) + "\n", encoding="utf-8")
    args = ["score", "--src", str(tmp_path / "s.zh"), "--tgt", str(tmp_path / "h.en"), "--ref", str(tmp_path / "r.en"),
            "--cache-dir", str(tmp_path / "c"), "-q", "-o", str(tmp_path / "o")]
    assert main([*args, "--metric", f"comet:model={tiny['comet']},device=cpu"]) == 0
    header = (tmp_path / "o" / "pairs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "comet" in header
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scores"]["comet"]["signature"].startswith("comet|model:")
    start = time.monotonic()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "evalkit", *args, "--metric", "comet:model=nobody/no-such-comet"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "huggingface-cli download" in done.stderr
    assert time.monotonic() - start < 60


COMET_VENV = Path(os.environ.get("EVALKIT_COMET_VENV", Path.home() / ".cache" / "evalkit-tests" / "comet-venv"))


def _comet_python() -> Path:
    python = COMET_VENV / "bin" / "python"
    if python.exists():
        return python
    steps = [[sys.executable, "-m", "venv", str(COMET_VENV)], [str(python), "-m", "pip", "install", "-q", "torch==2.13.0"],
             [str(python), "-m", "pip", "install", "-q", "unbabel-comet", "numpy<2", "setuptools<70"]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if done.returncode:
            pytest.skip(f"unbabel-comet could not be installed: {done.stderr.strip()[-300:]}")
    return python


@pytest.mark.slow
@pytest.mark.parametrize("name", ["comet", "cometkiwi"])
def test_parity_with_unbabel_comet(name: str, tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.neural.comet import Comet, CometKiwi

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path))
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps([{"src": s, "mt": m, "ref": r} for s, m, r in zip(SRC, MT, REF)]), encoding="utf-8")
    done = subprocess.run([str(_comet_python()), str(ROOT / "tests" / "comet_reference.py"),
                           str(tiny[name] / "checkpoints" / "model.ckpt"), str(samples), "2"],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    cls = Comet if name == "comet" else CometKiwi
    ours = cls(model=str(tiny[name]), device="cpu", batch_size="3").score(SRC, MT, [REF] if name == "comet" else None)
    assert ours == pytest.approx(theirs, abs=1e-5)
