"""Regenerate the fault-injected copies of the seed used by tests/test_flags_seed.py.

Run from the repo root: python tests/data/flags/make_files.py
Each file is the seed with one fault put in its English block (English bullet numbers are 1-based).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt"
OUT = Path(__file__).resolve().parent
MARK = "  • "


def blocks() -> tuple[str, list[str], list[str]]:
    lines = [l for l in SEED.read_text(encoding="utf-8").split("\n") if l.strip()]
    title, bullets = lines[0], [l[len(MARK):] for l in lines[1:]]
    return title, bullets[:15], bullets[15:]


def write(name: str, title: str, zh: list[str], en: list[str]) -> None:
    body = "\n\n".join([title] + [MARK + b for b in zh + en]) + "\n"
    (OUT / name).write_text(body, encoding="utf-8")


def main() -> None:
    title, zh, en = blocks()
    # English bullet 12: cut after its first third, mid-sentence.
    e = list(en); e[11] = e[11][: len(e[11]) // 3].rstrip()
    write("truncated.txt", title, zh, e)
    # English bullet 10: "14 documents" becomes "41 documents".
    e = list(en); e[9] = e[9].replace("14 documents", "41 documents")
    write("number.txt", title, zh, e)
    # English bullet 5 left in Chinese: the translator pasted the source.
    e = list(en); e[4] = zh[4]
    write("untranslated.txt", title, zh, e)
    # English bullet 7 replaced by an unrelated sentence.
    e = list(en); e[6] = "The recipe calls for two cups of flour, a pinch of salt and a warm oven."
    write("unrelated.txt", title, zh, e)
    # English bullet 8 dropped.
    e = list(en); del e[7]
    write("dropped.txt", title, zh, e)
    # English bullets 3 and 4 swapped.
    e = list(en); e[2], e[3] = e[3], e[2]
    write("swapped.txt", title, zh, e)


if __name__ == "__main__":
    main()
