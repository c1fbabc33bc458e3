"""What the Ray test modules share: a local cluster per module, with failures injected on purpose, and slices
of the WMT22 files. Imported by tests/test_ray_*.py after their ``pytest.importorskip("ray")``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

from evalkit.engine.ray_workers import FAIL_ONCE_ENV


def cluster_fixtures(stages: tuple[str, ...] = (), failing_row: int = 0, **resources: Any) -> tuple[Any, Any]:
    """Module-scoped fixtures ``markers`` and ``cluster``, to assign to those names in a test module.

    ``cluster`` is a local Ray cluster (2 CPUs, and ``resources`` such as ``num_gpus=1``) started for the
    module and shut down after it; the tasks of ``stages`` whose rows start at ``failing_row`` fail on
    their first attempt (``EVALKIT_RAY_FAIL_ONCE``, see evalkit.engine.ray_workers), and ``markers``
    holds each stage's marker file, which exists once that failure happened."""

    @pytest.fixture(scope="module")
    def markers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
        folder = tmp_path_factory.mktemp("fail-once")
        return {stage: folder / f"{stage}.failed" for stage in stages}

    @pytest.fixture(scope="module")
    def cluster(markers: dict[str, Path]) -> Iterator[None]:
        spec = ",".join(f"{stage}:{failing_row}:{path}" for stage, path in markers.items())
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False,
                 runtime_env={"env_vars": {FAIL_ONCE_ENV: spec}}, **resources)  # fmt: skip
        yield
        ray.shutdown()

    return markers, cluster


def slice_lines(path: Path, out: Path, first: int, last: int) -> Path:
    """Lines ``first`` to ``last - 1`` (0-based) of a UTF-8 file, written to ``out`` as they are."""
    lines = path.read_text(encoding="utf-8").split("\n")[first:last]
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return out
