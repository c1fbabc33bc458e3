"""report.html in real headless Chromium: offline, inert payloads, filter/sort/search, verdicts.

Uses the system Chromium (/usr/bin/chromium) through Playwright; never `playwright install`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_report_html import XSS_SOURCE, XSS_TARGET, big_report, sample_report

from evalkit.report.html import report_key, write_report_html

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


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


@dataclass
class Tab:
    """A page and everything it did that a self-contained, inert report must not do."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def rows(self) -> list[str]:
        """data-id of the visible rows, top to bottom."""
        return self.page.eval_on_selector_all("#links tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.dataset.id)")

    def check_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        # The download of exported verdicts is a blob: URL made in the page, not a network request.
        assert {u for u in self.requests if not u.startswith("blob:")} == {self.url}, self.requests


def open_tab(browser: Any, path: Path) -> Iterator[Tab]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    tab = Tab(page, path.as_uri())
    page.on("request", lambda r: tab.requests.append(r.url))
    page.on("console", lambda m: tab.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: tab.errors.append(f"page error: {e}"))

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(tab.url)
    yield tab
    context.close()


@pytest.fixture
def tab(browser: Any, tmp_path: Path) -> Iterator[Tab]:
    path = tmp_path / "report.html"
    write_report_html(sample_report(), path, verdicts={((2,), (1,)): "false_alarm"})
    yield from open_tab(browser, path)


def test_opens_offline_and_payloads_stay_text(tab: Tab) -> None:
    page = tab.page
    assert page.inner_text("tr[data-id='5|3'] td:nth-child(2)") == XSS_SOURCE
    assert page.inner_text("tr[data-id='5|3'] td:nth-child(3)") == XSS_TARGET
    assert page.inner_text("tr[data-id='5|3'] td:nth-child(4)") == "javascript:alert(1)"
    assert page.locator("img, iframe, textarea, a[href]").count() == 0
    assert page.evaluate("document.scripts.length") == 2
    assert "judged false alarm earlier" in page.inner_text("tr[data-id='2|1']")
    page.wait_for_timeout(200)  # let any stray handler fire before checking
    tab.check_clean()


def test_filter_sort_search(tab: Tab) -> None:
    page = tab.page
    # flagged first, then document order (sample_report's link ids)
    assert tab.rows() == ["0|", "2|1", "5|3", "|4", "1|0", "3 4|2"]
    page.select_option("#reason", "number_mismatch")
    assert tab.rows() == ["2|1"]
    page.select_option("#reason", "@clean")
    assert tab.rows() == ["1|0", "3 4|2"]
    page.select_option("#reason", "")
    page.select_option("#verdict", "@earlier")
    assert tab.rows() == ["2|1"]
    page.select_option("#verdict", "")

    page.click("th:has-text('Margin') button")  # ascending; links without a margin (unpaired) last
    assert tab.rows() == ["5|3", "2|1", "3 4|2", "1|0", "0|", "|4"]  # margins 0.8, 0.91, 1.18, 1.32
    assert page.get_attribute("th:has-text('Margin')", "aria-sort") == "ascending"
    page.click("th:has-text('Margin') button")
    assert tab.rows() == ["1|0", "3 4|2", "2|1", "5|3", "0|", "|4"]
    page.click("th:has-text('#') button")
    assert tab.rows() == ["0|", "1|0", "2|1", "3 4|2", "5|3", "|4"]  # document order
    page.click("#reset")
    assert tab.rows()[:2] == ["0|", "2|1"]

    page.fill("#search", "克里姆林宫")
    assert tab.rows() == ["2|1"]
    page.fill("#search", "ALERT(1)")  # case-insensitive, finds the payload as text
    assert tab.rows() == ["5|3"]
    page.fill("#search", "low_chrf alert")  # every word must match; flag details are searchable
    assert tab.rows() == ["5|3"]
    page.fill("#search", "")
    assert len(tab.rows()) == 6
    assert page.inner_text("#count") == "6 of 6 links shown"
    tab.check_clean()


def test_verdicts_export_and_survive_reload(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    page.click("tr[data-id='2|1'] button[data-verdict=real_problem]")
    page.click("tr[data-id='5|3'] button[data-verdict=false_alarm]")
    page.fill("tr[data-id='5|3'] input.vc", "markup in the source </textarea> is the content")
    page.click("tr[data-id='|4'] button[data-verdict=fixed]")
    page.click("tr[data-id='|4'] button[data-verdict=fixed]")  # a second click takes the verdict back
    assert page.inner_text("#export") == "Export verdicts (2)"
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    key = report_key(sample_report())
    assert saved.name == f"verdicts-{key}.jsonl"
    lines = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"src_ids": [2], "tgt_ids": [1], "source": sample_report().links[2].source, "target": sample_report().links[2].target,
         "reasons": ["low_margin", "number_mismatch"],
         "flags": [{"code": "low_margin", "detail": "low_margin: 0.91 < 1.05", "value": 0.91, "threshold": 1.05},
                   {"code": "number_mismatch", "detail": "number_mismatch: 14 missing in target; 41 not in source",
                    "value": None, "threshold": None}],
         "verdict": "real_problem", "comment": "", "report": key},
        {"src_ids": [5], "tgt_ids": [3], "source": XSS_SOURCE, "target": XSS_TARGET, "reasons": ["low_similarity", "low_chrf"],
         "flags": [{"code": "low_similarity", "detail": "low_similarity: 0.12 < 0.25", "value": 0.12, "threshold": 0.25},
                   {"code": "low_chrf", "detail": "low_chrf: 3.5 < 20", "value": 3.5, "threshold": 20.0}],
         "verdict": "false_alarm", "comment": "markup in the source </textarea> is the content", "report": key},
    ]
    assert page.evaluate("Object.keys(localStorage)") == [f"evalkit-verdicts:{key}"]

    page.reload()
    assert page.get_attribute("tr[data-id='2|1'] button[data-verdict=real_problem]", "aria-pressed") == "true"
    assert page.get_attribute("tr[data-id='5|3'] button[data-verdict=false_alarm]", "aria-pressed") == "true"
    assert page.input_value("tr[data-id='5|3'] input.vc") == "markup in the source </textarea> is the content"
    assert page.get_attribute("tr[data-id='|4'] button[data-verdict=fixed]", "aria-pressed") == "false"
    page.select_option("#verdict", "false_alarm")
    assert tab.rows() == ["5|3"]
    page.select_option("#verdict", "@none")
    assert tab.rows() == ["0|", "|4"]
    page.select_option("#verdict", "")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    tab.check_clean()


def test_2000_rows_stay_fast(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    write_report_html(big_report(2000), path)
    for tab in open_tab(browser, path):
        timing = tab.page.evaluate(
            """() => {
              const t0 = performance.now();
              [...document.querySelectorAll('#links th button')].find(b => b.textContent === 'Margin').click();
              const t1 = performance.now();
              const s = document.getElementById('search');
              s.value = '克里姆林宫'; s.dispatchEvent(new Event('input'));
              const t2 = performance.now();
              return {load: performance.getEntriesByType('navigation')[0].duration, sort: t1 - t0, search: t2 - t1};
            }"""
        )
        print(f"2000 rows in Chromium: {timing}")
        assert len(tab.rows()) == 500  # one link in four of big_report carries the Kremlin sentence
        assert timing["sort"] < 1000 and timing["search"] < 1000, timing  # ~120 ms sort, ~7 ms search measured on the shared 2-core dev box
        tab.check_clean()
