"""MetricX-23/24 adapters (`evalkit.neural.metricx`) on tiny random mT5 checkpoints built by the test (tests/neural_fixtures.py).

Parity: the expected value of every segment is computed here, independently of the adapter, with plain
transformers the way google-research/metricx does it (``metricx23/models.py`` ``MT5ForRegression.forward``,
``metricx2{3,4}/predict.py`` ``get_dataset``): the input string of ``_make_input``, tokenized with
``max_length`` and ``truncation=True``, its last token (``</s>``) removed, one decoder step on token 0,
``lm_logits[:, 0, <extra_id_10>]`` clipped to [0, 25]; one segment at a time (batch size 1, as MetricX's README runs it).
"""

from __future__ import annotations

import csv
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
from evalkit.errors import ModelError, UsageError  # noqa: E402

from conftest import ROOT  # noqa: E402
from neural_fixtures import HIDDEN, build_metricx  # noqa: E402

SRC = ["今天天气很好。", "我们明天去北京。", "会议在下午三点开始。", "他说：“没有问题。”",
       "经济增长放缓，但就业市场依然强劲，政府表示将继续支持中小企业。"]  # fmt: skip
MT = ["The weather is nice today.", "We go to Beijing tomorrow.", "The meeting starts at 3 pm.", "He said no problem.",
      "Economic growth slowed, but the job market stayed strong; the government said it would keep supporting small firms."]
REF = ["The weather is very good today.", "We will go to Beijing tomorrow.", "The meeting begins at three in the afternoon.",
       'He said: "No problem."', "Economic growth has slowed, but the labour market remains strong, and the government "
       "says it will continue to support small and medium-sized enterprises."]  # fmt: skip


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-metricx")
    return {"untied": build_metricx(root / "untied"), "tied": build_metricx(root / "tied", seed=12, tied=True)}


@pytest.fixture(scope="session")
def spiece(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint without a tokenizer, its mT5-style sentencepiece tokenizer in ``mt5-tokenizer/`` (as google/mt5-xl)."""
    pytest.importorskip("sentencepiece")
    return build_metricx(tmp_path_factory.mktemp("tiny-metricx-spiece") / "m", seed=13, spiece=True)


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "cache"))  # checkpoint-hash memo out of the user's cache


def metricx_inputs(version: str, qe: bool) -> list[str]:
    """``_make_input`` of metricx23/predict.py and metricx24/predict.py, written out here."""
    if version == "23":
        return [f"candidate: {h} source: {s}" if qe else f"candidate: {h} reference: {r}" for s, h, r in zip(SRC, MT, REF)]
    return [f"source: {s} candidate: {h}" + ("" if qe else f" reference: {r}") for s, h, r in zip(SRC, MT, REF)]


def metricx_reference(folder: Path, texts: list[str], max_input_length: int, tokenizer_dir: Path | None = None) -> list[float]:
    """MetricX's predictions with plain transformers (MT5ForConditionalGeneration), one segment at a time."""
    import torch
    import transformers
    from transformers import AutoTokenizer, MT5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir or folder))
    model = MT5ForConditionalGeneration.from_pretrained(str(folder), dtype=torch.float32).eval()
    index = tokenizer.convert_tokens_to_ids("<extra_id_10>")  # mT5's 250089; the tiny vocabulary's own id
    tied = json.loads((folder / "config.json").read_text(encoding="utf-8"))["tie_word_embeddings"]
    # MetricX scales a tied model's decoder output by d_model ** -0.5 before lm_head; transformers 4's T5 forward
    # does too, transformers 5's does not (lm_head has no bias, so scaling the logits is the same)
    scale = HIDDEN**-0.5 if tied and int(transformers.__version__.split(".")[0]) >= 5 else 1.0
    out = []
    with torch.no_grad():
        for text in texts:
            enc = tokenizer(text, max_length=max_input_length, truncation=True, padding=False)
            ids, mask = torch.tensor([enc["input_ids"][:-1]]), torch.tensor([enc["attention_mask"][:-1]])  # _remove_eos
            logits = model(input_ids=ids, attention_mask=mask, decoder_input_ids=torch.zeros((1, 1), dtype=torch.long)).logits
            out.append(float(torch.clamp(logits[:, 0, index] * scale, 0, 25)[0]))
    return out


