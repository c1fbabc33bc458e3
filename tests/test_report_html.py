"""report.html without a browser: escaping, no network reference, CSP, flags, order, verdicts, charts."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evalkit.flag import REASONS
from evalkit.records import Flag, Link, Report, Score, ScoredLink, Span
from evalkit.calibrate import load_verdict_map
from evalkit.report.html import CSP, char_diff, render_html, report_key, target_pieces, write_report_html
from evalkit.report.html import _histogram  # geometry is checked directly: the chart must put the line where the threshold is

XSS_SOURCE = "<script>alert(1)</script> and <img src=x onerror=alert(1)> see https://example.com/x.png"
XSS_TARGET = "</textarea><script>alert(2)</script>"
XSS_REFERENCE = "javascript:alert(1)"


def sample_report() -> Report:
    """A small en→zh report built by hand: one link of each kind the page must show.

    Scores and flag details are invented for the page, written as `evalkit.flag` formats them.
    """
    links = (
        ScoredLink(Link((0,), ()), "Behind Xi's handshake with Putin | Foreign Affairs", "", src_lines=(1,),
                   flags=(Flag("unpaired", "unpaired: source segment has no counterpart (1-0)"),)),
        ScoredLink(Link((1,), (0,), 0.93), "Xi Jinping's visit to Russia last month showed public support.",
                   "习近平上个月对俄罗斯的访问表明了公众的支持。", ("习近平上月访问俄罗斯,表明了公众对其的支持。",),
                   (3,), (1,), similarity=0.86, margin=1.32, ref_similarity=0.91,
                   metrics={"bleu": 31.0, "chrf": 48.2, "chrf++": 45.0, "ter": 52.0}),
        ScoredLink(Link((2,), (1,), 0.71), "At the end of the trip, the Kremlin published a list of 14 documents.",
                   "在行程结束时,克里姆林宫公布了一份41份文件的清单。", ("在行程结束时,克里姆林宫公布了一份14份文件的清单。",),
                   (5,), (3,), similarity=0.61, margin=0.91, ref_similarity=0.95,
                   metrics={"bleu": 70.2, "chrf": 80.1, "chrf++": 78.0, "ter": 10.0},
                   flags=(Flag("low_margin", "low_margin: 0.91 < 1.05", 0.91, 1.05),
                          Flag("number_mismatch", "number_mismatch: 14 missing in target; 41 not in source"))),
        ScoredLink(Link((3, 4), (2,), 0.88), "China has its own industry. It still wants Russian engines.",
                   "中国拥有自己的工业,但仍希望获得俄罗斯的发动机。", ("中国有自己的工业,但仍想要俄罗斯的发动机。",),
                   (7, 8), (5,), similarity=0.79, margin=1.18, ref_similarity=0.88,
                   metrics={"bleu": 35.5, "chrf": 41.0, "chrf++": 39.0, "ter": 45.0}, info=("2-1: merged in translation",)),
        ScoredLink(Link((5,), (3,), 0.4), XSS_SOURCE, XSS_TARGET, (XSS_REFERENCE,), (10,), (7,),
                   similarity=0.12, margin=0.8, ref_similarity=0.05,
                   metrics={"bleu": 0.0, "chrf": 3.5, "chrf++": 3.0, "ter": 100.0},
                   flags=(Flag("low_similarity", "low_similarity: 0.12 < 0.25", 0.12, 0.25),
                          Flag("low_chrf", "low_chrf: 3.5 < 20", 3.5, 20.0))),
        ScoredLink(Link((), (4,)), "", "(完)", tgt_lines=(9,),
                   flags=(Flag("unpaired", "unpaired: target segment has no counterpart (0-1)"),)),
    )
    return Report(
        inputs={"document": "tests/data/report/sample.en-zh.txt", "encoding": "utf-8"},
        src_lang="en", tgt_lang="zh", links=links,
        scores={"bleu": Score("bleu", 34.56, "nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp|version:2.6.0", (20.1, 48.0)),
                "similarity": Score("similarity", 0.594, "model:usem3|backend:onnx|k:4|evalkit:0.1.0", (0.3, 0.8))},
        thresholds={"margin": 1.05, "similarity": 0.25, "chrf": 20.0, "length_k": 3.5, "repetition": 3},
        thresholds_origin="defaults", model={"id": "usem3", "backend": "onnx"},
        warnings=("mt.txt lines 40-55 look shifted by one line: check the pairing before trusting any score",),
        extra={"alignment": "dp"},
    )


class _Tags(HTMLParser):
    """Every start tag with its attributes, the text of each <script>, and the other text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample_report())


