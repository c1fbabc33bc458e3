"""Decode a text file: detect its encoding, never guess silently, normalise CRLF (and lone-CR files).

Detected, in this order: a BOM (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); NUL bytes (binary, or UTF-16
written without a BOM); strict UTF-8; GB18030/GBK, but only when every line that is not UTF-8
decodes as GB18030, the Chinese characters it yields are common ones (GB2312), and no other line
is clearly UTF-8. Anything else is an `InputError` naming the 1-based line and 0-based byte offset
of the first byte that is not UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import InputError

__all__ = ["Decoded", "decode_bytes", "read_text"]

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_HAN = re.compile("[\u4e00-\u9fff]")
_NOT_HAN = re.compile("[^\u4e00-\u9fff]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Real GB18030/GBK Chinese is almost all GB2312 characters (the seed: 1049 of 1049 Han); UTF-8 or
# Latin-1 bytes misread as GB18030 land mostly in the rare GBK extension areas (the seed's UTF-8
# bytes read as GB18030: 33% of the Han in GB2312; "Größe" in Latin-1 reads as "Gr鲞e").
_MIN_COMMON_HAN = 0.8
_FIX_UTF8 = "re-save the file as UTF-8, e.g. `iconv -f <encoding> -t utf-8`"


@dataclass(frozen=True)
class Decoded:
    """A decoded file. ``text`` uses ``\\n`` only (CRLF normalised); ``encoding`` is a Python codec
    name that decodes the file the same way ("utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030");
    ``newline`` is the file's own line ending, "\\n" or "\\r\\n" (the majority when mixed), or "\\r"
    for a file whose lines all end in a lone CR (classic Mac OS)."""

    text: str
    encoding: str
    newline: str = "\n"

    def __post_init__(self) -> None:
        if self.newline not in ("\n", "\r\n", "\r"):
            raise ValueError(f"Decoded.newline must be '\\n', '\\r\\n' or '\\r', got {self.newline!r}")


def read_text(path: str | Path) -> Decoded:
    """Read and decode ``path``; an empty file gives empty text. Raises `InputError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}", "check the path") from None
    return decode_bytes(data, path)


def decode_bytes(data: bytes, path: str | Path | None = None) -> Decoded:
    """Decode ``data`` as `read_text` does; ``path`` only names the source in errors."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _finish(_decode_declared(data, codec, len(bom), path), codec, path)
    if b"\x00" in data:
        raise _nul_error(data, path)
    try:
        return _finish(data.decode("utf-8"), "utf-8", path)
    except UnicodeDecodeError as exc:
        return _finish(_not_utf8(data, exc, path), "gb18030", path)


def _finish(text: str, codec: str, path: str | Path | None) -> Decoded:
    nul = text.find("\x00")
    if nul >= 0:  # a BOM file can still hold NULs
        line = text.count("\n", 0, nul) + 1
        raise InputError(path, f"looks binary: NUL character in {codec} text", "remove the NUL characters", line=line)
    if "\r" in text and "\n" not in text:  # lone-CR line ends (classic Mac OS): no line is lost in one
        return Decoded(text.replace("\r", "\n"), codec, "\r")
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and 2 * crlf >= text.count("\n") else "\n"
    if crlf:
        text = text.replace("\r\n", "\n")
    return Decoded(text, codec, newline)


def _decode_declared(data: bytes, codec: str, bom_len: int, path: str | Path | None) -> str:
    """Decode a file whose BOM declares its codec; errors name the first bad byte."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        # utf-8-sig reports offsets after the BOM; utf-16/utf-32 count it.
        start = exc.start + (bom_len if codec == "utf-8-sig" else 0)
        good = data[:start].decode(codec, errors="replace")
        bad = data[start : start + 4].hex(" ")
        raise InputError(
            path,
            f"the BOM says {codec} but the bytes {bad} are not valid {codec}",
            "re-save the file from its editor as UTF-8",
            line=good.count("\n") + 1,
            byte_offset=start,
        ) from None


def _nul_error(data: bytes, path: str | Path | None) -> InputError:
    """NUL bytes: UTF-16 without a BOM, or a binary file."""
    first = data.find(b"\x00")
    even, odd = data[0::2].count(0), data[1::2].count(0)
    for codec in ("utf-16-le", "utf-16-be") if odd >= even else ("utf-16-be", "utf-16-le"):
        if len(data) % 2:
            break
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        # ASCII in UTF-16 puts a NUL at one parity; a few Han characters (U+4E00 ...) at the other.
        # Binary data decodes to control characters; a short all-Chinese file has few NULs at all.
        skewed = max(even, odd) >= 4 and min(even, odd) * 20 <= max(even, odd)
        if not _CONTROL.search(text) and (skewed or _plausible_chinese(text)):
            return InputError(
                path,
                f"looks like UTF-16 without a BOM ({codec[-2:].upper()}: NUL bytes between the characters)",
                f"re-save as UTF-8, e.g. `iconv -f {codec} -t utf-8`",
                line=1,
                byte_offset=0,
            )
    return InputError(
        path,
        f"looks binary: NUL byte at byte {first}",
        "give a plain-text file (UTF-8); for Word/PDF files export the text first",
        line=data.count(b"\n", 0, first) + 1,
        byte_offset=first,
    )


def _plausible_chinese(text: str) -> bool:
    """True when ``text`` holds Han characters and at least 80% of them are common (in GB2312)."""
    han = _NOT_HAN.sub("", text)
    if not han:
        return False
    rare = han.encode("gb2312", errors="replace").count(b"?")
    return (len(han) - rare) >= _MIN_COMMON_HAN * len(han)


def _not_utf8(data: bytes, exc: UnicodeDecodeError, path: str | Path | None) -> str:
    """Text of a file that is not UTF-8: GB18030 if every line allows it, else an `InputError`.

    ``exc`` is the strict UTF-8 decoder's error at the first byte that is not UTF-8.
    """
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_chinese(text):
        # Fast path: only lines with a rare Han character or valid non-ASCII UTF-8 need a look.
        suspects = _suspect_lines(data, text)
        first_gb, first_utf8, first_bad = _classify(data, suspects)
        if not first_utf8 and not first_bad:
            return text
    first_gb, first_utf8, first_bad = _classify(data, None)
    bad = exc.start
    if first_gb and first_utf8 and not first_bad:
        raise InputError(
            path,
            f"the file mixes encodings: line {first_utf8} is UTF-8 but line {first_gb} is GBK/GB18030",
            f"re-save the GBK lines (from line {first_gb}) as UTF-8",
            line=first_gb,
            byte_offset=bad,
        )
    if first_gb and not first_bad and text is not None and _plausible_chinese(text):
        return text
    # "invalid continuation byte": exc.end points at the offending byte; show it too.
    end = exc.end + 1 if "continuation" in exc.reason else exc.end
    seq = data[bad : max(end, bad + 1)].hex(" ")
    raise InputError(
        path,
        f"not UTF-8 ({exc.reason} in bytes {seq}) and not GB18030/GBK Chinese either",
        _FIX_UTF8,
        line=data.count(b"\n", 0, bad) + 1,
        byte_offset=bad,
    )


_UTF8_LINE = re.compile("^(?=[^\n]*[^\x00-\x7f])[^\n\udc80-\udcff]*$", re.M)


def _suspect_lines(data: bytes, gb_text: str) -> list[int]:
    """0-based numbers of lines that are valid non-ASCII UTF-8 or hold a rare Han character.

    Lines of ``data`` and ``gb_text`` match one to one: GB18030 never uses 0x0A inside a character.
    """
    found: set[int] = set()
    escaped = data.decode("utf-8", errors="surrogateescape")  # bad bytes become U+DC80..U+DCFF
    for m in _UTF8_LINE.finditer(escaped):
        found.add(escaped.count("\n", 0, m.start()))
    rare = [c for c in set(_NOT_HAN.sub("", gb_text)) if c.encode("gb2312", errors="replace") == b"?"]
    if rare:
        pos, line = 0, 0
        for m in re.finditer("[" + "".join(rare) + "]", gb_text):
            line += gb_text.count("\n", pos, m.start())
            pos = m.start()
            found.add(line)
    return sorted(found)


def _classify(data: bytes, numbers: list[int] | None) -> tuple[int, int, int]:
    """First GB18030 line, first clearly-UTF-8 line, first line that is neither (1-based, 0 = none),
    looking at the lines with the given 0-based ``numbers`` or at all lines."""
    lines = data.split(b"\n")
    first_gb = first_utf8 = 0
    for i in range(len(lines)) if numbers is None else numbers:
        raw = lines[i]
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                gb = raw.decode("gb18030")
            except UnicodeDecodeError:
                gb = None
            # A GB line without Han (a lone bullet) is fine; one whose Han are rare is mojibake.
            if gb is not None and (_plausible_chinese(gb) or not _HAN.search(gb)):
                first_gb = first_gb or i + 1
            else:
                return first_gb, first_utf8, i + 1
            continue
        if not first_utf8:
            try:  # a short GB18030 line can happen to be valid UTF-8: count it only if GB makes no sense
                accidental = _plausible_chinese(raw.decode("gb18030"))
            except UnicodeDecodeError:
                accidental = False
            if not accidental:
                first_utf8 = i + 1
        if first_gb and first_utf8:
            break
    return first_gb, first_utf8, 0