@pytest.mark.parametrize("kind", ["untied", "tied", "spiece"])
@pytest.mark.parametrize("version", ["23", "24"])
def test_parity_with_metricx_forward(kind: str, version: str, tiny: dict[str, Path], request: pytest.FixtureRequest) -> None:
    from evalkit.neural.metricx import MetricX, MetricXQE

    folder = request.getfixturevalue("spiece") if kind == "spiece" else tiny[kind]
    tok = folder / "mt5-tokenizer" if kind == "spiece" else None
    for cls, refs in ((MetricX, [REF]), (MetricXQE, None)):
        ours = cls(model=str(folder), tokenizer=str(tok or ""), version=version, device="cpu", batch_size="3").score(SRC, MT, refs)
        theirs = metricx_reference(folder, metricx_inputs(version, refs is None), 1536 if version == "24" else 1024, tok)
        assert ours == pytest.approx(theirs, abs=1e-5)
        assert all(0 < x < 25 for x in theirs) and len({round(x, 4) for x in theirs}) == len(SRC)  # not clipped, distinct


def test_order_batching_and_too_long(tiny: dict[str, Path]) -> None:
    from evalkit.neural.metricx import MetricX, MetricXQE

    folder = str(tiny["untied"])
    long_src = SRC[4] * 20
    src, mt, ref = [long_src, *SRC], ["x", *MT], ["y", *REF]
    for cls, refs in ((MetricX, [ref]), (MetricXQE, None)):
        metric = cls(model=folder, device="cpu", batch_size="1", max_input_length="300")
        one = metric.score(src, mt, refs)
        three = cls(model=folder, device="cpu", batch_size="3", max_input_length="300").score(src, mt, refs)
        back = cls(model=folder, device="cpu", batch_size="3", max_input_length="300").score(
            src[::-1], mt[::-1], [r[::-1] for r in refs] if refs else None)
        # float32: padding within a batch moves the last digits (1.9e-6 seen), hence 1e-5 as in the parity test
        assert one[1:] == pytest.approx(three[1:], abs=1e-5) and one[1:] == pytest.approx(back[::-1][1:], abs=1e-5)
        assert len({round(x, 6) for x in one[1:]}) == len(SRC)  # distinct scores: a permutation would show
        code, detail, value, threshold = metric.last_flags[0]
        assert one[0] != one[0] and list(metric.last_flags) == [0] and code == "too_long" and value > threshold == 300.0
        assert f"has {int(value)} tokens, more than the 300 MetricX-24 reads" in detail


def test_too_long_boundary_and_defaults(tiny: dict[str, Path]) -> None:
    from transformers import AutoTokenizer

    from evalkit.neural.metricx import MetricX

    folder = str(tiny["untied"])
    text = f"source: {SRC[4]} candidate: {MT[4]} reference: {REF[4]}"
    n = len(AutoTokenizer.from_pretrained(folder)(text)["input_ids"])  # with </s>: what MetricX's max_length counts
    fits = MetricX(model=folder, device="cpu", max_input_length=str(n)).score(SRC[4:], MT[4:], [REF[4:]])
    assert fits == pytest.approx(metricx_reference(tiny["untied"], [text], n), abs=1e-5)
    cut = MetricX(model=folder, device="cpu", max_input_length=str(n - 1))
    assert cut.score(SRC[4:], MT[4:], [REF[4:]])[0] != cut.score(SRC[4:], MT[4:], [REF[4:]])[0] and list(cut.last_flags) == [0]
    # MetricX's README: --max_input_length 1536 for MetricX-24, 1024 for MetricX-23
    assert MetricX(model=folder).max_tokens == 1536 and MetricX(model=folder, version="23").max_tokens == 1024


