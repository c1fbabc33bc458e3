"""The gate's rules and test settings: defaults, then the ``[check]`` config section, then the options."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..metrics.base import metric_names
from ..config import find_config
from ..errors import ConfigError, UsageError
from ..stats import DEFAULT_SEED

__all__ = ["DEFAULT_RULES", "METRICS", "CheckSettings", "Rule", "load_settings"]

METRICS = metric_names()  # a snapshot of the registry; rules are checked against the registry as it is
RuleKind = Literal["max_drop", "min", "max"]
# Used when neither options nor the config name a rule for a metric (reference metrics only with references).
DEFAULT_RULES: dict[tuple[str, RuleKind], float] = {
    ("chrf", "max_drop"): 0.5, ("bleu", "max_drop"): 1.0, ("similarity", "max_drop"): 0.01, ("flag_rate", "max_drop"): 2.0,
}
CumulativeKind = Literal["max_cumulative_drop"]  # the drop since the run history's first run: evalkit.gate.drift
_CONFIG_KEYS = {"alpha", "paired", "samples", "top", "max_drop", "min", "max", "max_cumulative_drop"}
_KINDS: tuple[RuleKind | CumulativeKind, ...] = ("max_drop", "min", "max", "max_cumulative_drop")


@dataclass(frozen=True)
class Rule:
    """One rule on one metric. ``value`` in the metric's units (flag_rate in percentage points)."""

    metric: str
    kind: RuleKind | CumulativeKind
    value: float
    origin: str = "default"

    def __post_init__(self) -> None:
        if self.metric not in metric_names():
            raise ConfigError(f"{self.origin}: unknown metric {self.metric!r} in a check rule", f"use one of: {', '.join(metric_names())}")
        if not math.isfinite(self.value) or (self.kind == "max_drop" and self.value < 0):
            raise ConfigError(f"{self.origin}: {self.kind} {self.metric}={self.value} is not a finite value >= 0", "e.g. chrf=1.0")
        if self.kind == "max_cumulative_drop" and self.value < 0:
            raise ConfigError(f"{self.origin}: {self.kind} {self.metric}={self.value} is not >= 0", "e.g. chrf=2.0")

    def __str__(self) -> str:
        op = {"max_drop": "max drop", "min": "min", "max": "max", "max_cumulative_drop": "max cumulative drop"}[self.kind]
        return f"{self.metric} {op} {self.value:g}"


@dataclass(frozen=True)
class CheckSettings:
    """Rules and test settings: ``alpha`` 0-1, ``method`` bs (paired bootstrap) or ar (approximate
    randomization), ``n_samples`` (None: 1000 for bs, 10000 for ar), ``top`` segments to name."""

    rules: tuple[Rule, ...]
    alpha: float = 0.05
    method: Literal["bs", "ar"] = "bs"
    n_samples: int | None = None
    seed: int = DEFAULT_SEED
    top: int = 10
    origin: str = "defaults"

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha={self.alpha} must be between 0 and 1", "e.g. --alpha 0.05")
        if self.method not in ("bs", "ar"):
            raise ConfigError(f"unknown paired test {self.method!r}", "use bs or ar")
        counts_ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (self.top, self.n_samples or 1, self.seed))
        if not counts_ok or self.top < 0 or (self.n_samples is not None and self.n_samples < 1):
            raise ConfigError(f"top={self.top!r} must be an integer >= 0, samples={self.n_samples!r} >= 1", "e.g. top = 10, samples = 1000")


def _parse_pairs(items: Sequence[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r} is not METRIC=VALUE", f"e.g. {option} chrf=1.0")
        out[key.strip()] = value.strip()
    return out


def _number(value: Any, where: str) -> float | None:
    if isinstance(value, str) and value.lower() == "off":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not a number", "give a number, or 'off' to drop the rule") from None


def load_settings(
    max_drop: Sequence[str] | Mapping[str, Any] = (),
    minimum: Sequence[str] | Mapping[str, Any] = (),
    maximum: Sequence[str] | Mapping[str, Any] = (),
    overrides: Mapping[str, Any] | None = None,
    start: Path | None = None,
    cumulative: Sequence[str] = (),
) -> CheckSettings:
    """Settings from `DEFAULT_RULES`, then ``[check]`` of evalkit.toml / ``[tool.evalkit.check]`` of
    pyproject.toml (found from ``start``), then the options (``METRIC=VALUE``, or a mapping metric -> value; ``off`` drops a rule).

    ``overrides`` holds option values that replace the config's (alpha, method, n_samples, seed, top).
    """
    rules: dict[tuple[str, str], Rule | None] = {k: Rule(k[0], k[1], v) for k, v in DEFAULT_RULES.items()}
    values: dict[str, Any] = {}
    origin = "defaults"
    found = find_config(start or Path.cwd())
    if found and isinstance(found[1].get("check"), dict):
        path, section = found[0], found[1]["check"]
        unknown = set(section) - _CONFIG_KEYS
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [check]", f"use: {', '.join(sorted(_CONFIG_KEYS))}")
        for kind in _KINDS:
            table = section.get(kind, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [check.{kind}] must be a table", f"write e.g. [check.{kind}] chrf = 1.0")
            for metric, raw in table.items():
                number = _number(raw, f"{path} [check.{kind}] {metric}")
                rules[(metric, kind)] = None if number is None else Rule(metric, kind, number, str(path))
        values = {"alpha": section.get("alpha"), "method": section.get("paired"), "n_samples": section.get("samples"), "top": section.get("top")}
        origin = str(path)
    for kind, items in (("max_drop", max_drop), ("min", minimum), ("max", maximum), ("max_cumulative_drop", cumulative)):
        option = "--" + kind.replace("_", "-")
        if isinstance(items, Mapping):  # the Python API's keywords: evalkit.check(..., max_drop={"chrf": 0.5})
            option, pairs = f"{kind}=", {str(k): v for k, v in items.items()}
        else:
            pairs = _parse_pairs(items, option)
        for metric, raw in pairs.items():
            number = _number(raw, f"{option} {metric}")
            rules[(metric, kind)] = None if number is None else Rule(metric, kind, number, option)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    kept = tuple(r for r in rules.values() if r is not None)
    try:
        return CheckSettings(kept, **{k: v for k, v in values.items() if v is not None}, origin=origin)
    except TypeError as exc:
        raise ConfigError(f"{origin}: bad [check] value ({exc})", "see `evalkit check --help`") from None
