"""history.html in real headless Chromium: offline, every run drawn in every chart, failures marked, hover.

Uses the system Chromium (/usr/bin/chromium) through Playwright; never `playwright install`. The history is
made by hand with `record_run`: six runs whose chrF falls 0.5 a run (values chosen by hand), the last two
failing the cumulative chrF rule, run 4 failing only a flag-rate rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.gate.history import RunScore, load_runs, record_run
from evalkit.report.history import write_history

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
FP = {"source": "a" * 64, "references": ["b" * 64], "segments": 100, "target": "c" * 64}
XSS = '<img src=x onerror="document.title=1">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python (pip install playwright; the browser is /usr/bin/chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page_file(tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    for k in range(6):
        chrf, fails_cum, fails_flags = 55.0 - 0.5 * k, k >= 4, k == 3
        verdicts = [{"metric": "chrf", "rule": "max_cumulative_drop", "limit": 1.5, "passed": not fails_cum},
                    {"metric": "flag_rate", "rule": "max_drop", "limit": 2.0, "passed": not fails_flags}]
        record_run(db, fingerprints=FP, scores=[RunScore("chrf", chrf, "chrF2|sig", (chrf - 1.2, chrf + 1.1)),
                                               RunScore("bleu", 25.0 - 0.3 * k, "BLEU|sig", (23.0 - 0.3 * k, 27.0 - 0.3 * k))],
                   flag_rate=10.0 + k, passed=not (fails_cum or fails_flags), verdicts=verdicts,
                   label=XSS if k == 2 else f"v1.{k}", commit=f"{k + 10:x}" * 20)
    write_history(load_runs(db), db, tmp_path / "out")
    return tmp_path / "out" / "history.html"


def test_history_page_draws_every_run(browser: Any, page_file: Path, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    assert requests == [page_file.as_uri()] and errors == []  # offline: nothing but the page itself
    assert page.title().startswith("evalkit history · 6 runs, 3 failed")  # the label's markup stayed text
    metrics = page.eval_on_selector_all("figure.chart", "fs => fs.map(f => f.dataset.metric)")
    assert metrics == ["chrf", "bleu", "flag_rate"]
    for metric in metrics:
        # Every run is a point with a size on screen, inside its chart, in run order left to right.
        boxes = page.eval_on_selector_all(
            f'figure[data-metric="{metric}"] .pt circle',
            "cs => cs.map(c => { const b = c.getBoundingClientRect(); return [b.x, b.width, b.height]; })")
        assert len(boxes) == 6 and all(w > 0 and h > 0 for _, w, h in boxes)
        assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
        assert page.eval_on_selector_all(f'figure[data-metric="{metric}"] line.ci', "ls => ls.length") == (0 if metric == "flag_rate" else 6)
    # Failures marked: red on the metric whose rule failed, a red ring on the other charts.
    state = "gs => gs.map(g => g.getAttribute('class'))"
    assert page.eval_on_selector_all('figure[data-metric="chrf"] .pt', state) == [
        "pt pass reference", "pt pass", "pt pass", "pt fail-other", "pt fail", "pt fail"]
    assert page.eval_on_selector_all('figure[data-metric="flag_rate"] .pt', state)[3] == "pt fail"
    # Hover: the label and commit of the run.
    assert page.is_hidden("#tip")
    page.hover('figure[data-metric="chrf"] .pt[data-run="5"]')
    tip = page.inner_text("#tip")
    assert page.is_visible("#tip") and "run 5 · v1.4 · commit " + "e" * 12 in tip and "FAIL: chrf max cumulative drop 1.5" in tip
    page.hover('figure[data-metric="bleu"] .pt[data-run="3"]')
    assert XSS in page.inner_text("#tip") and page.title() != "1"
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    assert (tmp_path / "history.png").stat().st_size > 10_000
    assert errors == [] and requests == [page_file.as_uri()]
    context.close()
