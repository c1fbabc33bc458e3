"""Thresholds: defaults, config files, --threshold overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.config import Thresholds, load_thresholds
from evalkit.errors import ConfigError


def test_defaults_when_no_config(tmp_path: Path) -> None:
    th, origin = load_thresholds((), start=tmp_path)
    assert th == Thresholds()
    assert origin == "defaults"


def test_override_on_command_line(tmp_path: Path) -> None:
    th, origin = load_thresholds(("margin=1.02", "repetition=4"), start=tmp_path)
    assert th.margin == 1.02 and th.repetition == 4
    assert origin.endswith("--threshold")


def test_pyproject_section_then_override(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.thresholds]\nmargin = 1.1\nchrf = 30\n", encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    th, origin = load_thresholds(("chrf=25",), start=sub)
    assert (th.margin, th.chrf) == (1.1, 25.0)
    assert "pyproject.toml" in origin


def test_evalkit_toml_wins_over_pyproject_in_same_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.thresholds]\nmargin = 1.1\n", encoding="utf-8")
    (tmp_path / "evalkit.toml").write_text("[thresholds]\nmargin = 0.99\n", encoding="utf-8")
    th, _ = load_thresholds((), start=tmp_path)
    assert th.margin == 0.99


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("margn=1.0", "unknown threshold 'margn'"),
        ("margin", "is not NAME=VALUE"),
        ("margin=abc", "is not a number"),
        ("chrf=120", "outside 0..100"),
    ],
)
def test_bad_overrides_are_one_line_errors(tmp_path: Path, override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_thresholds((override,), start=tmp_path)
    assert "\n" not in str(info.value)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "evalkit.toml").write_text("[thresholds\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="evalkit.toml: not valid TOML"):
        load_thresholds((), start=tmp_path)
