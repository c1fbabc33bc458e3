"""Chinese numerals (`evalkit.metrics.numbers`): their grammar, and the contexts where they count something.

Read only where they clearly count: before a classifier or unit (14份, 三千五百人), after 第 or 百分之, as a
digit-by-digit year (二〇一七年), or when they hold a unit character and are worth 11 or more (十四, 三千五百);
plus the fixed forms ``ZH_FORMS`` (20世纪90年代, 90年代, 19世纪, 百分之五, 三分之二).
"""

from __future__ import annotations

import re

from .number_records import Number

__all__ = ["RE_ZH_RUN", "ZH_FORMS", "parse_zh_numeral", "zh_forms", "zh_run"]

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
_RE_ZH_CENTURY_DECADE = re.compile(rf"(?:(\d{{1,2}}|[{_ZH_NUM}]+)\s*世纪|(上个?世纪))\s*(\d{{2}}|[{_ZH_NUM}]+)\s*年代")
_RE_ZH_DECADE = re.compile(r"(\d{2,4}|[〇零一二三四五六七八九十]+)\s*年代")
_RE_ZH_CENTURY = re.compile(rf"(\d{{1,2}}|[{_ZH_NUM}]+)\s*世纪")
_RE_ZH_PERCENT = re.compile(rf"百分之(\d+(?:\.\d+)?|[{_ZH_NUM}点]+)|百分百")
_RE_ZH_FRACTION = re.compile(rf"([{_ZH_NUM}]+|\d+)分之([{_ZH_NUM}]+|\d+)")
RE_ZH_RUN = re.compile(rf"[一二两三四五六七八九十百千万][{_ZH_NUM}]*(?:点[〇零一二三四五六七八九]+)?")


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


def _nums(text: str) -> list[float]:
    """An Arabic or Chinese numeral's value, or the values of a range (七八十)."""
    return [float(text.replace(",", ""))] if text[0].isdigit() else _zh_values(text)


def _num(text: str) -> float:
    return _nums(text)[0]


def zh_forms(m: re.Match[str], kind: str) -> list[Number]:
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


ZH_FORMS = (
    (_RE_ZH_CENTURY_DECADE, "century_decade"),
    (_RE_ZH_DECADE, "decade"),
    (_RE_ZH_CENTURY, "century"),
    (_RE_ZH_PERCENT, "percent"),
    (_RE_ZH_FRACTION, "fraction"),
)


def zh_run(text: str, m: re.Match[str]) -> list[Number]:
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
