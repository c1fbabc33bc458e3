"""BCP 47 language tags as TMX and XLIFF files write them: normalising and matching (issue 20).

A tag names a language and, optionally, a script and a region (``zh-Hant-TW``, ``en-GB``). Matching is
by *subtag prefix* (RFC 4647 "basic filtering"): ``zh`` matches ``zh-CN`` and ``zh-TW``, ``zh-CN`` matches
only ``zh-CN`` (and ``zh-cn``, ``zh_CN``). So en-US -> en-GB and zh-CN -> zh-TW are language pairs of their
own, and a bare ``en`` that matches several regional tags is ambiguous: :func:`resolve` says which to
choose. Scoring settings (BLEU's tokenizer, the checks) still use the language subtag (:func:`base`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["base", "matches", "normalize", "resolve"]

_NONE = {"", "*all*", "x-unknown", "und"}


def normalize(tag: str | None) -> str | None:
    """``tag`` in lower case with ``-`` between subtags (``zh_CN`` -> ``zh-cn``); None for none/``*all*``."""
    if tag is None:
        return None
    out = tag.strip().replace("_", "-").lower()
    return None if out in _NONE else out


def base(tag: str | None) -> str | None:
    """The language subtag: ``zh-Hant-TW`` -> ``zh``; None for none."""
    norm = normalize(tag)
    return norm.split("-")[0] or None if norm else None


def matches(want: str | None, have: str | None) -> bool:
    """True when ``have`` is ``want`` or one of its sub-tags (``zh`` matches ``zh-TW``; ``zh-CN`` not ``zh-TW``)."""
    w, h = normalize(want), normalize(have)
    if not w or not h:
        return False
    return h == w or h.startswith(w + "-")


def resolve(want: str | None, tags: Iterable[str]) -> list[str]:
    """The tags among ``tags`` (as written, first spelling kept) that ``want`` names: the exact tag when present,
    else every more specific one (``en`` -> ``en-US``, ``en-GB``), else a more general one (``en-US`` -> ``en``)."""
    norm = normalize(want)
    if not norm:
        return []
    seen: dict[str, str] = {}
    for tag in tags:
        n = normalize(tag)
        if n and n not in seen:
            seen[n] = tag
    if norm in seen:
        return [seen[norm]]
    narrower = [seen[n] for n in seen if matches(norm, n)]
    if narrower:
        return narrower
    return [seen[n] for n in seen if matches(n, norm)]
