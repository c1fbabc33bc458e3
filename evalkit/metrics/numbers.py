"""Numbers in Chinese and English text, normalised so that 14份, "fourteen" and "14" compare equal.

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
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Number", "NumberDiff", "compare_numbers", "extract_numbers", "format_value", "parse_zh_numeral"]


@dataclass(frozen=True)
class Number:
    """A number found in text: candidate ``values`` (the first is the usual reading), the 0-based
    character span ``start``-``end`` of its surface form ``text``, and whether it is ``soft``."""

    values: tuple[float, ...]
    start: int
    end: int
    text: str
    soft: bool = False

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"Number.values must not be empty (text {self.text!r})")

    @property
    def value(self) -> float:
        return self.values[0]

    @cached_property
    def keys(self) -> frozenset[str]:
        """The candidate values to 9 significant digits, so that 3.27亿 and "327 million" compare equal."""
        return frozenset(f"{v:.9g}" for v in self.values)

    def matches(self, other: Number) -> bool:
        """True when a candidate value of one equals one of the other (to 9 significant digits)."""
        return not self.keys.isdisjoint(other.keys)


@dataclass(frozen=True)
class NumberDiff:
    """The outcome of matching: pairs matched one to one, and each side's numbers left over."""

    matched: tuple[tuple[Number, Number], ...]
    src_only: tuple[Number, ...]
    tgt_only: tuple[Number, ...]

    def _counted(self, side: int, only: tuple[Number, ...]) -> tuple[Number, ...]:
        """Leftovers that count: not the value 1 (一个/"a"/"one" come and go in good translations)
        and not a repeat of a number matched on the same side (2019年 ... 2019年 -> 2019 ... "that year")."""
        seen = {pair[side].text for pair in self.matched}
        return tuple(n for n in only if n.value != 1 and n.text not in seen)

    @property
    def src_counted(self) -> tuple[Number, ...]:
        return self._counted(0, self.src_only)

    @property
    def tgt_counted(self) -> tuple[Number, ...]:
        return self._counted(1, self.tgt_only)

    @property
    def mismatch(self) -> bool:
        """A strong number left over on either side, or soft ones on both sides (a changed count)."""
        src, tgt = self.src_counted, self.tgt_counted
        return any(not n.soft for n in src + tgt) or (bool(src) and bool(tgt))


_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = "〇零一二两三四五六七八九十百千万亿"
# Classifiers and units that make a preceding Chinese numeral a count.
_ZH_CLASSIFIERS = tuple(
    "个 份 位 名 人 次 年 月 日 天 号 岁 元 块 角 条 件 项 家 座 所 辆 架 艘 台 部 本 篇 张 只 头 匹 种 类 批 届 周 "
    "小时 分钟 秒 公里 米 厘米 毫米 公斤 克 吨 斤 亩 公顷 平方 度 倍 点 分 户 间 层 场 轮 起 例 枚 颗 支 发 股 美元 欧元 "
    "英镑 日元 港元 卢布 成 组 队 代 季 集 期 版 级 星 楼 字 页 章 句 段 首 幅 顿 杯 瓶 碗 盒 袋 双 对 套 副 排 行 栋 幢 "
    "扇 道 门 棵 株 朵 片 滴 口 笔 单 招 步 遍 趟 回 声 票 席 世纪 周年".split()
)
# Words that start with a numeral but count nothing ("very", "everywhere", "sandwich", "percentage point").
_ZH_IDIOMS = ("十分", "十足", "十全", "四处", "三明治", "一样", "一般", "一切", "一旦", "一点儿", "一点点", "万一", "百分")
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

