#!/usr/bin/env bash
# Issue 7's GPU check: `evalkit score --engine ray` with a sentence-transformers model on a machine with a GPU.
# The embedding actors must ask Ray for the GPU and encode on it (engine.json's embedding_devices says what
# each actor got); the same run on the local engine gives the timing to compare with.
#
#   bash bench/device_ray_gpu.sh keep          copy what this call carried in .dev/ to /tmp/evalkit-keep
#   bash bench/device_ray_gpu.sh run [PAIRS]   assemble and install Ray from the kept parts, then measure
#
# A GPU machine lent for a few minutes takes at most 64 MiB a call and cannot reach PyPI; Ray's wheel is 79 MB,
# so it travels in two parts over two calls (`keep`), and the last call (`run`) joins them. Expects in the kept
# folder: minilm16/ (all-MiniLM-L6-v2, float16 weights), whl/ (jsonschema and its needs, defusedxml),
# wmt/ (WMT22 zh-en sources, references, system outputs), ray1/part-aa and ray2/part-ab (Ray's wheel, split).
set -uo pipefail
cd "$(dirname "$0")/.."
KEEP=/tmp/evalkit-keep
PY=${PYTHON:-python3}
OUTDIR=${OUT:-/tmp/evalkit-bench/ray-gpu}
mkdir -p "$KEEP" "$OUTDIR"
if [ "${1:-}" = keep ]; then
  cp -r .dev/. "$KEEP/"
  du -sh "$KEEP"/*
  exit 0
fi
[ "${1:-}" = run ] || { echo "usage: $0 keep | run [PAIRS]"; exit 2; }
PAIRS=${2:-20000}
if [ -z "${EVALKIT_RAY_INSTALLED:-}" ]; then  # set it where Ray is installed already (a dry run on a CPU machine)
  cat "$KEEP"/ray1/part-aa "$KEEP"/ray2/part-ab > /tmp/ray-2.60.0-cp312-cp312-manylinux2014_x86_64.whl || exit 2
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/evalkit-site \
    /tmp/ray-2.60.0-cp312-cp312-manylinux2014_x86_64.whl "$KEEP"/whl/*.whl || exit 2
fi
export PYTHONPATH="$PWD:/tmp/evalkit-site" PYTHONUNBUFFERED=1 EVALKIT_BENCH_DATA="$KEEP/wmt" HF_HUB_OFFLINE=1
$PY setup.py -q build_ext --inplace 2>&1 | tail -2
$PY - "$KEEP/minilm16" "$PAIRS" "$OUTDIR" <<'PYEOF'
import json, shutil, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, "bench")
from _common import iter_synthetic
from device_gpu import fp32_model

model, n, out = fp32_model(Path(sys.argv[1])), int(sys.argv[2]), Path(sys.argv[3])
data = Path("/tmp/ray-gpu-data"); data.mkdir(exist_ok=True)
files = [data / name for name in ("src.zh", "hyp.en", "ref.en")]
handles = [f.open("w", encoding="utf-8") for f in files]
for s, h, a, _ in iter_synthetic("zh-en", n):
    for fh, text in zip(handles, (s, h, a)):
        fh.write(text.replace("\n", " ") + "\n")
for fh in handles:
    fh.close()
smi = subprocess.Popen(["nvidia-smi" if shutil.which("nvidia-smi") else "true", "--query-gpu=timestamp,utilization.gpu,memory.used", "--format=csv,noheader", "-l", "1"],
                       stdout=(out / "nvidia-smi.csv").open("w"))
results = {}
for engine in ("ray", "local"):
    report = out / engine
    argv = [sys.executable, "-m", "evalkit.cli", "score", "--src", str(files[0]), "--tgt", str(files[1]), "--ref", str(files[2]),
            "-o", str(report), "--model", str(model), "--cache-dir", f"/tmp/cache-{engine}", "--bootstrap", "200",
            "--engine", engine, "-q"]
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t
    results[engine] = {"rc": proc.returncode, "wall_s": round(wall, 1), "stderr": proc.stderr[-1500:]}
    if (report / "engine.json").exists():
        results[engine]["engine"] = json.loads((report / "engine.json").read_text())
    if (report / "summary.json").exists():
        summary = json.loads((report / "summary.json").read_text())
        results[engine]["scores"] = {k: v["score"] for k, v in summary["scores"].items()}
        results[engine]["flagged"] = summary["counts"]["flagged"]
    print(json.dumps({engine: results[engine]}, default=str)[:4000], flush=True)
smi.terminate()
(out / "ray-gpu.json").write_text(json.dumps(results, indent=2, default=str))
PYEOF
rc=$?
echo "GPU utilisation samples: max $(cut -d, -f2 "$OUTDIR/nvidia-smi.csv" | tr -dc '0-9\n' | sort -n | tail -1)%"
exit $rc