def test_several_references_best_is_lowest(tiny: dict[str, Path]) -> None:
    from evalkit.neural.metricx import MetricX

    metric = MetricX(model=str(tiny["untied"]), device="cpu")
    other = [MT[1], MT[0], REF[2], MT[3], REF[0]]
    a, b = metric.score(SRC, MT, [REF]), metric.score(SRC, MT, [other])
    assert metric.score(SRC, MT, [REF, other]) == pytest.approx([min(x, y) for x, y in zip(a, b)], abs=1e-9)
    assert any(x < y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))  # the minimum picks from both


def test_signature_version_and_kind(tiny: dict[str, Path], tmp_path: Path) -> None:
    from evalkit.neural.metricx import MetricX, MetricXQE

    metric = MetricX(model=str(tiny["untied"]))
    assert metric.higher_is_better is False and metric.needs_reference and not MetricXQE.needs_reference
    assert metric.signature.startswith(f"metricx|model:{tiny['untied']}|ckpt:") and "|v:24|tok:" in metric.signature
    assert metric.signature.endswith(f"|evalkit:{__import__('evalkit').__version__}") and metric.label == "MetricX-24"
    assert MetricX(model=str(tiny["tied"])).signature.split("|")[2] != metric.signature.split("|")[2]  # other weights, other hash
    qe23 = tmp_path / "metricx-23-qe-tiny"
    qe23.symlink_to(tiny["untied"], target_is_directory=True)
    assert MetricXQE(model=str(qe23)).version == "23" and MetricXQE(model=str(qe23), version="24").version == "24"
    with pytest.raises(UsageError, match="is a MetricX-23 QE model"):
        MetricX(model=str(qe23))
    with pytest.raises(UsageError, match="not 23 or 24"):
        MetricX(model=str(tiny["untied"]), version="25")


def test_missing_extra_and_weights(tiny: dict[str, Path], spiece: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from evalkit.neural import loading
    from evalkit.neural.metricx import MetricX

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text(json.dumps({"model_type": "mt5"}), encoding="utf-8")
    with pytest.raises(ModelError, match="has no weights"):
        MetricX(model=str(tmp_path / "empty"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sentencepiece" else real(name, *a))
    MetricX(model=str(tiny["untied"]))  # a tokenizer.json needs no sentencepiece
    with pytest.raises(ModelError, match=r"needs sentencepiece for .*mt5-tokenizer \(spiece.model\), which is not installed"):
        MetricX(model=str(spiece), tokenizer=str(spiece / "mt5-tokenizer"))
    monkeypatch.setattr(loading.importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(ModelError, match=r"needs torch, which is not installed \(pip install 'evalkit\[neural\]'"):
        MetricX(model=str(tiny["untied"]))


def test_cli_column_and_missing_model(tiny: dict[str, Path], spiece: Path, tmp_path: Path) -> None:
    from evalkit.neural.metricx import MetricX

    for name, lines in (("s.zh", SRC), ("h.en", MT), ("r.en", REF)):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["score", "--src", str(tmp_path / "s.zh"), "--tgt", str(tmp_path / "h.en"), "--ref", str(tmp_path / "r.en"),
            "--cache-dir", str(tmp_path / "c"), "-q", "-o", str(tmp_path / "o")]  # fmt: skip
    assert main([*args, "--metric", f"metricx:model={tiny['untied']},device=cpu"]) == 0
    with (tmp_path / "o" / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = MetricX(model=str(tiny["untied"]), device="cpu").score(SRC, MT, [REF])
    assert [float(row["metricx"]) for row in rows] == pytest.approx(expected, abs=1e-4)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scores"]["metricx"]["signature"].startswith("metricx|model:")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    # a checkpoint without a tokenizer reads MetricX's default google/mt5-xl, not in the (offline) cache here
    for spec, says in (("metricx:model=/nonexistent", "model folder /nonexistent not found"),
                       ("metricx-qe:model=nobody/no-such-metricx", "huggingface-cli download nobody/no-such-metricx"),
                       (f"metricx:model={spiece}", "huggingface-cli download google/mt5-xl")):  # fmt: skip
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "evalkit", *args, "--metric", spec], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=120)  # fmt: skip
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
        assert time.monotonic() - start < 30
