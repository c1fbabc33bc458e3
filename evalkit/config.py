"""Flag thresholds: defaults, then ``evalkit.toml`` or ``pyproject.toml [tool.evalkit]``, then ``--threshold``.

The defaults are calibrated on newstest2021 zh-en expert MQM scores (see README, "Calibration").
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Thresholds", "find_config", "load_thresholds"]


@dataclass(frozen=True)
class Thresholds:
    """When a rule fires. Each name is also the key of ``--threshold NAME=VALUE``.

    margin: ratio margin below this is ``low_margin`` (dimensionless, ~1.0 = no better than a neighbour).
        1.0 since issue 14: at 1.15, on line-aligned system output with expert MQM (bench/flags_mqm.py),
        it fired on 15% of error-free short zh-en segments and on 3% of major-error ones; at 1.0 on 0%
        and 0.5%. The seed's unrelated-sentence fault has margin 0.46.
    move_margin: the margin a link needs to count as a confident match when looking for moved and
        absorbed segments (alignment checks; the former ``margin`` default, unchanged behaviour).
    similarity: cross-lingual cosine below this is ``low_similarity`` (cosine, -1..1). 0.3 since issue
        14: at 0.5 it fired on 19% of error-free short zh-en segments and 3% of major-error ones.
    qe: length-adjusted ``qe`` (predicted MQM of a segment of average length) below this is ``low_qe``
        (evalkit/qe/MODEL_CARD.md: calibrated on held-out expert MQM).
    chrf: sentence chrF against the references below this is ``low_chrf`` (0..100).
    length_k: ``length_ratio`` fires outside median ± length_k robust deviations of log length ratio.
    repetition: an n-gram repeated this many times in a row is ``repetition``.
    member_margin: a member of a merge or split link whose own margin against the other side is
        below this (while another member's is above ``margin``) is ``unpaired``: the aligner absorbed
        a segment whose counterpart is missing. On the seed, absorbed bullets score 0.55-0.77 and
        members of real merges and splits 0.96-1.34 (tests/test_flags_seed.py).
    """

    margin: float = 1.0
    similarity: float = 0.3
    chrf: float = 35.0
    length_k: float = 4.0
    repetition: int = 3
    member_margin: float = 0.85
    move_margin: float = 1.15
    qe: float = -4.0

    def __post_init__(self) -> None:
        if not 0 <= self.chrf <= 100:
            raise ConfigError(f"threshold chrf={self.chrf} is outside 0..100", "give a chrF score such as chrf=20")
        if not -1 <= self.similarity <= 1:
            raise ConfigError(f"threshold similarity={self.similarity} is outside -1..1", "give a cosine such as 0.25")
        if self.length_k <= 0 or self.repetition < 2:
            raise ConfigError("threshold length_k must be > 0 and repetition >= 2", "see `evalkit score --help`")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def updated(self, values: dict[str, Any], origin: str) -> Thresholds:
        known = {f.name: f.type for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                raise ConfigError(
                    f"{origin}: unknown threshold {key!r}", f"use one of: {', '.join(sorted(known))}"
                )
            try:
                changes[key] = int(raw) if known[key] == "int" else float(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"{origin}: threshold {key}={raw!r} is not a number", f"e.g. {key}=1.02") from None
        return replace(self, **changes)


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``evalkit.toml`` (whole file) or ``pyproject.toml`` with ``[tool.evalkit]``, walking up."""
    for folder in [start, *start.parents]:
        for name in ("evalkit.toml", "pyproject.toml"):
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML ({exc})", "fix the file or remove it") from None
            if name == "pyproject.toml":
                if "evalkit" not in data.get("tool", {}):
                    continue
                data = data["tool"]["evalkit"]
            return path, data
    return None


def load_thresholds(overrides: list[str] | tuple[str, ...] = (), start: Path | None = None) -> tuple[Thresholds, str]:
    """Thresholds from defaults, the config file found from ``start``, then ``NAME=VALUE`` overrides.

    Returns the thresholds and a short description of where they came from.
    """
    thresholds = Thresholds()
    origin = "defaults"
    found = find_config(start or Path.cwd())
    if found:
        path, data = found
        section = data.get("thresholds", {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [thresholds] must be a table", "write e.g. [tool.evalkit.thresholds] margin = 1.02")
        if section:
            thresholds = thresholds.updated(section, str(path))
            origin = str(path)
    parsed: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--threshold {item!r} is not NAME=VALUE", "e.g. --threshold margin=1.02")
        parsed[key.strip()] = value.strip()
    if parsed:
        thresholds = thresholds.updated(parsed, "--threshold")
        origin += " + --threshold"
    return thresholds, origin
