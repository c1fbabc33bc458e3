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
