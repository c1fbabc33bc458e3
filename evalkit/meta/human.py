"""Human judgements for meta-evaluation: the `HumanSet` every reader returns, and Google's MQM TSV reader.

The MQM score of a segment is computed as the published segment scores are (mt-metrics-eval
``converters/score_mqm.py``, the weights of google/wmt-mqm-human-evaluation): per error the most specific of
Major 5, Minor 1, Neutral 0, Major/Non-translation! 25, Minor/Fluency/Punctuation 0.1 (anything else, such as
No-error or the HOTW-test rows, 0); summed per rater; averaged over the segment's raters; negated, so 0 is
best and more negative is worse.
"""

from __future__ import annotations

import csv
import io
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["MQM_WEIGHTS", "HumanSet", "lp_of", "mqm_weight", "read_mqm_tsv", "strip_spans"]

MQM_WEIGHTS: dict[str, float] = {
    "major": 5.0,
    "minor": 1.0,
    "neutral": 0.0,
    "major/non-translation!": 25.0,
    "minor/fluency/punctuation": 0.1,
}
_SPAN = re.compile(r"</?v>")
_LP = re.compile(r"(?:^|[.:_])([a-z]{2,3})-([a-z]{2,3})(?:$|[.:_])")
CLASSIC = ("system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity")
SXS = ("system", "doc", "docSegId", "globalSegId", "rater", "source", "target", "category", "severity")


@dataclass(frozen=True)
class HumanSet:
    """Human scores as a (systems, items) matrix (NaN: not rated), with the texts where the input has them.

    ``sources[k]`` is item k's source, ``targets[s][k]`` system s's output ("" when unknown), ``refs[k]`` the
    item's references (empty: none). Higher human scores are better.
    """

    systems: tuple[str, ...]
    items: tuple[str, ...]
    human: np.ndarray
    sources: tuple[str, ...]
    targets: tuple[tuple[str, ...], ...]
    refs: tuple[tuple[str, ...], ...]
    origin: str
    kind: str
    warnings: tuple[str, ...] = field(default=())
    lp: str = ""  # "src-tgt" language pair when the input says it (a doc id "...:en-de", a file name)

    def __post_init__(self) -> None:
        shape = (len(self.systems), len(self.items))
        if self.human.shape != shape:
            raise ValueError(f"human has shape {self.human.shape}, expected (systems, items) = {shape}")
        if len(self.sources) != shape[1] or len(self.targets) != shape[0]:
            raise ValueError("sources need one text per item and targets one row per system")
        if any(len(row) != shape[1] for row in self.targets):
            raise ValueError("every targets row needs one text per item")

    @property
    def rated(self) -> int:
        return int(np.isfinite(self.human).sum())


def strip_spans(text: str) -> str:
    """The text without MQM error-span marks ``<v>`` and ``</v>``."""
    return _SPAN.sub("", text)


def mqm_weight(severity: str, category: str) -> float:
    """Weight of one error: the most specific ``severity[/category[/subcategory]]`` in `MQM_WEIGHTS`, else 0."""
    parts = [severity.strip()] + category.strip().split("/")
    while parts:
        key = "/".join(parts).lower()
        if key in MQM_WEIGHTS:
            return MQM_WEIGHTS[key]
        parts = parts[:-1]
    return 0.0


def _open_text(path: Path) -> str:
    """The TSV's text; a ``.tar.gz``/``.tgz`` holding one .tsv is read directly."""
    try:
        if path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path, "r:gz") as tar:
                members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".tsv")]
                if len(members) != 1:
                    raise InputError(path, f"expected one .tsv in the archive, found {len(members)}",
                                     "unpack it and give the .tsv")
                handle = tar.extractfile(members[0])
                assert handle is not None  # a regular file member
                return handle.read().decode("utf-8")
        return path.read_text(encoding="utf-8")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise InputError(path, f"cannot read: {exc}", "give Google's MQM TSV, or its .tar.gz") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})", "save it as UTF-8") from None


