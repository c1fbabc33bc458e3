"""BCP 47 language pairs, --src-lang/--tgt-lang, XLIFF dialect suffixes and multi-<file> XLIFF (issue 20).

Fixtures in tests/data/thirdparty are small files written for these tests in the style of the tools named
in each file's comment (memoQ regional TMX, Trados .sdlxliff, Matecat multi-file XLIFF).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.errors import UsageError
from evalkit.io.langtags import base, matches, normalize, resolve
from evalkit.io.tmx import read_tmx_units
from evalkit.io.units import UNIT_SUFFIXES, is_units
from evalkit.io.xliff import read_xliff_units

DATA = Path(__file__).parent / "data" / "thirdparty"
REGIONAL = DATA / "regional.tmx"


@pytest.mark.parametrize(
    ("want", "have", "expected"),
    [("zh", "zh-CN", True), ("zh-CN", "zh-cn", True), ("zh_CN", "zh-CN", True), ("zh-CN", "zh-TW", False),
     ("en-US", "en-GB", False), ("en", "eng", False), ("zh-Hant", "zh-Hant-TW", True), ("", "en", False)],  # fmt: skip
)
def test_matches_is_subtag_prefix(want: str, have: str, expected: bool) -> None:
    assert matches(want, have) is expected


def test_normalize_base_resolve() -> None:
    assert normalize(" zh_Hant_TW ") == "zh-hant-tw" and normalize("*all*") is None
    assert base("zh-Hant-TW") == "zh" and base(None) is None
    tags = ["en-US", "en-GB", "zh-CN", "zh-TW"]
    assert resolve("en-gb", tags) == ["en-GB"]  # the spelling of the file
    assert resolve("zh", tags) == ["zh-CN", "zh-TW"]  # ambiguous: both named
    assert resolve("zh-CN", ["zh", "en"]) == ["zh"]  # a more general tag serves when it is the only one
    assert resolve("fr", tags) == []


@pytest.mark.parametrize(
    ("src", "tgt", "targets"),
    [
        ("en-US", "en-GB", ["The colour of the centre is grey.", "I organised the programme.", None]),
        ("zh-CN", "zh-TW", ["中心的顏色是灰色的。", "我組織了這個節目。", None]),
        ("en-US", "zh-TW", ["中心的顏色是灰色的。", "我組織了這個節目。", None]),
    ],
)
def test_regional_variants_are_pairs_of_their_own(src: str, tgt: str, targets: list[str | None]) -> None:
    units = read_tmx_units(REGIONAL, src, tgt)
    assert [u.target for u in units.units] == targets  # tu 3 has no variant in the target: missing, reported
    assert (units.src_tag, units.tgt_tag) == (src, tgt)
    assert units.tgt_lang == base(tgt) != "und"
    assert units.untranslated == {"3": "missing"}


def test_ambiguous_or_several_targets_say_which_to_choose() -> None:
    with pytest.raises(UsageError, match=r"several target languages \(en-GB, zh-CN, zh-TW\).*--tgt-lang en-GB"):
        read_tmx_units(REGIONAL)
    with pytest.raises(UsageError, match=r"target language 'zh' matches zh-CN, zh-TW.*--tgt-lang zh-CN"):
        read_tmx_units(REGIONAL, "en-US", "zh")


def _score(args: list[str], out: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(["score", *args, "--cache-dir", str(cache_dir), "--bootstrap", "0", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_score_with_src_and_tgt_lang_reads_every_regional_target(tmp_path: Path, cache_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    summary = _score([str(REGIONAL), "--src-lang", "en-US", "--tgt-lang", "en-GB"], tmp_path / "gb", cache_dir, capsys)
    assert summary["languages"] == {"source": "en", "target": "en"}
    assert summary["counts"]["links"] == 3
    assert summary["reasons"].get("empty", 0) == 1  # only tu 3, which has no en-GB variant


def test_score_without_tgt_lang_on_several_targets_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["score", str(REGIONAL), "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--tgt-lang" in err


@pytest.mark.parametrize("suffix", [".sdlxliff", ".mqxliff", ".mxliff", ".txlf", ".XLF"])
def test_xliff_dialect_suffixes_are_units(suffix: str) -> None:
    assert is_units(f"file{suffix}") and suffix.lower() in UNIT_SUFFIXES


def test_sdlxliff_is_scored_unit_by_unit(tmp_path: Path, cache_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    summary = _score([str(DATA / "trados.sdlxliff")], tmp_path / "sdl", cache_dir, capsys)
    assert summary["languages"] == {"source": "en", "target": "es"}
    assert summary["counts"]["links"] == 2  # both trans-units, not the lines of a text document


def test_matecat_file_without_units_is_no_refusal() -> None:
    units = read_xliff_units(DATA / "matecat.xlf")
    assert (units.src_tag, units.tgt_tag) == ("en-US", "it-IT")
    assert [u.id for u in units.units] == ["0001", "0002"] and not units.warnings


def _two_pairs(tmp_path: Path) -> Path:
    text = (DATA / "matecat.xlf").read_text(encoding="utf-8")
    unit = ('<trans-unit id="c1"><source>Cover page</source><target>Page de garde</target></trans-unit>')
    text = text.replace('target-language="en-US" datatype="x-undefined">\n    <header/>\n    <body/>',
                        f'target-language="fr-FR" datatype="x-undefined">\n    <header/>\n    <body>{unit}</body>')
    path = tmp_path / "two.xlf"
    path.write_text(text, encoding="utf-8")
    return path


def test_several_file_pairs_say_which_to_choose_and_tgt_lang_chooses(tmp_path: Path) -> None:
    path = _two_pairs(tmp_path)
    with pytest.raises(UsageError, match=r"en-US -> it-IT \(2 units\); .*en-US -> fr-FR \(1 units\).*--tgt-lang it-IT"):
        read_xliff_units(path)
    french = read_xliff_units(path, tgt_lang="fr")
    assert [u.id for u in french.units] == ["c1"] and french.tgt_lang == "fr"
    assert any("not scored" in w and "0001, 0002" in w for w in french.warnings)  # never dropped silently
    italian = read_xliff_units(path, "en", "it-IT")
    assert [u.id for u in italian.units] == ["0001", "0002"]
    with pytest.raises(UsageError, match="no <file> has the language pair"):
        read_xliff_units(path, tgt_lang="de")


def test_tgt_lang_against_an_xliff2_file_language(tmp_path: Path) -> None:
    path = DATA / "oasis_xliff2.xlf"
    assert read_xliff_units(path, tgt_lang="fr-FR").tgt_lang == "fr"  # more specific than trgLang="fr": fine
    with pytest.raises(UsageError, match="its target language is fr, not de"):
        read_xliff_units(path, tgt_lang="de")


def test_check_command_has_both_options() -> None:
    from click.testing import CliRunner

    from evalkit.cli import cli

    out = CliRunner().invoke(cli, ["check", "--help"]).output
    assert "--src-lang" in out and "--tgt-lang" in out


def test_tgt_lang_of_line_files_overrides_detection(tmp_path: Path, cache_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from test_src_lang import DE, DE_EN

    src, tgt = tmp_path / "src.en", tmp_path / "hyp.de"
    src.write_text("\n".join(DE_EN) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(DE) + "\n", encoding="utf-8")  # Latin script: detection alone says en
    summary = _score(["--src", str(src), "--tgt", str(tgt), "--tgt-lang", "de-AT"], tmp_path / "r", cache_dir, capsys)
    assert summary["languages"] == {"source": "en", "target": "de"}
