"""Named entities changed or dropped: a person, place, organisation or product in the source with
no counterpart in the target, or with a different one in its place ("Putin" -> "Biden", 俄罗斯 -> "France").
Embeddings miss these: two names of the same kind sit close in the vector space.

- zh -> en: Chinese proper nouns found in the source by CC-CEDICT (:mod:`evalkit.metrics.cedict`)
  must have a counterpart in the target: one of their English names, an acronym of one (英国: UK),
  their pinyin (华夏: Huaxia), or an English name of the same thing (美国: America). Names side by
  side are one (美国洛杉矶: Los Angeles). Latin-script tokens with a capital or a digit (``iPhone``,
  ``F-35C``) must appear in the target. An English name in the target that the source lacks is
  reported beside a missing name ("instead"); alone it never fires, as the lexicon lacks most
  Chinese personal names (Li, Zhou) and the target names them in pinyin.
- en -> zh: English names the lexicon knows in the source (not a one-word name opening a
  sentence, not a month or weekday) must have a Chinese form (or the name itself) in the target.
- Latin -> Latin (en -> de, ...): tokens with digits or inner capitals must be kept. Capitalised
  words and acronyms are not judged: a German reference writes Spanien, Samstag, Abgeordneter.

A name matches a target word that shares its first four letters (all of a shorter name, exactly):
``Russia`` matches "Russian", ``China`` "Chinese", ``Xi`` only "Xi". False alarms on human
references and the lift on expert MQM are in the README (``bench/checks_false_alarms.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Flag
from .cedict import Lexicon, lexicon

__all__ = ["MAX_CHARS", "EntityDiff", "PREFIX", "check_entities", "compare_entities", "segment"]

MAX_CHARS = 20_000  # longer texts are not judged (see compare_entities)
PREFIX = 4  # letters a name and a target word must share (all of a shorter name)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W\d_]+")
_LATIN_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+&.-]*[A-Za-z0-9+]|(?<![A-Za-z0-9])[A-Za-z](?![A-Za-z0-9])")
_CAP_WORD = re.compile(r"(?<![\w'’-])([A-Z][a-z]+(?:[A-Z][a-z]+)*)(?![\w'’])")
_SENTENCE_END = re.compile(r"[.!?:;\"“”‘’(\[•*–—-]\s*$|^\s*$")
_STOP = frozenset({"The", "Of", "And", "For", "In", "On", "At", "To", "A", "An", "Mt", "St", "Co", "Ltd", "Inc"})
_HAN_LANGS = ("zh",)
# Single characters that may stand beside a name: particles, prepositions, conjunctions, verbs of saying.
_FUNCTION = frozenset("的和与跟同及或在于对向往从自到至给为被把将让使由以就也都又还并而是了着过说称讲问要会能来去等等")
_CALENDAR = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
# Kept as they are in any Latin-script translation: words with digits or inner capitals.
_KEPT = re.compile(r"(?<![\w-])(?:[a-z]+[A-Z]\w*|[A-Za-z]+-?\d+[A-Za-z]*)(?![\w-])")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![a-z])")
_URL = re.compile(r"\S+\.(?:com|cn|org|net)\S*|https?://\S+")
_UNITS = "年月日号时点分秒万亿元个岁种份次"


@dataclass(frozen=True)
class EntityDiff:
    """Names left over after matching: ``missing`` source names (with what was expected in the
    target) and ``extra`` target names with no counterpart in the source."""

    missing: tuple[tuple[str, str], ...]
    extra: tuple[str, ...]

    @property
    def mismatch(self) -> bool:
        return bool(self.missing or self.extra)


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s-]+", name) if w and w[0].isupper() and w not in _STOP]


def _words(text: str) -> set[str]:
    """Casefolded words of ``text``, and of it with dots removed (U.S. -> us)."""
    return {w.casefold() for w in _WORD.findall(text) + _WORD.findall(text.replace(".", ""))}


def _matches(word: str, target_words: set[str]) -> bool:
    """True when a target word starts like ``word`` (its first :data:`PREFIX` letters, or all of it)."""
    w = word.casefold()
    if len(w) < PREFIX:
        return w in target_words
    stem = w[:PREFIX]
    return any(t.startswith(stem) for t in target_words)


def segment(text: str, lex: Lexicon) -> list[str]:
    """Han runs cut into CC-CEDICT headwords by forward maximum matching (longest word first).

    A run right after a digit starts with its unit on its own (12月12日电: 日 is the date, not 日电 NEC).
    Each run ends with an empty string.
    """
    words: list[str] = []
    for m in _HAN_RUN.finditer(text):
        run, i = m.group(0), 0
        if m.start() and text[m.start() - 1].isdigit() and run[0] in _UNITS:
            words.append(run[0])
            i = 1
        while i < len(run):
            for n in range(min(lex.max_len, len(run) - i), 0, -1):
                if n == 1 or run[i : i + n] in lex.headwords:
                    words.append(run[i : i + n])
                    i += n
                    break
        words.append("")  # the end of a run: words on either side are not side by side
    return words


def _acronym_of(acronym: str, name: str) -> bool:
    """True when ``acronym`` can abbreviate ``name``: same first letter, its letters in order in the
    name (UK: United Kingdom..., CCTV: China Central Television, MIIT: Ministry of Industry and
    Information Technology)."""
    letters = name.casefold()
    if not letters or acronym[0].casefold() != letters[0]:
        return False
    i = 0
    for ch in acronym.casefold():
        i = letters.find(ch, i) + 1
        if not i:
            return False
    return True


def _fragment(words: list[str], k: int) -> bool:
    """True when ``words[k]`` sits beside a lone character that is no function word: most likely a
    piece of a longer name the lexicon lacks (塞莱斯科|维奇, 罗|尔德|达尔), not a name of its own."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(words) and len(words[j]) == 1 and words[j] not in _FUNCTION:
            return True
    return False