@pytest.fixture(scope="module")
def parsed(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("payload", [XSS_SOURCE, XSS_TARGET, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_payloads_appear_only_as_text(page: str, parsed: _Tags, payload: str) -> None:
    assert payload not in page
    assert payload in "".join(parsed.text)  # what a browser shows, marks of the diff dropped


def test_only_our_two_scripts_and_no_handler_or_link(parsed: _Tags) -> None:
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "evalkit-data"}, {}]
    for tag, attrs in parsed.tags:
        assert tag not in {"img", "iframe", "link", "object", "embed", "textarea", "a", "base", "form"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"src", "href", "action", "srcset", "xlink:href"}, (tag, name, value)
            assert "://" not in (value or "") and "javascript:" not in (value or "").lower(), (tag, name, value)


def test_no_network_reference_in_css_or_script(parsed: _Tags, page: str) -> None:
    style = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in style and "@import" not in style
    code = parsed.scripts[1][1]
    assert "://" not in code and "fetch(" not in code and "XMLHttpRequest" not in code and "innerHTML" not in code


def test_csp_meta_forbids_every_fetch(parsed: _Tags) -> None:
    metas = [attrs for tag, attrs in parsed.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert [m["content"] for m in metas] == [CSP]
    assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:")


def test_embedded_json_is_inert_and_round_trips(parsed: _Tags) -> None:
    raw = parsed.scripts[0][1]
    assert not any(ch in raw for ch in "<>&\u2028\u2029")
    data = json.loads(raw)
    assert data["key"] == report_key(sample_report())
    # The flagged links, in document order, with their texts unchanged (ids from sample_report).
    assert list(data["rows"]) == ["0|", "2|1", "5|3", "|4"]
    assert data["rows"]["5|3"]["source"] == XSS_SOURCE and data["rows"]["5|3"]["target"] == XSS_TARGET
    assert data["rows"]["2|1"]["flags"][0] == {"code": "low_margin", "detail": "low_margin: 0.91 < 1.05", "value": 0.91, "threshold": 1.05}


def test_every_flag_detail_and_its_explanation_shown(page: str) -> None:
    for link in sample_report().links:
        for flag in link.flags:
            assert f'<span class="code" title="{REASONS[flag.code]}">{flag.code}</span><span class="detail s">{flag.detail}</span>' in page.replace("&lt;", "<")


def test_flagged_rows_first_then_document_order(parsed: _Tags) -> None:
    ids = [attrs["data-id"] for tag, attrs in parsed.tags if tag == "tr" and "data-id" in attrs]
    assert ids == ["0|", "2|1", "5|3", "|4", "1|0", "3 4|2"]


@pytest.mark.parametrize(
    ("fragment", "why"),
    [
        ("no target segment (unpaired)", "1-0 title shows an empty target side"),
        ("no source segment (unpaired)", "0-1 shows an empty source side"),
        ('<span class="info s">2-1: merged in translation</span>', "2-1 shows its info note"),
        ("mt.txt lines 40-55 look shifted by one line", "warnings on top"),
        ("nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp|version:2.6.0", "score signature"),
        ("95% CI 20.10–48.00", "bleu ci95 from sample_report"),
        ('<mark class="dt">41</mark>', "changed number in the Chinese target highlighted"),
        ('<mark class="dr">14</mark>', "and in the reference"),
        ('id="chart-margin"', "margin histogram"),
        ('id="chart-chrf"', "chrF histogram (references exist)"),
        ('<option value="number_mismatch"', "filter built from reasons present"),
    ],
)
def test_page_shows(page: str, fragment: str, why: str) -> None:
    assert fragment in page, why


def test_reasons_absent_from_report_are_not_offered(page: str) -> None:
    assert '<option value="repetition"' not in page


@pytest.mark.parametrize(
    ("a", "b", "a_changed", "b_changed"),
    [
        ("一份41份文件", "一份14份文件", ["41"], ["14"]),  # Chinese: one character at a time
        ("公众的支持", "公众对其的支持", [], ["对其"]),
        ("the big cat sat", "the cat sat", [" big"], []),  # English: whole words
        ("", "abc", [], ["abc"]),
    ],
)
def test_char_diff(a: str, b: str, a_changed: list[str], b_changed: list[str]) -> None:
    result = char_diff(a, b)
    assert result is not None
    pieces_a, pieces_b = result
    assert "".join(t for t, _ in pieces_a) == a and "".join(t for t, _ in pieces_b) == b
    assert [t for t, changed in pieces_a if changed] == a_changed
    assert [t for t, changed in pieces_b if changed] == b_changed


def test_histogram_threshold_line_and_low_bins() -> None:
    chart = _histogram([5.0, 15.0, 50.0, 95.0], 20.0, (0.0, 100.0))
    # x = left pad 30 + 20/100 of the plot width (288 - 30 - 6 = 252) = 80.4
    assert chart["threshold"]["x"] == pytest.approx(80.4)
    assert sum(b["h"] > 0 for b in chart["bars"]) == 4
    assert [b["low"] for b in chart["bars"]][:5] == [True, True, True, True, False]  # 20 bins of 5: 0-20 lie below 20


def test_earlier_verdicts_marked() -> None:
    page = render_html(sample_report(), verdicts={((2,), (1,)): "false_alarm", ("5", "3"): "real_problem"})
    assert page.count("judged false alarm earlier") == 1 and page.count("judged real problem earlier") == 1
    assert 'data-id="2|1" data-reasons="low_margin number_mismatch" class="flagged" data-earlier="false_alarm"' in page
    with pytest.raises(ValueError, match="unknown verdict 'ok'"):
        render_html(sample_report(), verdicts={((2,), (1,)): "ok"})


def test_exported_verdicts_read_back_into_a_new_report(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.jsonl"
    lines = [
        {"src_ids": [2], "tgt_ids": [1], "verdict": "false_alarm", "comment": "numbers differ in the source too"},
        {"src_ids": [0], "tgt_ids": [], "verdict": "fixed"},
        {"src_ids": [2], "tgt_ids": [1], "verdict": "real_problem"},  # a later line wins
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    verdicts = load_verdict_map([path])
    assert verdicts == {("2", "1"): "real_problem", ("0", ""): "fixed"}
    assert "judged real problem earlier" in render_html(sample_report(), verdicts=verdicts)


def test_report_key_names_inputs_and_links() -> None:
    report = sample_report()
    key = report_key(report)
    assert len(key) == 16 and key == report_key(sample_report())
    changed = replace(report, links=(replace(report.links[0], source="Another title"), *report.links[1:]))
    assert report_key(changed) != key
    assert report_key(replace(report, inputs={"document": "other.txt"})) != key


def test_write_report_html(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_report_html(sample_report(), path)
    assert path.read_text(encoding="utf-8") == render_html(sample_report())


def test_without_references_no_reference_column() -> None:
    report = sample_report()
    bare = replace(report, links=tuple(replace(l, references=(), metrics={}) for l in report.links), scores={})
    page = render_html(bare)
    assert "Reference</button>" not in page and 'id="chart-chrf"' not in page and 'id="chart-margin"' in page
    assert "No corpus score." in page


def test_empty_and_infinite_values_render() -> None:
    report = sample_report()
    assert "0 of 0 links shown" in render_html(replace(report, links=(), scores={}))
    nan_flag = Flag("low_margin", "low_margin: nan < 1.05", float("nan"), 1.05)
    odd = replace(report, links=(replace(report.links[1], margin=float("inf")),
                                 replace(report.links[2], margin=float("nan"), flags=(nan_flag,))))
    page = render_html(odd)
    assert '<td class="num" data-v="Infinity">∞</td>' in page and '<td class="num" data-v="">–</td>' in page
    parser = _Tags()
    parser.feed(page)
    data = json.loads(parser.scripts[0][1])  # strict JSON: NaN would not parse in a browser
    assert data["rows"]["2|1"]["flags"][0]["value"] is None


def big_report(n: int = 2000) -> Report:
    """``n`` links cycling over the sample's kinds, renumbered so ids stay consecutive."""
    base = [l for l in sample_report().links if l.link.paired]
    links = []
    for i in range(n):
        proto = base[i % len(base)]
        links.append(replace(proto, link=Link((i,), (i,), proto.link.confidence), src_lines=(i + 1,), tgt_lines=(i + 1,),
                             margin=(proto.margin or 1.0) + (i % 97) / 100, info=()))
    return replace(sample_report(), links=tuple(links))


def test_2000_rows_render_fast() -> None:
    report = big_report()
    start = time.perf_counter()
    page = render_html(report)
    elapsed = time.perf_counter() - start
    print(f"2000 rows: {elapsed:.2f} s, {len(page) / 1e6:.1f} MB")
    assert page.count("<tr id=") == 2000
    assert elapsed < 5, elapsed  # 0.3-0.4 s measured on the shared 2-core dev box; generous for CI


def test_large_reports_keep_every_flagged_row_and_cap_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    import evalkit.report.html as html

    report = sample_report()
    monkeypatch.setattr(html, "MAX_ROWS", 1)
    page = render_html(report)
    flagged = sum(1 for link in report.links if link.flagged)
    assert f"{len(report.links) - flagged} unflagged links are not shown" in page
    assert page.count('class="flagged"') >= flagged


def test_error_spans_highlighted_escaped_and_split_by_the_diff() -> None:
    """A metric's spans (e.g. XCOMET's) wrap the target's characters at their offsets in ``es es-<severity>``;
    the reference diff's marks stay inside; spans that do not fit the text are listed under it."""
    target = "He said <b>no</b> problem."
    spans = (Span(3, 7, "said", "major", 0.81), Span(8, 17, "<b>no</b>", "critical", 0.5),
             Span(0, 0, "", "minor", 0.4), Span(5, 20, "wrong", "minor", 0.3))  # fmt: skip
    link = ScoredLink(Link((0,), (0,)), "他说没问题。", target, ("He said: no problem.",), (1,), (1,), similarity=0.5,
                      margin=1.2, metrics={"chrf": 50.0}, spans={"xcomet": spans})  # fmt: skip
    pieces, unplaced = target_pieces(link, char_diff(target, link.references[0])[0])  # type: ignore[index]
    assert "".join(p["text"] for p in pieces) == target
    marked = [(p["text"], p["span"]["cls"], p["changed"]) for p in pieces if p["span"]]
    # the critical span holds three pieces of the diff: "<b>" and "</b>" are not in the reference, "no" is
    assert marked == [("said", "es es-major", False), ("<b>", "es es-critical", True), ("no", "es es-critical", False),
                      ("</b>", "es es-critical", True)]  # fmt: skip
    assert [u["text"] for u in unplaced] == ["", "wrong"]
    report = replace(sample_report(), links=(link,))
    page = render_html(report)
    assert '<span class="es es-major" title="xcomet: major error, confidence 0.81">said</span>' in page
    assert '<span class="es es-critical" title="xcomet: critical error, confidence 0.50">' in page
    assert '<mark class="dt">&lt;b&gt;</mark>' in page and "<b>" not in page  # the span's text is escaped
    assert "Error spans found by xcomet" in page and '<div class="es-list s">error spans:' in page
