"""Typed errors. The library raises these; `evalkit.cli` turns them into one-line messages.

Every message says where (``path:line``), what (expected vs found) and how to fix it.
Exit codes: 2 for bad input or usage (`InputError`, `UsageError`, `ModelError`).
Every error survives ``pickle`` and ``copy`` with all its fields (it may cross a process boundary).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "EvalkitError", "InputError", "ModelError", "UsageError"]


class EvalkitError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, what: str, fix: str | None = None) -> None:
        self.what = what
        self.fix = fix
        super().__init__(self.message)

    @property
    def where(self) -> str:
        return ""

    @property
    def message(self) -> str:
        where = self.where
        text = f"{where}: {self.what}" if where else self.what
        return f"{text} ({self.fix})" if self.fix else text

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own __reduce__ rebuilds with cls(*self.args), and args is only the message: a
        # subclass's signature (InputError's path, its keyword-only line...) cannot take it back. So
        # rebuild from the fields, without __init__ (a subclass may have any signature).
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(cls: type[EvalkitError], args: tuple[Any, ...], state: dict[str, Any]) -> EvalkitError:
    """The error that `EvalkitError.__reduce__` took apart: same class, fields, args and message."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class InputError(EvalkitError):
    """An input file is unreadable or malformed. ``line`` is 1-based, ``byte_offset`` 0-based in the file."""

    def __init__(
        self,
        path: str | Path | None,
        what: str,
        fix: str | None = None,
        *,
        line: int | None = None,
        byte_offset: int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.byte_offset = byte_offset
        super().__init__(what, fix)

    @property
    def where(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
        where = ":".join(parts)
        if self.byte_offset is not None:
            where += f" (byte {self.byte_offset})"
        return where


class UsageError(EvalkitError):
    """Options that do not fit together, or a bad option value."""


class ConfigError(EvalkitError):
    """A bad value in ``evalkit.toml`` / ``[tool.evalkit]`` or a ``--threshold``."""


class ModelError(EvalkitError):
    """An embedding model cannot be loaded (missing package, not in the local cache, no network)."""