def _latin_tokens(text: str) -> list[str]:
    """Latin-script tokens of 2+ characters with a capital or a digit in a Chinese text (names,
    products, acronyms); lower-case English words mixed into Chinese ("不care") are often translated."""
    return [t for t in _LATIN_TOKEN.findall(text) if len(t) >= 2 and t != t.lower()]


def _english_names(text: str, lex: Lexicon, *, initial: bool = True) -> list[str]:
    """Name clauses of the lexicon found in an English text, whole words, case-sensitive, longest
    first. Month and weekday names are left to the number check. With ``initial=False`` a one-word
    name opening a sentence is skipped ("You", "Time", "Nice to meet you")."""
    found: list[str] = []
    end = 0
    for m in _CAP_WORD.finditer(text):
        start = m.start()
        if start < end:
            continue
        rest, best = text[start:], None
        for n in range(6, 0, -1):  # the longest clause starting here ("Communist Party of China")
            words = re.match(r"(?:[A-Za-z][\w'’.-]*[\s-]+){%d}[A-Za-z][\w.-]*" % (n - 1), rest)
            if not words:
                continue
            cand = words.group(0).rstrip(".")
            for c in (cand, cand.removesuffix("’s").removesuffix("'s")):
                if c in lex.reverse and c not in _CALENDAR:
                    best = c
                    break
            if best:
                break
        if best is None or (not initial and " " not in best and _SENTENCE_END.search(text[:start])):
            continue
        found.append(best)
        end = start + len(best)
    return found


def _forms(name: str, lex: Lexicon) -> set[str]:
    """The Chinese forms of an English name, with the names their first character abbreviates
    alike ("America": 美洲, and 美国, which 美 abbreviates too)."""
    forms = set(lex.reverse[name])
    for f in list(forms):
        if f in lex.abbreviates.get(f[0], ()):
            forms |= lex.abbreviates[f[0]]
    return forms


def _zh_to_latin(src: str, tgt: str, lex: Lexicon) -> EntityDiff:
    missing: list[tuple[str, str]] = []
    tgt_words = _words(tgt)
    tgt_run = re.sub(r"[\W\d_]+", "", tgt).casefold()  # pinyin run together: Huaxia, Xi Jinping
    tgt_names = _english_names(tgt, lex)
    tgt_forms = {f for n in tgt_names for f in _forms(n, lex) if len(f) >= 2}
    tgt_list = [w.casefold() for w in _WORD.findall(tgt)]
    acronyms = set(_ACRONYM.findall(tgt.replace(".", "")))

    def found(word: str) -> bool:
        names = lex.names[word]
        return (
            any(_matches(w, tgt_words) for n in names for w in _name_words(n))
            or any(_acronym_of(a, n) for a in acronyms for n in names)
            or bool(lex.pinyin.get(word)) and lex.pinyin[word] in tgt_run
            # Yan'an, Hong Kong written together or apart
            or any(len(r) >= PREFIX and r in tgt_run for r in (re.sub(r"[\W\d_]+", "", n).casefold() for n in names))
            or any(f in word or word in f for f in tgt_forms)  # 美国 for "America" (美洲, 美)
        )

    src_names: list[str] = []
    fewer: list[tuple[str, str]] = []  # named fewer times in the target than in the source
    words = segment(src, lex)
    named = [lex.is_name(w) and not _fragment(words, k) for k, w in enumerate(words)]
    hits = {w: found(w) for w, n in zip(words, named) if n}
    seen: set[str] = set()
    for k, word in enumerate(words):
        if not named[k] or word in seen:
            continue
        seen.add(word)
        names = lex.names[word]
        src_names.extend(names)
        # Names side by side are one name (美国洛杉矶 "Los Angeles", 安徽省合肥市 "Hefei"): one found is enough.
        lo, hi = k, k
        while lo > 0 and named[lo - 1]:
            lo -= 1
        while hi + 1 < len(words) and named[hi + 1]:
            hi += 1
        if hits[word]:
            stems = {w.casefold()[:PREFIX] for n in names for w in _name_words(n)}
            if sum(any(t.startswith(st) for st in stems) for t in tgt_list) < words.count(word):
                fewer.append((word, names[0]))
        elif not any(hits[words[j]] for j in range(lo, hi + 1)):
            missing.append((word, names[0]))
    tgt_flat = re.sub(r"\s+", "", tgt).casefold()
    for token in dict.fromkeys(_latin_tokens(_URL.sub(" ", src))):
        letters = re.sub(r"[\W\d_]+", "", token).casefold()  # APEC2020: "APEC 2020", "this year's APEC"
        if token.casefold() not in tgt_flat and not (letters and letters in tgt_run):
            missing.append((token, token))
    extra: list[str] = []
    src_words = [w for n in src_names for w in _name_words(n)]
    for name in dict.fromkeys(tgt_names):
        if any(form in src for form in _forms(name, lex)) or name.casefold() in src.casefold():
            continue
        own = {t.casefold() for t in _name_words(name)}
        if any(_matches(w, own) or _matches(t, {w.casefold()}) for w in src_words for t in own):
            continue
        extra.append(name)
    if extra and not missing:  # a name said fewer times, and another in its place: a replacement
        missing = fewer
    return EntityDiff(tuple(missing), tuple(extra) if missing else ())


