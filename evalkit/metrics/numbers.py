"""Numbers in Chinese, English and German text, normalised so that 14份, "fourteen", "vierzehn" and "14" compare equal.

Each :class:`Number` carries one or more candidate values (``90年代`` reads as 1990 or 90; ``5m`` as
5,000,000 or 5) and is *strong* or *soft*. Strong: Arabic digits (3万, 1.5 billion, 2017), counted
Chinese numerals above 10 (十四份), bare ones of 100 and more (三千五百), percentages, decades.
Soft: English number words, Chinese numerals of 10 and below (两位), ordinals, months, ranges
(七八个), and codes (COVID-19, G7). Soft numbers come and go in idiom and paraphrase (两国 "both
countries", 百年 "centenary"), so :class:`NumberDiff` flags a strong number left over on either
side, but soft ones only when both sides have one left (a changed count: 两位 -> "three").

Chinese numerals are read only where they clearly count something: before a classifier or unit
(14份, 三千五百人), after 第 or 百分之, as a digit-by-digit year (二〇一七年), or when they hold a
unit character and are worth 11 or more (十四, 三千五百). So 一些, 一直, 统一, 之一 give nothing.
Extraction and matching were tuned on WMT22 General zh-en/en-zh source vs human reference A.

Languages that write a decimal comma (`DECIMAL_COMMA`: German, French, Spanish, ...) read 2.000 as two
thousand and 1,35 as 1.35 (a 1,350 is also 1350, a 1.5 also 1.5: either reading matches); German adds its
scale words (Tausend, Millionen, Mio., Milliarden, Mrd., Billionen = 10^12, also in compounds such as
101-Millionen-Pfund), number words from zwei to zwölf and the tens (soft) and 19.30 Uhr. Tuned on
newstest2021 en-de source vs references A, C and D: number_mismatch fired on 160 of 3,006 correct
translations before, 52 after, most of them units converted (80 feet, 25 Meter; acres and Hektar).
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterator

from .number_records import Number, NumberDiff
from .numbers_zh import RE_ZH_RUN, ZH_FORMS, parse_zh_numeral, zh_forms, zh_run

__all__ = ["Number", "NumberDiff", "compare_numbers", "extract_numbers", "format_value", "parse_zh_numeral"]


_RE_FULLWIDTH_COMMA = re.compile(r"(?<=\d)，(?=\d{3}(?!\d))")
_FULLWIDTH = str.maketrans("０１２３４５６７８９％．：", "0123456789%.:")

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_EN_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Soft words: ordinals ("second" left out: more often time or "support"), multiplicatives, centuries.
_EN_SOFT = {
    "first": 1, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "once": 1, "twice": 2, "thrice": 3,
    "centenary": 100, "centennial": 100,
}  # fmt: skip
_EN_MONTHS = "january february march april may june july august september october november december".split()
_EN_MULT = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "mn": 1e6, "mln": 1e6}
_EN_DECADES = "twenties thirties forties fifties sixties seventies eighties nineties".split()

_RE_EN_DECADE = re.compile(r"(?<![\w'’])(?:(1\d|20)(\d)0|['’](\d)0|(\d)0)s\b")
_RE_EN_DECADE_WORD = re.compile(r"\b(?:nineteen[\s-]+)?(" + "|".join(_EN_DECADES) + r")\b", re.I)
_RE_TIME = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?![\d:])|(?<![\d.])(\d{1,2})\.(\d{2})(?=\s*[ap]\.?\s?m\b)", re.I)
_RE_DATE = re.compile(r"(?<![\d.])((?:19|20)\d\d)([./-])(\d{1,2})\2(\d{1,2})(?![\d.])")
_RE_YEAR_DASH = re.compile(r"(?<!\d)(1[89]|20)\d\d\s?[-–]\s?$")
_RE_PM = re.compile(r"\s*p\.?\s?m\b", re.I)
_DE_MULT = {"tausend": 1e3, "millionen": 1e6, "million": 1e6, "mio": 1e6, "milliarden": 1e9, "milliarde": 1e9,
            "mrd": 1e9, "billionen": 1e12, "billion": 1e12}
_RE_ARABIC = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(?:\s*[多余]?\s*([百千]?[万亿]{1,2}|千)(\d{1,4}(?![\d.]))?"
    r"|\s*-?\s*(thousand|million|billion|trillion|bn|mn|mln|m|k"
    r"|tausend|millionen|milliarden?|billionen|mio|mrd)\b)?",
    re.I,
)
# Languages written with a decimal comma and a thousands point (2.000,5): their numbers are read after
# swapping the two marks (same length, so spans still index the text as given).
DECIMAL_COMMA = frozenset({"de", "fr", "es", "it", "nl", "pt", "ru", "pl", "cs", "sk", "da", "nb", "no", "sv", "fi",
                           "tr", "ro", "hu", "uk", "el", "hr", "sl", "sr", "bg", "lt", "lv", "et", "id", "ca"})
_RE_POINT_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![.,]?\d)")
_RE_COMMA_DECIMAL = re.compile(r"(?<![\d.,])\d+,\d+(?![.,]?\d)")
_SWAP_MARKS = str.maketrans(".,", ",.")
_DE_WORDS = {"zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
             "elf": 11, "zwölf": 12, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60,
             "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100}
_RE_DE_WORD = re.compile(r"\b(" + "|".join(_DE_WORDS) + r")(?:\s+(tausend|millionen|milliarden|billionen))?\b", re.I)
_RE_DE_TIME = re.compile(r"(?<![\d.])(\d{1,2})[.:](\d{2})(?=\s*Uhr\b)")
_EN_WORD_ALT = "|".join(sorted([*_EN_UNITS, *_EN_TENS, *_EN_SCALES, "dozen"], key=len, reverse=True))
_RE_EN_WORDS = re.compile(
    rf"\b(?:an?\s+(?=(?:hundred|thousand|million|billion|trillion|dozen)\b))?(?:{_EN_WORD_ALT})"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_EN_WORD_ALT}))*\b",
    re.I,
)
_RE_EN_SOFT = re.compile(r"\b(" + "|".join(_EN_SOFT) + r")\b", re.I)
_RE_EN_MONTH = re.compile(
    r"\b(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?|\bMay\b(?=\s+\d)|(?<=\d\s)May\b|(?<=\bin\s)May\b"
)
_RE_LIST_MARKER = re.compile(r"\s*[(（]?\s*$")


def format_value(value: float) -> str:
    """``14.0`` -> ``"14"``, ``1.5`` -> ``"1.5"``, ``150000000.0`` -> ``"150000000"``."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.6g}"


