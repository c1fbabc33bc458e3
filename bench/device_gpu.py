"""GPU check (issue 6, goal 4 and 6): evalkit's sentence-transformers backend on a lent GPU.

1. The encoder (`evalkit.embed.st.SentenceTransformerEncoder`) on cuda: where the weights are, sentences/s on
   10,000 real English sentences (WMT22 references) at two batch sizes, the same on CPU for 1,000, and the
   agreement of the cuda and CPU vectors (cosine of each sentence's two vectors).
2. The streaming scorer (`evalkit.stream`, as in bench/bench_stream.py) with that model on the GPU over
   10k, 100k and 1M synthetic zh-en pairs (BLEU, chrF, embeddings, checks, flags; no cache), each in a fresh
   process: ms per pair, peak memory (host RSS), chunk times. 1M is skipped when the 100k rate says it
   would not finish before ``--deadline`` seconds.

    python bench/device_gpu.py --model MODEL_DIR [--deadline 420] [--sizes 10000,100000,1000000] [--out DIR]

``MODEL_DIR`` may hold ``model.fp16.safetensors`` instead of ``model.safetensors`` (half the bytes to carry
to the GPU machine): the weights are turned back into float32 first, so the model is the published one.
``bench/device_check.sh`` is the one command to run there. Prints one JSON line per measure and a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TMP, run_task, wmt  # noqa: E402

T0 = time.time()


def emit(out: Path, record: dict) -> None:
    line = json.dumps(record, ensure_ascii=False)
    print(line, flush=True)
    with (out / "device.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def fp32_model(folder: Path) -> Path:
    """The model folder with float32 weights (rebuilt in /tmp from model.fp16.safetensors when needed)."""
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from safetensors.torch import load_file, save_file

    target = Path("/tmp/evalkit-model-fp32")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("model.fp16.safetensors"))
    weights = load_file(str(folder / "model.fp16.safetensors"))
    save_file({k: (v.to(torch.float32) if v.is_floating_point() else v).contiguous() for k, v in weights.items()},
              str(target / "model.safetensors"), metadata={"format": "pt"})
    return target


def encoder_check(model: Path, out: Path, device: str, n: int) -> None:
    import numpy as np
    import torch

    from evalkit.embed.st import SentenceTransformerEncoder

    _, _, refs = wmt("zh-en")
    pool = [t for t in refs[0] + refs[1] if t.strip()]
    texts = [pool[i % len(pool)] + ("" if i < len(pool) else f" ({i // len(pool)})") for i in range(n)]
    vectors = {}
    for dev, count, batches in ((device, n, (64, 256)), ("cpu", min(1000, n), (64,))):
        if dev == "cuda" and not torch.cuda.is_available():
            emit(out, {"step": "encoder", "device": "cuda", "error": "cuda not available: the GPU is NOT used"})
            continue
        for batch in batches:
            enc = SentenceTransformerEncoder(str(model), device=dev, batch_size=batch)
            enc.encode(texts[:batch])  # warm-up: kernels, allocator
            if dev == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            vec = enc.encode(texts[:count])
            if dev == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t
            vectors[dev] = vec
            emit(out, {"step": "encoder", "device": dev, "batch_size": batch, "weights_on": str(next(enc._model.parameters()).device),
                       "encoder_device": enc.device, "sentences": count, "seconds": round(dt, 3),
                       "sentences_per_s": round(count / dt), "dim": int(vec.shape[1]),
                       "unit_norm": bool(np.allclose(np.linalg.norm(vec, axis=1), 1, atol=1e-5))})
    if "cuda" in vectors and "cpu" in vectors:
        m = len(vectors["cpu"])
        cos = (vectors["cuda"][:m] * vectors["cpu"]).sum(axis=1)
        emit(out, {"step": "agreement", "sentences": m, "min_cosine_cuda_vs_cpu": float(cos.min()),
                   "mean_cosine": float(cos.mean())})


def stream_curve(model: Path, out: Path, sizes: list[int], deadline: float) -> None:
    per_pair = None
    for n in sizes:
        left = deadline - (time.time() - T0)
        if per_pair is not None and per_pair * n * 1.3 + 30 > left:
            emit(out, {"step": "stream", "pairs": n, "skipped": f"projected {per_pair * n:.0f} s > {left:.0f} s left"})
            continue
        r = run_task("stream", n=n, embed=True, model=str(model), use_cache=False, out=str(TMP / f"gpu-stream-{n}"),
                     timeout=max(60, left))
        per_pair = r["wall_s"] / n
        emit(out, {"step": "stream", "pairs": n, "ms_per_pair": round(per_pair * 1e3, 4), "wall_s": round(r["wall_s"], 1),
                   "cpu_s": round(r["cpu_s"], 1), "peak_mb": round(r["peak_mb"]), "chunk_s_median": r["chunk_s_median"],
                   "chunk_s_first": r["chunk_s_first"], "chunk_s_last": r["chunk_s_last"], "scores": r["scores"]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--deadline", type=float, default=420, help="seconds from start: later streaming sizes are skipped")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or TMP / "device"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    import sacrebleu
    import sentence_transformers
    import torch

    emit(a.out, {"step": "machine", "python": sys.version.split()[0], "torch": torch.__version__,
                 "cuda": torch.cuda.is_available(),
                 "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
                 "sentence_transformers": sentence_transformers.__version__, "sacrebleu": sacrebleu.__version__,
                 "cpus": os.cpu_count(), "kernel": __import__("evalkit.metrics.fast", fromlist=["x"]).kernel() is not None})
    model = fp32_model(a.model)
    for step, fn in (("encoder", lambda: encoder_check(model, a.out, a.device, a.sentences)),
                     ("stream", lambda: stream_curve(model, a.out, [int(x) for x in a.sizes.split(",")], a.deadline))):
        try:
            fn()
        except Exception as exc:  # report and go on: one lease, every figure we can get
            emit(a.out, {"step": step, "error": f"{type(exc).__name__}: {exc}"[:3000]})
    emit(a.out, {"step": "done", "seconds": round(time.time() - T0, 1)})


if __name__ == "__main__":
    main()
