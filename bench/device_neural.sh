#!/usr/bin/env bash
# Neural metrics on a GPU machine (issue 16), where the real checkpoints are at hand: segments/s of each adapter
# on cuda and, for comparison, on the CPU. Give the checkpoint folders in the environment; a metric whose folder
# is not given is reported as not measured (the tiny models of bench/bench_{comet,xcomet,metricx}.py run instead).
#   COMET_DIR=/models/wmt22-comet-da KIWI_DIR=/models/wmt22-cometkiwi-da XCOMET_DIR=/models/XCOMET-XL \
#   METRICX_DIR=/models/metricx-24-hybrid-large-v2p6 MT5_TOKENIZER=/models/mt5-xl bash bench/device_neural.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi: no GPU here"
for device in cuda cpu; do
  if [[ -n "${COMET_DIR:-}" && -n "${KIWI_DIR:-}" ]]; then
    $PY bench/bench_comet.py --device "$device" --comet "$COMET_DIR" --cometkiwi "$KIWI_DIR" --segments 1000
  else echo "comet/cometkiwi on $device: not measured (COMET_DIR and KIWI_DIR not given)"; fi
  if [[ -n "${XCOMET_DIR:-}" ]]; then
    $PY bench/bench_xcomet.py --device "$device" --model "$XCOMET_DIR" --segments 1000
  else echo "xcomet on $device: not measured (XCOMET_DIR not given)"; fi
  if [[ -n "${METRICX_DIR:-}" ]]; then
    $PY bench/bench_metricx.py --device "$device" --model "$METRICX_DIR" ${MT5_TOKENIZER:+--tokenizer "$MT5_TOKENIZER"} --check 0
  else echo "metricx on $device: not measured (METRICX_DIR not given)"; fi
done
