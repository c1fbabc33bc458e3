"""Moved and swapped segments: what a monotonic aligner cannot link, found afterwards.

A monotonic aligner (Bertalign, Vecalign, ours) links two swapped bullets as one 2-2 group, and a
bullet moved far away as a 1-0 link plus a 0-1 link. Here the individual segments of such links
are compared by ratio margin: a source segment whose best match is a target segment other than
its place in the group (or an unpaired target) is reported as ``moved``, with the values.
"""

from __future__ import annotations

import numpy as np

from ..metrics.embedding import cosines, knn_mean
from ..records import Alignment, Flag

__all__ = ["find_absorbed", "find_moves"]


def find_moves(
    alignment: Alignment, src_vec: np.ndarray, tgt_vec: np.ndarray, threshold: float, k: int = 4
) -> dict[int, Flag]:
    """``moved`` flags keyed by link position.

    ``src_vec``/``tgt_vec`` hold one unit vector per segment of each side. A source segment counts
    as moved when its best target among the candidates (segments of unpaired links and of groups
    with two or more segments on both sides) has a ratio margin >= ``threshold``, while its own
    place (the target at the same rank in its group, or none when unpaired) scores below it.
    """
    cand_links = [i for i, l in enumerate(alignment.links) if not l.paired or (len(l.src) > 1 and len(l.tgt) > 1)]
    src_ids = [s for i in cand_links for s in alignment.links[i].src]
    tgt_ids = [t for i in cand_links for t in alignment.links[i].tgt]
    if not src_ids or not tgt_ids:
        return {}
    s, t = src_vec[src_ids], tgt_vec[tgt_ids]
    denom = knn_mean(s, tgt_vec, k)[:, None] / 2 + knn_mean(t, src_vec, k)[None, :] / 2
    margin = cosines(s, t) / np.where(np.abs(denom) > 1e-9, denom, np.inf)
    link_of_src = {sid: i for i in cand_links for sid in alignment.links[i].src}
    link_of_tgt = {tid: i for i in cand_links for tid in alignment.links[i].tgt}
    flags: dict[int, Flag] = {}
    for row, sid in enumerate(src_ids):
        link = alignment.links[link_of_src[sid]]
        rank = link.src.index(sid)
        own = link.tgt[rank] if rank < len(link.tgt) else None
        col = int(np.argmax(margin[row]))
        best, best_tid = float(margin[row, col]), tgt_ids[col]
        own_margin = float(margin[row, tgt_ids.index(own)]) if own is not None else None
        if best_tid == own or best < threshold or (own_margin is not None and own_margin >= threshold):
            continue
        where = "in the same group" if link_of_tgt[best_tid] == link_of_src[sid] else "elsewhere"
        detail = f"moved: source {sid} matches target {best_tid} {where} (margin {best:.2f} >= {threshold:g})"
        for i in {link_of_src[sid], link_of_tgt[best_tid]}:
            flags.setdefault(i, Flag("moved", detail, best, threshold))
    return flags


def find_absorbed(
    alignment: Alignment,
    src_vec: np.ndarray,
    tgt_vec: np.ndarray,
    link_src: np.ndarray,
    link_tgt: np.ndarray,
    paired: list[int],
    threshold: float,
    member_threshold: float,
    k: int = 4,
) -> dict[int, Flag]:
    """``unpaired`` flags for a segment a merge or split link has absorbed.

    A monotonic aligner may join a segment whose counterpart is missing to a neighbouring link
    (2-1 instead of 1-1 + 1-0): the joined text still contains the true translation, so its margin
    looks fine. Each member of a many-to-one link is compared alone with the other side's text;
    a member below ``member_threshold`` beside one at or above ``threshold`` is reported as having
    no counterpart (members of real merges and splits each carry part of the meaning and stay higher).
    ``link_src``/``link_tgt`` hold the vectors of the links listed in ``paired`` (joined texts).
    """
    flags: dict[int, Flag] = {}
    for row, i in enumerate(paired):
        link = alignment.links[i]
        if len(link.src) > 1 and len(link.tgt) == 1:
            members, pool, other, other_pool, side = src_vec[list(link.src)], tgt_vec, link_tgt[row : row + 1], src_vec, "source"
            ids = link.src
        elif len(link.tgt) > 1 and len(link.src) == 1:
            members, pool, other, other_pool, side = tgt_vec[list(link.tgt)], src_vec, link_src[row : row + 1], tgt_vec, "target"
            ids = link.tgt
        else:
            continue
        denom = knn_mean(members, pool, k) / 2 + knn_mean(other, other_pool, k)[0] / 2
        margins = cosines(members, other)[:, 0] / np.where(np.abs(denom) > 1e-9, denom, np.inf)
        if margins.max() >= threshold and margins.min() < member_threshold:
            weak = int(np.argmin(margins))
            flags[i] = Flag(
                "unpaired",
                f"unpaired: {side} {ids[weak]} in this {link.kind} link does not match the other side alone "
                f"(margin {margins[weak]:.2f} < {member_threshold:g}, the rest {margins.max():.2f}): its counterpart may be missing",
                float(margins[weak]),
                member_threshold,
            )
    return flags
