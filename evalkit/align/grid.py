"""Similarities over the cells of a band, computed block by block.

A band (see `dp.Band`) is stored row by row: entry ``[i, c]`` is cell ``(i, lo[i] + c)``.
Row vectors ``x[i]`` and column vectors ``y[j]`` are indexed like DP cells, so ``x[i]`` is the
text that *ends* at row ``i`` (a segment, or a joined run of segments) and row 0 is unused.
Blocks of rows meet one contiguous slice of columns, so each block is a single matrix product.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["band_blocks", "band_dot", "run_sums", "shift_rows", "top_mean", "transpose"]

_BLOCK = 256  # most rows per matrix product


def band_dot(
    x: np.ndarray, x_ok: np.ndarray, y: np.ndarray, y_ok: np.ndarray, lo: np.ndarray, hi: np.ndarray, shift: int = 0
) -> np.ndarray:
    """``out[i, c] = x[i] . y[lo[i] + c + shift]`` (cosine for unit rows), NaN where undefined.

    Undefined: outside row ``i``'s band, a column index out of ``y``, or a row of ``x`` or ``y``
    whose ``*_ok`` flag is False (a text that was not embedded). float32, shape ``(len(lo), width)``.
    """
    out = np.full((len(lo), int((hi - lo).max()) + 1), np.nan, dtype=np.float32)
    for r0, r1, values in band_blocks(x, x_ok, y, y_ok, lo, hi, shift):
        out[r0:r1] = values
    return out


def band_blocks(
    x: np.ndarray, x_ok: np.ndarray, y: np.ndarray, y_ok: np.ndarray, lo: np.ndarray, hi: np.ndarray, shift: int = 0
) -> Iterator[tuple[int, int, np.ndarray]]:
    """`band_dot` one block of rows at a time: ``(r0, r1, out[r0:r1])``, so memory stays small."""
    rows = len(lo)
    width = int((hi - lo).max()) + 1
    offsets = np.arange(width)
    # Rows per block: enough for one matrix product to pay, few enough that a block's columns
    # (a slanted strip of the band) are not mostly outside it.
    slope = max(float(hi[-1] - lo[0]) / max(rows, 1), 1e-3)
    step = int(np.clip(8 * width / slope, 32, _BLOCK))
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        c0 = max(0, int(lo[r0:r1].min()) + shift)
        c1 = min(len(y) - 1, int(hi[r0:r1].max()) + shift)
        if c1 < c0:
            yield r0, r1, np.full((r1 - r0, width), np.nan, dtype=np.float32)
            continue
        prod = x[r0:r1] @ y[c0 : c1 + 1].T
        idx = (lo[r0:r1] + shift - c0)[:, None] + offsets[None, :]
        inside = (offsets[None, :] <= (hi - lo)[r0:r1, None]) & (idx >= 0) & (idx <= c1 - c0)
        idx = np.clip(idx, 0, c1 - c0)
        inside &= x_ok[r0:r1, None] & y_ok[c0 : c1 + 1][idx]
        yield r0, r1, np.where(inside, np.take_along_axis(prod, idx, axis=1), np.nan).astype(np.float32)


def top_mean(values: np.ndarray, k: int) -> np.ndarray:
    """Mean of the ``k`` largest defined entries of each row (fewer if fewer are defined; 0 if none).

    The neighbourhood term of the ratio margin (Artetxe & Schwenk 2019, "Margin-based parallel
    corpus mining with multilingual sentence embeddings", k = 4).
    """
    filled = np.where(np.isnan(values), -np.inf, values)
    k = max(1, min(k, filled.shape[1]))
    top = -np.partition(-filled, k - 1, axis=1)[:, :k]
    defined = np.isfinite(top)
    count = defined.sum(axis=1)
    total = np.where(defined, top, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.zeros(len(total)), where=count > 0)


def transpose(lo: np.ndarray, hi: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The same band seen from the columns: for column ``j``, the rows ``lo_t[j] .. hi_t[j]`` that hold it.

    ``lo`` and ``hi`` must be non-decreasing (every band built by the aligner is).
    """
    cols = np.arange(n_cols + 1)
    first = np.searchsorted(hi, cols, side="left")
    last = np.searchsorted(lo, cols, side="right") - 1
    return first, np.maximum(last, first)


def shift_rows(x: np.ndarray, ok: np.ndarray, by: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` moved so that row ``i`` holds old row ``i + by`` (missing rows zero and not ok)."""
    out = np.zeros_like(x)
    out_ok = np.zeros(len(x), dtype=bool)
    src = np.arange(len(x)) + by
    valid = (src >= 0) & (src < len(x))
    out[valid] = x[src[valid]]
    out_ok[valid] = ok[src[valid]]
    return out, out_ok


def run_sums(single: np.ndarray, size: int) -> np.ndarray:
    """Unit-length sums of ``size`` consecutive rows: row ``i`` sums rows ``i - size + 1 .. i``.

    ``single`` is indexed like DP cells (row 0 unused), so row ``i`` of the result stands for the
    run of segments ending at ``i``. A cheap stand-in for the embedding of the joined text
    (cosine about 0.9 with it for USE v3), used only to choose which joined texts to embed.
    """
    total = np.concatenate([np.zeros((1, single.shape[1])), np.cumsum(single, axis=0, dtype=np.float64)])
    out = np.zeros(single.shape, dtype=np.float64)
    if size >= len(single):
        return out.astype(np.float32)
    out[size:] = total[size + 1 :] - total[1 : len(single) + 1 - size]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (out / norms).astype(np.float32)