_RE_ZH_CENTURY_DECADE = re.compile(rf"(?:(\d{{1,2}}|[{_ZH_NUM}]+)\s*世纪|(上个?世纪))\s*(\d{{2}}|[{_ZH_NUM}]+)\s*年代")
_RE_ZH_DECADE = re.compile(r"(\d{2,4}|[〇零一二三四五六七八九十]+)\s*年代")
_RE_ZH_CENTURY = re.compile(rf"(\d{{1,2}}|[{_ZH_NUM}]+)\s*世纪")
_RE_ZH_PERCENT = re.compile(rf"百分之(\d+(?:\.\d+)?|[{_ZH_NUM}点]+)|百分百")
_RE_ZH_FRACTION = re.compile(rf"([{_ZH_NUM}]+|\d+)分之([{_ZH_NUM}]+|\d+)")
_RE_ZH_RUN = re.compile(rf"[一二两三四五六七八九十百千万][{_ZH_NUM}]*(?:点[〇零一二三四五六七八九]+)?")
_RE_EN_DECADE = re.compile(r"(?<![\w'’])(?:(1\d|20)(\d)0|['’](\d)0|(\d)0)s\b")
_RE_EN_DECADE_WORD = re.compile(r"\b(?:nineteen[\s-]+)?(" + "|".join(_EN_DECADES) + r")\b", re.I)
_RE_TIME = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?![\d:])|(?<![\d.])(\d{1,2})\.(\d{2})(?=\s*[ap]\.?\s?m\b)", re.I)
_RE_DATE = re.compile(r"(?<![\d.])((?:19|20)\d\d)([./-])(\d{1,2})\2(\d{1,2})(?![\d.])")
_RE_YEAR_DASH = re.compile(r"(?<!\d)(1[89]|20)\d\d\s?[-–]\s?$")
_RE_PM = re.compile(r"\s*p\.?\s?m\b", re.I)
_RE_ARABIC = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(?:\s*[多余]?\s*([百千]?[万亿]{1,2}|千)(\d{1,4}(?![\d.]))?"
    r"|\s*-?\s*(thousand|million|billion|trillion|bn|mn|mln|m|k)\b)?",
    re.I,
)
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


def parse_zh_numeral(text: str) -> float:
    """The value of a Chinese numeral such as 十四 (14), 三千五百 (3500), 一万二 (12000), 一点五 (1.5).

    Bare digits (二〇一七) read digit by digit. Raises ``ValueError`` on anything else, including two
    digits in a row before a unit (十二五, 七八十), which are names or ranges, not one number.
    """
    if "点" in text:
        whole, frac = text.split("点", 1)
        return (parse_zh_numeral(whole) if whole else 0.0) + float("0." + "".join(str(_ZH_DIGITS[c]) for c in frac))
    if len(text) > 1 and all(c in _ZH_DIGITS for c in text):
        return float("".join(str(_ZH_DIGITS[c]) for c in text))
    total = section = number = 0.0
    last_unit, zero_after_unit = 0.0, False
    for ch in text:
        if ch in _ZH_DIGITS:
            if number and _ZH_DIGITS[ch]:
                raise ValueError(f"two digits in a row in {text!r}")
            number = _ZH_DIGITS[ch]
            zero_after_unit = zero_after_unit or number == 0
        elif ch in _ZH_UNITS:
            section += (number or 1) * _ZH_UNITS[ch]
            number, last_unit, zero_after_unit = 0, _ZH_UNITS[ch], False
        elif ch == "万":
            total += (section + number) * 10_000
            section = number = 0
            last_unit, zero_after_unit = 10_000, False
        elif ch == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
            last_unit, zero_after_unit = 100_000_000, False
        else:
            raise ValueError(f"not a Chinese numeral character: {ch!r} in {text!r}")
    if number and last_unit >= 100 and not zero_after_unit:
        number *= last_unit / 10  # colloquial 三千五 = 3500, 一万二 = 12000
    return total + section + number


def _zh_values(run: str) -> list[float]:
    """One value for a numeral; several for a range (七八十 -> 70, 80) or a name (十四五 -> 14, 5)."""
    try:
        return [parse_zh_numeral(run)]
    except ValueError:
        pass
    if len(run) > 2 and run[0] in _ZH_DIGITS and run[1] in _ZH_DIGITS and run[2] in "十百千万亿":
        try:
            return [parse_zh_numeral(run[0] + run[2:]), parse_zh_numeral(run[1:])]
        except ValueError:
            pass
    values, i = [], 0
    while i < len(run):  # split greedily into the longest pieces that read as numerals
        for j in range(len(run), i, -1):
            try:
                values.append(parse_zh_numeral(run[i:j]))
            except (ValueError, KeyError):
                continue
            i = j
            break
        else:
            i += 1
    return values


def format_value(value: float) -> str:
    """``14.0`` -> ``"14"``, ``1.5`` -> ``"1.5"``, ``150000000.0`` -> ``"150000000"``."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.6g}"


def _nums(text: str) -> list[float]:
    """An Arabic or Chinese numeral's value, or the values of a range (七八十)."""
    return [float(text.replace(",", ""))] if text[0].isdigit() else _zh_values(text)


def _num(text: str) -> float:
    return _nums(text)[0]


class _Spans:
    """Characters already read, so that 20世纪90年代 is not read again as 20 and 90."""

    def __init__(self, size: int) -> None:
        self.taken = bytearray(size)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = b"\x01" * (end - start)


