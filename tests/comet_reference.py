"""Run by tests/test_neural_comet.py and tests/test_neural_xcomet.py with the Python of a separate virtualenv that
has unbabel-comet (numpy<2): score a JSON list of {"src", "mt"[, "ref"]} with
``comet.load_from_checkpoint(ckpt).predict`` and print the scores as JSON; with a fourth argument ``spans``, print
{"scores": [...], "error_spans": [...]} (XCOMET's ``metadata.error_spans``). Not collected by pytest (no test_
prefix); imports nothing from evalkit."""

import json
import sys

from comet import load_from_checkpoint

checkpoint, samples_file, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(samples_file, encoding="utf-8") as fh:
    samples = json.load(fh)
model = load_from_checkpoint(checkpoint)
out = model.predict(samples, batch_size=batch_size, gpus=0, progress_bar=False, num_workers=1)
if sys.argv[4:] == ["spans"]:
    print(json.dumps({"scores": [float(x) for x in out.scores], "error_spans": out.metadata.error_spans}))
else:
    print(json.dumps([float(x) for x in out.scores]))
