"""Regenerate the seed copies with faults that only the off_target and entity_mismatch checks see.

Used by tests/test_flags_seed_checks.py. Run from the repo root: python tests/data/flags_checks/make_files.py
Each file is the seed with one fault put in its English block (English bullet numbers are 1-based).
The German and French sentences are the editor's own translations of the English bullet they replace.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt"
OUT = Path(__file__).resolve().parent
MARK = "  • "


def blocks() -> tuple[str, list[str], list[str]]:
    lines = [ln for ln in SEED.read_text(encoding="utf-8").split("\n") if ln.strip()]
    title, bullets = lines[0], [ln[len(MARK):] for ln in lines[1:]]
    return title, bullets[:15], bullets[15:]


def write(name: str, title: str, zh: list[str], en: list[str]) -> None:
    body = "\n\n".join([title] + [MARK + b for b in zh + en]) + "\n"
    (OUT / name).write_text(body, encoding="utf-8")


def replaced(en: list[str], k: int, old: str, new: str) -> list[str]:
    if old not in en[k]:
        raise SystemExit(f"English bullet {k + 1} has no {old!r}")
    e = list(en)
    e[k] = e[k].replace(old, new)
    return e


def main() -> None:
    title, zh, en = blocks()
    # English bullet 4: "a closer partnership with Russia" becomes "... with France" (source: 俄罗斯).
    write("country.txt", title, zh, replaced(en, 3, "with Russia", "with France"))
    # English bullet 2: "Xi and Putin" becomes "Xi and Biden" (source: 普京).
    write("person.txt", title, zh, replaced(en, 1, "Xi and Putin", "Xi and Biden"))
    # English bullet 9 in German, English bullet 8 in French, where English is expected.
    e = list(en)
    e[8] = ("Die chinesisch-russische Partnerschaft wird als ein Weg für beide Länder gesehen, "
            "sich gegen die USA und ihre Verbündeten zu wehren.")
    write("german.txt", title, zh, e)
    e = list(en)
    e[7] = "Les deux dirigeants ont probablement discuté d'accords d'armement et de coopération en matière de défense."
    write("french.txt", title, zh, e)


if __name__ == "__main__":
    main()