def _zh_forms(m: re.Match[str], kind: str) -> list[Number]:
    """20世纪90年代 (1990), 90年代 (1990 or 90), 19世纪 (19 or 1800), 百分之五 (5), 三分之二 (soft)."""
    span = (m.start(), m.end(), m.group())
    if kind == "century_decade":  # 20世纪六七十年代: 1960 and 1970
        century = 20 if m.group(2) else _num(m.group(1))
        return [Number(((century - 1) * 100 + v,), *span) for v in _nums(m.group(3))]
    if kind == "decade":
        return [Number((v, 1900 + v) if v < 100 else (v,), *span) for v in _nums(m.group(1))]
    if kind == "century":
        return [Number((_num(m.group(1)), (_num(m.group(1)) - 1) * 100), *span)]
    if kind == "percent":  # 百分之七八十: 70 and 80
        return [Number((v,), *span) for v in (_nums(m.group(1)) if m.group(1) else [100.0])]
    den, num = _num(m.group(1)), _num(m.group(2))
    return [Number((num / den if den else num, num, den), *span, soft=True)]


_ZH_FORMS = (
    (_RE_ZH_CENTURY_DECADE, "century_decade"),
    (_RE_ZH_DECADE, "decade"),
    (_RE_ZH_CENTURY, "century"),
    (_RE_ZH_PERCENT, "percent"),
    (_RE_ZH_FRACTION, "fraction"),
)


def _zh_run(text: str, m: re.Match[str]) -> list[Number]:
    """A Chinese numeral run, when its context shows that it counts something."""
    run, start, end = m.group(), m.start(), m.end()
    before, after = text[max(0, start - 2) : start], text[end : end + 4]
    if text.startswith(_ZH_IDIOMS, start) or before.endswith(("几", "数", "周", "星期", "礼拜")) or after[:1] == "几":
        return []  # 十分 "very", 几十 "dozens", 数百 "hundreds", 周三 "Wednesday"
    counted = after.startswith(_ZH_CLASSIFIERS) or after[:1] in ("多", "余", "来")
    listed = (before[-1:] in ("(", "（") and after[:1] in (")", "）")) or after[:1] == "、"  # （二）, 二、
    if run[0] in "百千万":  # 百年, 千字, 万名 ("a hundred years", ...), 千亿 ("100 billion")
        keep = counted or len(run) > 1
        return [Number((v,), start, end, run, soft=True) for v in _zh_values("一" + run)] if keep else []
    if len(run) > 1 and all(c in _ZH_DIGITS for c in run):
        if "〇" in run or "零" in run or (len(run) > 2 and after[:1] == "年" and after[:2] != "年级" and "两" not in run):
            return [Number((parse_zh_numeral(run),), start, end, run)]  # 二〇一七年, 一九九七年
        # 七八个 "seven or eight", 一二三年级 "grades 1, 2 and 3", 六四 "June 4th"
        return [Number((float(_ZH_DIGITS[c]),), start + i, start + i + 1, c, soft=True) for i, c in enumerate(run)]
    values = _zh_values(run)
    if len(values) != 1:  # 七八十 (70-80), 十四五 (14th Five-Year Plan)
        return [Number((v,), start, end, run, soft=True) for v in values]
    value = values[0]
    alts = (value * 10,) if after[:1] == "成" else ()  # 三成 = 30%
    if before.endswith("第") or counted or listed:
        return [Number((value, *alts), start, end, run, soft=value <= 10 or listed)]
    if any(c in "十百千万亿" for c in run) and value > 10:
        # A bare numeral of 100 and more is a number (三千五百); a bare 十一 is as often a name
        # (双十一 "Singles' Day", 十一 "National Day"), so it stays soft.
        return [Number((value,), start, end, run, soft=value < 100)]
    return []


def _arabic(text: str, m: re.Match[str]) -> Number:
    """An Arabic number with its multiplier (3万, 1.5 billion), read with the forms it can stand for."""
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
    text = _RE_FULLWIDTH_COMMA.sub(",", text.translate(_FULLWIDTH))  # 2，000: same length, spans hold
    spans = _Spans(len(text))
    numbers: list[Number] = []

    def add(found: list[Number], start: int, end: int) -> None:
        if spans.free(start, end):
            spans.take(start, end)
            numbers.extend(found)

    cjk = lang in ("zh", "ja")
    for pattern, kind in _ZH_FORMS if cjk else ():
        for m in pattern.finditer(text):
            try:
                found = _zh_forms(m, kind)
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
    for m in _RE_TIME.finditer(text):
        add(_time(text, m), *m.span())
    for m in _RE_ARABIC.finditer(text):
        number = _arabic(text, m)
        add([number], number.start, number.end)
    if cjk:
        for m in _RE_ZH_RUN.finditer(text):
            add(_zh_run(text, m), *m.span())
    else:
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
