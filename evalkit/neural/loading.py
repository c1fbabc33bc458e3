"""Model folders, checkpoint hashes, devices, and the errors when something is missing (all fail in seconds).

A model is a local folder or a Hugging Face hub id. A hub id is looked up with ``huggingface_hub`` (which
honours ``HF_HUB_OFFLINE=1``: then only the local cache is read); a model that is not there is a
`ModelError` (exit 2) that says how to get it, never a download attempt that hangs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from ..errors import ModelError, UsageError

__all__ = ["INSTALL", "checkpoint_hash", "need_extra", "parse_bool", "parse_int", "pick_device", "resolve_model"]

INSTALL = "pip install 'evalkit[neural]' (torch==2.13.0 first, then transformers)"


def need_extra(metric: str) -> None:
    """A `ModelError` naming the install command when torch or transformers is not installed."""
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(f"--metric {metric} needs {' and '.join(missing)}, which is not installed", INSTALL)


def parse_int(metric: str, key: str, value: str | int, lowest: int = 1) -> int:
    try:
        out = int(value)
    except ValueError:
        raise UsageError(f"--metric {metric}: {key}={value!r} is not a whole number", f"e.g. {key}=16") from None
    if out < lowest:
        raise UsageError(f"--metric {metric}: {key}={out} is below {lowest}", f"give {key} >= {lowest}")
    return out


def parse_bool(metric: str, key: str, value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.lower() in ("yes", "true", "1"):
        return True
    if value.lower() in ("no", "false", "0"):
        return False
    raise UsageError(f"--metric {metric}: {key}={value!r} is not yes or no", f"write {key}=yes or {key}=no")


_COMET_FILES = ("*.yaml", "*.json", "checkpoints/*", "*.model")


def resolve_model(metric: str, model: str, needed: tuple[str, ...], *, patterns: tuple[str, ...] = _COMET_FILES,
                  what: str = "an unbabel-comet checkpoint") -> Path:  # fmt: skip
    """The folder of ``model`` (a path, or a hub id in the local Hugging Face cache or downloaded when online),
    checked to hold the ``needed`` files; a one-line `ModelError` otherwise. ``patterns``: the files of a hub
    repository fetched (an unbabel-comet checkpoint's by default); ``what``: the kind of folder, for the messages."""
    path = Path(model).expanduser()
    if path.is_dir():
        folder = path
    elif path.exists() or model.startswith((".", "/", "~")):
        raise ModelError(f"--metric {metric}: model folder {model} not found", f"give the folder of {what}")
    else:
        try:
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(model, allow_patterns=list(patterns)))
        except Exception as exc:  # offline and not cached, unknown id, gated model, no network
            offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
            how = (f"huggingface-cli download {model} on a machine with network (HF_HUB_OFFLINE=1 reads only the cache), "
                   f"or model=/path/to/folder")
            why = "not in the local Hugging Face cache" if offline else type(exc).__name__
            raise ModelError(f"--metric {metric}: model {model} is not available ({why})", how) from None
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"--metric {metric}: {folder} lacks {', '.join(missing)}", f"give the folder of {what}")
    return folder


def checkpoint_hash(path: Path, cache_dir: Path | None = None) -> str:
    """SHA-256 of a checkpoint file (first 16 hex digits), remembered by path, size and mtime so a 2 GB file
    is read once."""
    from ..embed.cache import default_cache_dir

    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo = (cache_dir or default_cache_dir()) / "checkpoint-hashes.json"
    known: dict[str, Any] = {}
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if isinstance(known.get(key), str):
        return str(known[key])
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    value = digest.hexdigest()[:16]
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        known[key] = value
        tmp = memo.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=0), encoding="utf-8")
        tmp.replace(memo)
    except OSError:
        pass
    return value


def pick_device(metric: str, device: str) -> str:
    """``auto``: the first GPU when torch sees one, else the CPU; ``cpu``/``cuda``/``cuda:N`` as given."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--metric {metric}: device={device} but torch sees no GPU", "use device=cpu or device=auto")
    if device != "cpu" and not device.startswith("cuda"):
        raise UsageError(f"--metric {metric}: unknown device {device!r}", "use auto, cpu, cuda or cuda:N")
    return device