def _latin_to_zh(src: str, tgt: str, lex: Lexicon) -> EntityDiff:
    missing: list[tuple[str, str]] = []
    tgt_name_words = {w.casefold() for t in segment(tgt, lex) if lex.is_name(t) for n in lex.names[t] for w in _name_words(n)}
    for name in dict.fromkeys(_english_names(src, lex, initial=False)):
        forms = lex.reverse[name]
        if name.casefold() in tgt.casefold() or any(f in tgt or (len(f) >= 3 and f[:2] in tgt) for f in forms):
            continue
        if any(_matches(w, tgt_name_words) for w in _name_words(name)):  # Britain: 英国 (United Kingdom of Great Britain...)
            continue
        missing.append((name, "/".join(sorted(f for f in forms if len(f) >= 2)[:3]) or name))
    return EntityDiff(tuple(missing), ())


def _latin_to_latin(src: str, tgt: str) -> EntityDiff:
    """Tokens with digits or inner capitals (iPhone, COVID-19, F-35C) must be kept. Acronyms are
    not judged: a German reference writes UK as "Vereinigtes Königreich", MP as "Abgeordneter"."""
    tgt_words = _words(tgt)
    missing = [
        (t, t)
        for t in dict.fromkeys(_KEPT.findall(src))
        if not _matches(t, tgt_words) and t.casefold() not in tgt.casefold()
    ]
    return EntityDiff(tuple(missing), ())


def compare_entities(src: str, tgt: str, src_lang: str, tgt_lang: str, lex: Lexicon | None = None) -> EntityDiff:
    """Source names with no counterpart in the target and target names with none in the source.

    A side longer than :data:`MAX_CHARS` characters is a document, not a segment: it is not judged
    (an empty diff), as the lexicon scan grows with its length (a 10 MB line took minutes).
    """
    if len(src) > MAX_CHARS or len(tgt) > MAX_CHARS:
        return EntityDiff((), ())
    src_han, tgt_han = src_lang in _HAN_LANGS, tgt_lang in _HAN_LANGS
    if src_han and not tgt_han:
        return _zh_to_latin(src, tgt, lex or lexicon())
    if tgt_han and not src_han:
        return _latin_to_zh(src, tgt, lex or lexicon())
    if not src_han and not tgt_han:
        return _latin_to_latin(src, tgt)
    return EntityDiff((), ())


def check_entities(src: str, tgt: str, src_lang: str, tgt_lang: str) -> Flag | None:
    """``entity_mismatch`` when a source name has no counterpart in the target or the target names
    someone or something the source does not. ``value`` is the count of names left over, ``threshold`` 0."""
    diff = compare_entities(src, tgt, src_lang, tgt_lang)
    if not diff.mismatch:
        return None
    parts = []
    if diff.missing:
        shown = ", ".join(s if s == e else f"{s} ({e})" for s, e in diff.missing)
        parts.append(f"source has {shown}")
    if diff.extra:
        parts.append(f"target has {', '.join(diff.extra)}" + (" instead" if diff.missing else ", source has no match"))
    elif diff.missing:
        parts.append("target has no match")
    return Flag("entity_mismatch", "entity_mismatch: " + ", ".join(parts), float(len(diff.missing) + len(diff.extra)), 0.0)
