"""The one adapter for the word lists of pyspellchecker 0.9.1 (MIT): the words a target language's list knows.

The ``qe`` feature ``unknown_words`` (`features.unknown_share`) is the share of a target's words that the
target language's list lacks: misspelt or invented words, and source words left untranslated (English in a
German target). pyspellchecker ships word-frequency lists for 12 languages in its wheel (7 MB, no
dependencies) and is imported on first use (a quarter of a second per list), so ``evalkit --help`` never
loads it; a language without a list gets None and the feature is 0.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import UsageError

__all__ = ["known_words"]

# pyproject pins pyspellchecker==0.9.1: the shipped qe weights were trained on its lists.
_LANGS = frozenset({"ar", "de", "en", "es", "eu", "fa", "fr", "it", "lv", "nl", "pt", "ru"})
_FAIL = "pip install 'pyspellchecker==0.9.1' (evalkit depends on it)"


@lru_cache(maxsize=None)
def known_words(lang: str | None) -> frozenset[str] | None:
    """The lower-case words of ``lang``'s list (``"de"``, ``"en-GB"``...), or None for a language without one."""
    code = (lang or "").split("-")[0].split("_")[0].lower()
    if code not in _LANGS:
        return None
    try:
        from spellchecker import SpellChecker
    except ImportError:
        raise UsageError("the qe score needs pyspellchecker, which is not installed", _FAIL) from None
    return frozenset(SpellChecker(language=code, distance=1).word_frequency.dictionary)