def is_mqm_header(header: Iterable[str]) -> bool:
    names = set(header)
    return set(CLASSIC) <= names or set(SXS) <= names


def read_mqm_tsv(path: Path) -> HumanSet:
    """Read Google's MQM ratings (classic ``doc_id seg_id`` or WMT23 side-by-side ``docSegId globalSegId``)."""
    text = _open_text(path)
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(path, "empty file", "give Google's MQM TSV") from None
    column = {name: k for k, name in enumerate(header)}
    if set(SXS) <= set(column):
        item_col, kind = "globalSegId", "mqm-sxs"
    elif set(CLASSIC) <= set(column):
        item_col, kind = "seg_id", "mqm"
    else:
        raise InputError(path, f"header {header[:10]} is not Google's MQM TSV",
                         f"expected the columns {' '.join(CLASSIC)} (or docSegId globalSegId for side-by-side)", line=1)
    need = max(column[c] for c in ("system", item_col, "rater", "source", "target", "category", "severity"))
    per_rater: dict[tuple[str, str], dict[str, float]] = {}
    sources: dict[str, str] = {}
    targets: dict[tuple[str, str], str] = {}
    warnings: list[str] = []
    differing = 0
    pairs: set[str] = set()
    for n, row in enumerate(reader, start=2):
        if not row or row == [""]:
            continue
        if len(row) <= need:
            raise InputError(path, f"{len(row)} fields, expected at least {need + 1}", "check the tabs", line=n)
        system, item, rater = row[column["system"]], row[column[item_col]].strip(), row[column["rater"]]
        if not item:
            raise InputError(path, f"empty {item_col}", "every row needs its segment id", line=n)
        key = (system, item)
        found = _LP.search(row[column["doc"]])
        if found:
            pairs.add(f"{found.group(1)}-{found.group(2)}")
        raters = per_rater.setdefault(key, {})
        raters[rater] = raters.get(rater, 0.0) + mqm_weight(row[column["severity"]], row[column["category"]])
        source, target = strip_spans(row[column["source"]]), strip_spans(row[column["target"]])
        sources.setdefault(item, source)
        if targets.setdefault(key, target) != target:
            differing += 1
    if not per_rater:
        raise InputError(path, "no ratings", "give Google's MQM TSV with rows")
    if differing:
        warnings.append(f"{path}: {differing} rows give a (system, segment) a target that differs from its first row's "
                        "after removing <v> marks; the first is scored")
    systems = tuple(sorted({s for s, _ in per_rater}))
    items = tuple(sorted(sources, key=_item_order))
    s_index = {s: k for k, s in enumerate(systems)}
    i_index = {i: k for k, i in enumerate(items)}
    human = np.full((len(systems), len(items)), np.nan)
    for (system, item), raters in per_rater.items():
        human[s_index[system], i_index[item]] = -sum(raters.values()) / len(raters)
    rows = tuple(tuple(targets.get((s, i), "") for i in items) for s in systems)
    return HumanSet(systems, items, human, tuple(sources[i] for i in items), rows, tuple(() for _ in items),
                    str(path), kind, tuple(warnings), lp=next(iter(pairs)) if len(pairs) == 1 else lp_of(path.name))


def lp_of(name: str) -> str:
    """The language pair a file name holds (``newstest2021.zh-en.src.zh``, ``..._ende...``: only the first), or ""."""
    found = _LP.search(name)
    if found:
        return f"{found.group(1)}-{found.group(2)}"
    glued = re.search(r"_(en|zh|de|ja|ru|cs|uk|he|fr|es)(en|zh|de|ja|ru|cs|uk|he|fr|es)[._]", name)
    return f"{glued.group(1)}-{glued.group(2)}" if glued else ""


def _item_order(item: str) -> tuple[int, int | str]:
    return (0, int(item)) if item.isdigit() else (1, item)
