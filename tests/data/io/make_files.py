"""Regenerate the small input files under tests/data/io/ from the seed document.

Run from anywhere: ``python tests/data/io/make_files.py``. Output is deterministic; the generated
files are committed so tests never depend on this script having run. This script parses the seed
with plain string operations (not evalkit's readers), so the files do not inherit a reader bug.

Seed: seeds/xi-putin-defense-ties.zh-en.txt: line 1 a Chinese title, then 15 Chinese bullets
(lines 3, 5, ..., 31) and 15 English bullets (lines 33, 35, ..., 61), each "  • " + text,
with a blank line between bullets and no final newline.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[2] / "seeds" / "xi-putin-defense-ties.zh-en.txt"
BULLET = "  • "


def parse_seed() -> tuple[str, list[str], list[str]]:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    bullets = [line[len(BULLET) :] for line in lines if line.startswith(BULLET)]
    if len(bullets) != 30 or lines[0].startswith(BULLET):
        raise SystemExit(f"unexpected seed shape: {len(bullets)} bullets")
    return lines[0], bullets[:15], bullets[15:]


TITLE, ZH, EN = parse_seed()


def write(rel: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))


def blocked(zh: list[str], en: list[str], marker: str = BULLET, title: bool = True) -> str:
    """Seed layout: title, blank, zh bullets then en bullets, a blank line between all."""
    body = [marker + t for t in zh] + [marker + t for t in en]
    return "\n\n".join(([TITLE] if title else []) + body) + "\n"


def interleaved(pairs: list[tuple[list[str], list[str]]], marker: str = BULLET) -> str:
    """Title, blank, then each group: its zh lines, its en lines, a blank line."""
    groups = ["\n".join([marker + t for t in zh] + [marker + t for t in en]) for zh, en in pairs]
    return "\n\n".join([TITLE, *groups]) + "\n"


def numbered(style: str, zh: list[str], en: list[str]) -> tuple[list[str], list[str]]:
    return [style.format(i + 1) + t for i, t in enumerate(zh)], [style.format(i + 1) + t for i, t in enumerate(en)]


def wrap_zh(text: str, width: int = 30) -> list[str]:
    """Hard-wrap Chinese at ~width characters, breaking only next to a Han character."""
    lines, start = [], 0
    while len(text) - start > width:
        cut = start + width
        while not ("\u4e00" <= text[cut - 1] <= "\u9fff" or "\u4e00" <= text[cut] <= "\u9fff"):
            cut -= 1
        lines.append(text[start:cut])
        start = cut
    return lines + [text[start:]]


def wrap_en(text: str, width: int = 60) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def markers() -> None:
    zh3, en3 = ZH[:3], EN[:3]
    styles = {"bullet": BULLET, "dash": "- ", "star": "* ", "none": ""}
    for name, marker in styles.items():
        write(f"layouts/blocked-{name}.txt", blocked(zh3, en3, marker))
        write(f"layouts/interleaved-{name}.txt", interleaved([([z], [e]) for z, e in zip(zh3, en3)], marker))
    for name, style in {"num-dot": "{}. ", "num-paren": "{}) "}.items():
        zh, en = numbered(style, zh3, en3)
        write(f"layouts/blocked-{name}.txt", blocked(zh, en, ""))
        write(f"layouts/interleaved-{name}.txt", interleaved([([z], [e]) for z, e in zip(zh, en)], ""))
    # One segment per line, no blank lines at all: must not be read as two wrapped paragraphs.
    write("layouts/blocked-none-compact.txt", "\n".join([TITLE, *zh3, *en3]) + "\n")
    # Hard-wrapped paragraphs separated by blank lines (one paragraph = one bullet of the seed).
    zh_par, en_par = ["\n".join(wrap_zh(t)) for t in ZH[:5]], ["\n".join(wrap_en(t)) for t in EN[:5]]
    write("layouts/paragraphs-blocked.txt", "\n\n".join([TITLE, *zh_par, *en_par]) + "\n")
    pairs = [z + "\n" + e for z, e in zip(zh_par, en_par)]
    write("layouts/paragraphs-interleaved.txt", "\n\n".join([TITLE, *pairs]) + "\n")
    # Bullets whose long text wraps onto indented continuation lines, no blank lines between.
    wrapped = [BULLET + "\n    ".join(wrap_en(t)) for t in EN[:3]]
    zh_wrapped = [BULLET + "\n    ".join(wrap_zh(t)) for t in ZH[:3]]
    write("layouts/bullets-wrapped.txt", "\n".join([TITLE, *zh_wrapped, *wrapped]) + "\n")
    write("layouts/interleaved-none-compact.txt", "\n".join([TITLE, *(x for p in zip(zh3, en3) for x in p)]) + "\n")
    # A subheading line among bullets, no blank lines: a segment of its own, not a continuation.
    write("layouts/unmarked-among-bullets.txt",
          f"{BULLET}{ZH[0]}\n小标题\n{BULLET}{ZH[1]}\n\n{BULLET}{EN[0]}\nSubheading\n{BULLET}{EN[1]}\n")  # fmt: skip
    # Lines that start like a marker but are text: kept whole.
    write("layouts/not-markers.txt", "1.5亿人。\n2017年,中俄签署了14份文件。\n\n"
          "-5% growth.\n*Emphasis* is kept.\n1.1 Scope\n#hashtag stays\n")  # fmt: skip
    write("layouts/headings.txt", f"# {TITLE}\n\n- {ZH[0]}\n- {ZH[1]}\n\n# Summary\n\n- {EN[0]}\n- {EN[1]}\n")
    # Edge cases: one-character bullet, U+3000/NBSP padding, a year, an empty bullet, a third script.
    zh = ["是", f"\u3000{ZH[0]}\u3000", "2017", "", f"{ZH[1]}\u00a0"]
    en = ["Yes.", EN[0], "2017", "", "Россия и Китай.", EN[1]]
    write("layouts/edge-cases.txt", blocked(zh, en).replace("  • \n", "  •\n"))
    write("layouts/edge-interleaved.txt", interleaved([([ZH[0]], [EN[0]]), (["2017"], ["2017"]), ([ZH[1]], [EN[1]])]))
    # Two sections, each blocked: neither blocked nor interleaved as a whole.
    write("layouts/mixed.txt", blocked(ZH[:3], EN[:3]) + "\n" + blocked(ZH[3:6], EN[3:6], title=False))
    write("layouts/only-zh.txt", blocked(ZH, []))
    write("seed-interleaved.txt", interleaved([([z], [e]) for z, e in zip(ZH, EN)]))


def encodings() -> None:
    sample = blocked(ZH[:3], EN[:3])
    for name, codec, newline in [
        ("utf8", "utf-8", "\n"),
        ("utf8-bom", "utf-8-sig", "\n"),
        ("utf16le-bom", "utf-16-le", "\n"),
        ("utf16be-bom", "utf-16-be", "\n"),
        ("gb18030", "gb18030", "\n"),
        ("crlf", "utf-8", "\r\n"),
    ]:
        text = ("\ufeff" + sample) if name.startswith("utf16") else sample
        write(f"encodings/{name}.txt", text, codec, newline)
    raw = sample.encode("utf-8")
    cut = raw.index(EN[1][:20].encode())  # start of English bullet 2, line 11
    (HERE / "errors").mkdir(exist_ok=True)
    (HERE / "errors/invalid-utf8.txt").write_bytes(raw[:cut] + b"\xff" + raw[cut:])
    write("errors/utf16le-nobom.txt", sample, "utf-16-le")
    write("errors/utf16be-nobom.txt", sample, "utf-16-be")
    (HERE / "errors/binary.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    lines = sample.split("\n")  # lines 1-4 UTF-8 (title, blank, zh 1, blank), line 5 on GB18030
    mixed = "\n".join(lines[:4]).encode("utf-8") + b"\n" + "\n".join(lines[4:]).encode("gb18030")
    (HERE / "errors/mixed-utf8-gbk.txt").write_bytes(mixed)
    (HERE / "errors/empty.txt").write_bytes(b"")


def table(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def parallel() -> None:
    ref = [t.replace("’", "'") for t in EN]  # a reference that differs from the output: ASCII apostrophes
    write("parallel/src.zh.txt", "\n".join(ZH) + "\n")
    write("parallel/tgt.en.txt", "\n".join(EN) + "\n")
    write("parallel/ref.en.txt", "\n".join(ref) + "\n")
    write("parallel/short.en.txt", "\n".join(EN[:14]) + "\n")
    write("parallel/trailing-blank.en.txt", "\n".join(EN) + "\n\n")
    write("parallel/empty-lines.zh.txt", f"{ZH[0]}\n\n{ZH[2]}\n")
    write("parallel/empty-lines.en.txt", f"{EN[0]}\n\n{EN[2]}")
    tgt = EN[:5]
    tgt[2] = 'A "quoted"\tfield: ' + tgt[2]  # a tab and quotes inside a quoted field
    write("parallel/table.tsv", table([["id", "source", "target", "reference"]] + [
        [f"s{i + 1}", ZH[i], tgt[i], ref[i]] for i in range(5)], "\t"))  # fmt: skip
    write("parallel/table.csv", table([["source", "target", "ref_a", "ref_b"]] + [
        [ZH[i], EN[i], ref[i], ref[i].upper()] for i in range(5)], ","))  # fmt: skip
    write("parallel/custom-cols.tsv", table([["zh", "en"]] + [[ZH[i], EN[i]] for i in range(3)], "\t"))
    write("parallel/bad-columns.tsv", table([["source", "target", "reference"]] + [
        [ZH[i], EN[i], ref[i]] for i in range(3)], "\t") + f"{ZH[3]}\t{EN[3]}\n")  # fmt: skip
    write("parallel/bad-quote.tsv", f'source\ttarget\n{ZH[0]}\t"{EN[0]}\n{ZH[1]}\t{EN[1]}\n')

    def jsonl(records: list[dict[str, object]]) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)

    records: list[dict[str, object]] = [{"id": i + 1, "src": ZH[i], "tgt": EN[i], "ref": ref[i]} for i in range(5)]
    write("parallel/table.jsonl", jsonl(records))
    write("parallel/multiref.jsonl", jsonl([{"src": ZH[i], "tgt": EN[i], "ref": [ref[i], EN[i]]} for i in range(3)]))
    bad = jsonl(records).split("\n")
    bad[2] = bad[2][:-10]  # line 3 cut short
    write("parallel/bad-json.jsonl", "\n".join(bad))
    records[3] = {"src": ZH[3], "ref": ref[3]}  # line 4 lacks "tgt"
    write("parallel/missing-field.jsonl", jsonl(records))


def faults() -> None:
    """The seed with one translation fault each, blocked and interleaved; bullets are 1-based."""
    split_en = EN[9].index(" However,")  # English bullet 10, after its first sentence
    split_zh = ZH[9].index("。") + 1  # Chinese bullet 10, after its first sentence
    variants = {
        "dropped-zh": (ZH[:4] + ZH[5:], EN),
        "dropped-en": (ZH, EN[:4] + EN[5:]),
        "merged-en": (ZH, EN[:2] + [EN[2] + " " + EN[3]] + EN[4:]),
        "merged-zh": (ZH[:2] + [ZH[2] + ZH[3]] + ZH[4:], EN),
        "split-en": (ZH, EN[:9] + [EN[9][:split_en], EN[9][split_en + 1 :]] + EN[10:]),
        "split-zh": (ZH[:9] + [ZH[9][:split_zh], ZH[9][split_zh:]] + ZH[10:], EN),
    }
    for name, (zh, en) in variants.items():
        write(f"faults/{name}.txt", blocked(zh, en))
    # Interleaved: a dropped bullet leaves its partner alone; a merged bullet follows both sources;
    # a split translation puts both parts after their source.
    pairs = [([z], [e]) for z, e in zip(ZH, EN)]
    write("faults/dropped-zh-interleaved.txt", interleaved(pairs[:4] + [([], [EN[4]])] + pairs[5:]))
    write("faults/dropped-en-interleaved.txt", interleaved(pairs[:4] + [([ZH[4]], [])] + pairs[5:]))
    write("faults/merged-en-interleaved.txt", interleaved(pairs[:2] + [(ZH[2:4], [EN[2] + " " + EN[3]])] + pairs[4:]))
    write("faults/merged-zh-interleaved.txt", interleaved(pairs[:2] + [([ZH[2] + ZH[3]], EN[2:4])] + pairs[4:]))
    write("faults/split-en-interleaved.txt",
          interleaved(pairs[:9] + [([ZH[9]], [EN[9][:split_en], EN[9][split_en + 1 :]])] + pairs[10:]))  # fmt: skip
    write("faults/split-zh-interleaved.txt",
          interleaved(pairs[:9] + [([ZH[9][:split_zh], ZH[9][split_zh:]], [EN[9]])] + pairs[10:]))  # fmt: skip


if __name__ == "__main__":
    markers()
    encodings()
    parallel()
    faults()
    print(f"wrote {sum(1 for p in HERE.rglob('*') if p.is_file() and p.suffix != '.py')} files under {HERE}")
