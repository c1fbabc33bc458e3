"""Writing proposed thresholds into the config file evalkit reads, keeping the rest of the file as it is."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

from ..config import Thresholds
from ..errors import ConfigError, UsageError

__all__ = ["config_path_for", "write_thresholds"]


def config_path_for(start: Path) -> Path:
    """The file `write_thresholds` should update: the config `evalkit.config.find_config` reads, else
    ``evalkit.toml`` in ``start``."""
    from ..config import find_config

    found = find_config(start)
    return found[0] if found else start / "evalkit.toml"


def _toml_value(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def write_thresholds(thresholds: Thresholds, config_path: Path, keys: Iterable[str] | None = None) -> None:
    """Write ``keys`` (default: every threshold) into ``[tool.evalkit.thresholds]`` of a pyproject.toml,
    or ``[thresholds]`` of any other file (evalkit.toml, created if missing), keeping the rest of the
    file as it is (other keys, comments, line endings). Written atomically after re-reading it."""
    from ..report.files import atomic_write

    path = Path(config_path)
    pyproject = path.name == "pyproject.toml"
    table = ("tool", "evalkit", "thresholds") if pyproject else ("thresholds",)
    names = [f.name for f in fields(Thresholds)]
    wanted = list(keys) if keys is not None else names
    bad = [k for k in wanted if k not in names]
    if bad:
        raise UsageError(f"unknown threshold {bad[0]!r}", f"use one of: {', '.join(names)}")
    values = {k: getattr(thresholds, k) for k in wanted}
    if not path.exists() and pyproject:
        raise ConfigError(f"{path}: no such file", "give an existing pyproject.toml, or an evalkit.toml to create")
    try:
        text = path.read_bytes().decode("utf-8-sig") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})", "save it as UTF-8") from None
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(table) + r"\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        data = tomllib.loads(text) if text else {}
        for part in table[:-1]:
            data = data.get(part, {})
        if "thresholds" in data:
            raise ConfigError(f"{path}: thresholds are set inline, not as a [{'.'.join(table)}] table",
                              "move them into that table, or edit the file by hand")  # fmt: skip
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ([""] if lines else []) + [f"[{'.'.join(table)}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].lstrip().startswith("[")), len(lines))
        last = start
        for j in range(start + 1, end):
            m = re.match(r"^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)([^#]*?)(\s*#.*)?$", lines[j])
            if lines[j].strip():
                last = j
            if m and m.group(2) in values:
                lines[j] = f"{m.group(1)}{m.group(2)}{m.group(3)}{_toml_value(values.pop(m.group(2)))}{m.group(5) or ''}"
        lines[last + 1 : last + 1] = [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    new = newline.join(lines) + newline
    try:
        check = tomllib.loads(new)
        for part in table:
            check = check[part]
        for k in wanted:
            if check[k] != getattr(thresholds, k):
                raise KeyError(k)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: could not update the thresholds safely ({exc})", "edit the file by hand") from None
    atomic_write(path, new)
