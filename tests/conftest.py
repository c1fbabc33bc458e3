"""Shared fixtures: paths to the repo's data and to ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt"
SEED_REF = ROOT / "references" / "xi-putin-defense-ties.ref.en.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (present in CI); tests using it skip in a user's clone."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (real WMT/Bible data is only beside the project's CI checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole session, so the bundled model encodes each text once."""
    return tmp_path_factory.mktemp("embedding-cache")


def read_lines(path: Path, n: int | None = None) -> list[str]:
    """The first ``n`` lines (all when None) of a UTF-8 file, newlines removed, nothing else touched."""
    with path.open(encoding="utf-8", newline="\n") as f:
        lines = [line.rstrip("\n") for _, line in zip(range(n) if n else iter(int, 1), f)]
    return lines


def wmt22_system(pair: str, system: str, n: int | None = None) -> tuple[list[str], list[list[str]]]:
    """The first ``n`` outputs of a WMT22 system and reference streams A and B (skips without shared data)."""
    wmt22 = SHARED_DATA / "wmt22-general-zh-en"
    if not wmt22.exists():
        pytest.skip(f"{wmt22} absent (../shared/data not checked out)")
    tgt = pair.split("-")[1]
    hyps = read_lines(wmt22 / "system-outputs" / pair / f"generaltest2022.{pair}.hyp.{system}.{tgt}", n)
    refs = [read_lines(wmt22 / "references" / f"generaltest2022.{pair}.ref.{r}.{tgt}", n) for r in "AB"]
    return hyps, refs
