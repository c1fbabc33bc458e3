"""`--src-lang` is honoured for parallel files and tables as it is for documents (detection only by default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli import main

# Kanji-only Japanese headlines: no kana, so detection (evalkit.lang: Han -> zh, kana anywhere -> ja) says zh.
JA = ["東京都知事選挙結果発表", "日本銀行金融政策決定会合", "大阪万博開幕", "新幹線運転再開"]
JA_EN = ["Tokyo gubernatorial election results announced", "Bank of Japan monetary policy meeting",
         "Osaka Expo opens", "Shinkansen service resumes"]
# German is written in Latin letters; detection names it from langid's votes (evalkit.lang.file_lang), and
# --src-lang overrides it (gsw, Swiss German, is what langid would never say of these lines).
DE = ["Der Hund schläft im Garten.", "Morgen regnet es in Berlin.", "Wir fahren mit dem Zug nach Hamburg.",
      "Das Museum ist am Montag geschlossen."]
DE_EN = ["The dog is sleeping in the garden.", "Tomorrow it will rain in Berlin.", "We are going to Hamburg by train.",
         "The museum is closed on Monday."]


def _table(tmp_path: Path, fmt: str, src: list[str], tgt: list[str]) -> Path:
    path = tmp_path / f"pairs.{fmt}"
    if fmt == "jsonl":
        text = "".join(json.dumps({"src": s, "tgt": t}, ensure_ascii=False) + "\n" for s, t in zip(src, tgt))
    else:
        sep = "\t" if fmt == "tsv" else ","
        text = f"source{sep}target\n" + "".join(f"{s}{sep}{t}\n" for s, t in zip(src, tgt))
    path.write_text(text, encoding="utf-8")
    return path


def _languages(args: list[str], out: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code = main(["score", "--cache-dir", str(cache_dir), *args, "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["links"] == 4  # every line kept, paired by line
    return summary["languages"]


@pytest.mark.parametrize("given, expected", [(None, "de"), ("gsw", "gsw")])
def test_src_lang_of_line_files(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str],
                                given: str | None, expected: str) -> None:
    src, tgt = tmp_path / "src.de", tmp_path / "hyp.en"
    src.write_text("\n".join(DE) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(DE_EN) + "\n", encoding="utf-8")
    option = ["--src-lang", given] if given else []
    languages = _languages(["--src", str(src), "--tgt", str(tgt), *option], tmp_path / "r", cache_dir, capsys)
    assert languages == {"source": expected, "target": "en"}


@pytest.mark.parametrize("fmt", ["tsv", "csv", "jsonl"])
@pytest.mark.parametrize("given, expected", [(None, "zh"), ("ja", "ja")])
def test_src_lang_of_tables(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str],
                            fmt: str, given: str | None, expected: str) -> None:
    table = _table(tmp_path, fmt, JA, JA_EN)
    option = ["--src-lang", given] if given else []
    languages = _languages(["--src", str(table), *option], tmp_path / "r", cache_dir, capsys)
    assert languages == {"source": expected, "target": "en"}


def test_src_lang_with_the_ray_engine_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The Ray engine detects the languages itself: the option must not be ignored silently.
    table = _table(tmp_path, "jsonl", JA, JA_EN)
    code = main(["score", "--src", str(table), "--src-lang", "ja", "--engine", "ray", "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("evalkit: error: --src-lang needs the local engine") and err.count("\n") == 1