class _Spans:
    """Characters already read, so that 20世纪90年代 is not read again as 20 and 90."""

    def __init__(self, size: int) -> None:
        self.taken = bytearray(size)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = b"\x01" * (end - start)


def _decimal_comma(text: str) -> tuple[str, frozenset[int]]:
    """``text`` with the marks of its 2.000,5 and 1,35 numbers swapped to 2,000.5 and 1.35, and the start of
    each number whose other reading also stands (1,350 can be 1350; 1.5 written in English style is 1.5)."""
    chars = list(text)
    both = set()
    for pattern in (_RE_POINT_GROUPED, _RE_COMMA_DECIMAL):
        for m in pattern.finditer(text):
            chars[m.start() : m.end()] = m.group().translate(_SWAP_MARKS)
            if pattern is _RE_COMMA_DECIMAL and len(m.group()) - m.group().index(",") == 4:
                both.add(m.start())  # 1,350
    return "".join(chars), frozenset(both)


def _arabic(text: str, m: re.Match[str], de: bool = False) -> Number:
    """An Arabic number with its multiplier (3万, 1.5 billion, 1,5 Mrd.), read with the forms it can stand for
    (``de``: German scale words, where a Billion is 10^12)."""
    base = float(m.group(1).replace(",", "") + (m.group(2) or ""))
    zh_mult, rest, en_mult = m.group(3), m.group(4), (m.group(5) or "").lower()
    start, end = m.start(), m.end()
    values: tuple[float, ...] = (base,)
    after, before = text[end : end + 12], text[max(0, start - 2) : start]
    if zh_mult:
        factor = math.prod({"百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}[c] for c in zh_mult)
        values = (base * factor + (float(rest) if rest and zh_mult in ("万", "亿") else 0),)  # 2万4801
        if rest and zh_mult not in ("万", "亿"):
            end -= len(rest)
        if zh_mult == "千" and text[end : end + 1] in ("米", "克", "瓦"):
            values = (base, base * 1000)  # 5千米 = 5 km
    elif en_mult in ("m", "k"):
        values = (base * (1e6 if en_mult == "m" else 1e3), base)  # $5m; or 5 m(etres)
    elif en_mult in _DE_MULT and (de or en_mult not in _EN_MULT):
        values = (base * _DE_MULT[en_mult],)
    elif en_mult:
        values = (base * _EN_MULT[en_mult],)
    elif len(m.group(1)) == 2 and after[:1] in ("年", "后"):
        values = (base, 2000 + base, 1900 + base)  # 17年, 90后
    elif base <= 12 and _RE_PM.match(after):
        values = (base, base + 12)  # 3 pm ~ 15时
    elif 12 < base <= 24 and after[:1] in ("点", "时"):
        values = (base, base - 12)  # 15时 ~ 3 pm
    elif re.match(r"\s*decades?\b", after):
        values = (base, base * 10)
    elif len(m.group(1)) == 2 and (year := _RE_YEAR_DASH.search(text, max(0, start - 8), start)):
        values = (base, float(year.group(1)) * 100 + base)  # 1986-88: 88 is 1988
    if text[max(0, start - 6) : start].casefold() == "covid-":
        values = (base, 2000 + base)  # COVID-19 ~ 2019冠状病毒病
    code = before[-1:].isascii() and before[-1:].isalpha() or (before[-1:] == "-" and before[:1].isalpha())
    code = code or "24/7" in text[max(0, start - 3) : end + 2]
    listed = not m.group(2) and _RE_LIST_MARKER.fullmatch(text[:start]) is not None and after[:1] in (".", ")", "）", "、")
    return Number(values, start, end, text[start:end], soft=bool(code or listed))  # COVID-19, G7; "2." in a list


def _time(text: str, m: re.Match[str]) -> list[Number]:
    """10:30 or 5.30pm: the hour (with its 12-hour twin), and the minutes as a soft number unless :00."""
    hour, minutes = float(m.group(1) or m.group(3)), m.group(2) or m.group(4)
    pm = bool(_RE_PM.match(text, m.end()))
    alts = (hour + 12,) if pm and hour <= 12 else (hour - 12,) if hour > 12 else ()
    numbers = [Number((hour, *alts), m.start(), m.start() + len(m.group(1) or m.group(3)), m.group(1) or m.group(3))]
    if minutes != "00":
        numbers.append(Number((float(minutes),), m.end() - 2, m.end(), minutes, soft=True))
    return numbers


def _en_words(m: re.Match[str]) -> Iterator[Number]:
    """A run of number words, split where a new number starts: "two hundred and five" is one, "one, two" two."""
    total = current = 0.0
    start = end = -1
    last = ""
    for t in re.finditer(r"[A-Za-z]+", m.group()):
        word, s, e = t.group().lower(), m.start() + t.start(), m.start() + t.end()
        if word in ("and", "a", "an"):
            continue
        kind = "unit" if word in _EN_UNITS else "tens" if word in _EN_TENS else "scale"
        if start >= 0 and ((kind == "unit" and last in ("unit", "teen")) or (kind == "tens" and last in ("unit", "tens"))):
            yield Number((total + current,), start, end, m.string[start:end], soft=True)
            total = current = 0.0
            start = -1
        if start < 0:
            start, current = s, (1.0 if kind == "scale" else 0.0)  # "a hundred", "a dozen"
        if kind == "unit":
            current += _EN_UNITS[word]
            last = "teen" if _EN_UNITS[word] >= 10 else "unit"
        elif kind == "tens":
            current += _EN_TENS[word]
            last = "tens"
        elif word in ("hundred", "dozen"):
            current *= 100 if word == "hundred" else 12
            last = "scale"
        else:
            total, current, last = total + current * _EN_SCALES[word], 0.0, "scale"
        end = e
    if start >= 0:
        yield Number((total + current,), start, end, m.string[start:end], soft=True)


def extract_numbers(text: str, lang: str) -> list[Number]:
    """The numbers in ``text``, in order of position.

    Arabic digits and times are read in any language; Chinese numerals, 万/亿, 世纪 and 年代 when
    ``lang`` is ``"zh"`` or ``"ja"``; English number words, ordinals, months and decades otherwise.
    English number words are soft. Spans index ``text`` as given (full-width digits read as ASCII).
    """
    given = text
    text = _RE_FULLWIDTH_COMMA.sub(",", text.translate(_FULLWIDTH))  # 2，000: same length, spans hold
    both: frozenset[int] = frozenset()
    if lang in DECIMAL_COMMA:
        text, both = _decimal_comma(text)
    spans = _Spans(len(text))
    numbers: list[Number] = []
    de = lang == "de"

    def add(found: list[Number], start: int, end: int) -> None:
        if spans.free(start, end):
            spans.take(start, end)
            numbers.extend(found)

    cjk = lang in ("zh", "ja")
    for pattern, kind in ZH_FORMS if cjk else ():
        for m in pattern.finditer(text):
            try:
                found = zh_forms(m, kind)
            except (ValueError, KeyError):  # 七八十年代 read later as a range
                continue
            add(found, *m.span())
    for m in _RE_EN_DECADE.finditer(text) if not cjk else ():
        decade = float((m.group(1) or "") + (m.group(2) or m.group(3) or m.group(4)) + "0")
        add([Number((decade,) if m.group(1) else (1900 + decade, decade), *m.span(), m.group())], *m.span())
    for m in _RE_EN_DECADE_WORD.finditer(text) if not cjk else ():
        decade = 10.0 * (2 + _EN_DECADES.index(m.group(1).lower()))
        add([Number((1900 + decade, decade), *m.span(), m.group(), soft=True)], *m.span())
    for m in _RE_DATE.finditer(text):  # 2021.6.11: year, month (soft), day
        year, month, day = (float(m.group(i)) for i in (1, 3, 4))
        add([Number((year,), *m.span(1), m.group(1)), Number((month,), *m.span(3), m.group(3), soft=True),
             Number((day,), *m.span(4), m.group(4))], *m.span())  # fmt: skip
    for m in _RE_DE_TIME.finditer(given) if de else ():  # 19.30 Uhr, read before the marks are swapped
        hour, minutes = float(m.group(1)), m.group(2)
        found = [Number((hour, hour - 12) if hour > 12 else (hour,), *m.span(1), m.group(1))]
        if minutes != "00":
            found.append(Number((float(minutes),), *m.span(2), minutes, soft=True))
        add(found, *m.span())
    for m in _RE_TIME.finditer(text):
        add(_time(text, m), *m.span())
    for m in _RE_ARABIC.finditer(text):
        number = _arabic(text, m, de)
        if number.start in both:  # 1,350 in a decimal-comma language: 1.35 or 1350
            number = Number((*number.values, number.value * 1000), number.start, number.end, number.text, number.soft)
        add([Number(number.values, number.start, number.end, given[number.start : number.end], number.soft)],
            number.start, number.end)
    if cjk:
        for m in RE_ZH_RUN.finditer(text):
            add(zh_run(text, m), *m.span())
    else:
        for m in _RE_DE_WORD.finditer(text) if de else ():
            value = _DE_WORDS[m.group(1).lower()] * (_DE_MULT[m.group(2).lower()] if m.group(2) else 1)
            add([Number((float(value),), *m.span(), m.group(), soft=True)], *m.span())  # soft, as English words
        for m in _RE_EN_WORDS.finditer(text):
            add(list(_en_words(m)), *m.span())
        for m in _RE_EN_SOFT.finditer(text):
            add([Number((float(_EN_SOFT[m.group(1).lower()]),), *m.span(), m.group(), soft=True)], *m.span())
        for m in _RE_EN_MONTH.finditer(text):
            month = 1 + next(i for i, name in enumerate(_EN_MONTHS) if name.startswith(m.group().rstrip(".").lower()[:3]))
            add([Number((float(month),), *m.span(), m.group(), soft=True)], *m.span())
    return sorted(numbers, key=lambda n: n.start)


_AUGMENT_LIMIT = 300  # numbers per side above which matching stays greedy (recursion depth, time)


def compare_numbers(src: list[Number], tgt: list[Number]) -> NumberDiff:
    """Match source and target numbers one to one, as multisets, strong numbers first (so a soft 三
    does not take the partner of 3): greedily by value, then by augmenting paths, which find the
    maximum matching where a number has several readings (90年代: 90 or 1990)."""
    src_order = sorted(range(len(src)), key=lambda i: src[i].soft)
    tgt_order = sorted(range(len(tgt)), key=lambda j: tgt[j].soft)
    by_key: dict[str, deque[int]] = {}
    for j in tgt_order:
        for key in tgt[j].keys:
            by_key.setdefault(key, deque()).append(j)
    partner: dict[int, int] = {}  # target index -> source index

    def free_partner(i: int) -> int | None:
        heads = []
        for key in src[i].keys:
            queue = by_key.get(key)
            while queue and queue[0] in partner:
                queue.popleft()
            if queue:
                heads.append(queue[0])
        return min(heads, key=lambda j: (tgt[j].soft, j)) if heads else None

    for i in src_order:
        free = free_partner(i)
        if free is not None:
            partner[free] = i
    if len(partner) < min(len(src), len(tgt)) and max(len(src), len(tgt)) <= _AUGMENT_LIMIT:
        edges = {i: [j for j in tgt_order if src[i].matches(tgt[j])] for i in range(len(src))}

        def augment(i: int, seen: set[int]) -> bool:
            for j in edges[i]:
                if j not in seen:
                    seen.add(j)
                    if j not in partner or augment(partner[j], seen):
                        partner[j] = i
                        return True
            return False

        for i in src_order:
            if i not in partner.values():
                augment(i, set())
    matched_src = set(partner.values())
    return NumberDiff(
        tuple((src[i], tgt[j]) for j, i in sorted(partner.items(), key=lambda p: p[1])),
        tuple(n for i, n in enumerate(src) if i not in matched_src),
        tuple(n for j, n in enumerate(tgt) if j not in partner),
    )
