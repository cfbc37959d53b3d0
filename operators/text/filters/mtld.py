"""MTLD and HD-D lexical diversity over token ids, vectorised across rows.

MTLD walks each row's tokens keeping a running type/token ratio; once it drops to the threshold a
factor is counted and the count restarts. The walk is sequential within a row, so all rows walk
together ("lockstep"): step ``j`` handles token ``j`` of every row still that long, with numpy over
the rows. A token is new in the current segment iff its previous occurrence in the row (found for
all tokens at once with one sort) lies before the segment start. When fewer than ``_TAIL`` rows are
left (a few very long texts) they finish in a plain Python loop per token, about 0.3 us a token.
"""

from __future__ import annotations

import numpy as np

MTLD_THRESHOLD = 0.72
HDD_SAMPLE = 42
_TAIL = 32
_NONE = np.int64(2**62)


def stable_order(ids: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative ids: LSD radix passes over 16-bit digits (numpy radix-sorts uint16)."""
    order = np.argsort((ids & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while len(ids) and int(ids.max()) >> shift:
        digit = ((ids[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


class Types:
    """Tokens grouped by type within each row: previous / next occurrence and per-type counts."""

    def __init__(self, ids: np.ndarray, counts: np.ndarray) -> None:
        self.counts = counts
        rows = np.repeat(np.arange(len(counts)), counts)
        order = stable_order(ids)  # by id, then by position: a row's repeats of a type are adjacent
        ids_sorted, rows_sorted = ids[order], rows[order]
        same = (ids_sorted[1:] == ids_sorted[:-1]) & (rows_sorted[1:] == rows_sorted[:-1])
        later, earlier = order[1:][same], order[:-1][same]
        self.prev = np.full(len(ids), -1, dtype=np.int64)
        self.prev[later] = earlier
        self.next = np.full(len(ids), _NONE, dtype=np.int64)
        self.next[earlier] = later
        firsts = np.flatnonzero(np.concatenate(([True], ~same))) if len(ids) else np.zeros(0, dtype=np.int64)
        self.type_counts = np.diff(np.append(firsts, len(ids)))
        self.type_rows = rows_sorted[firsts]


def _finish_scalar(
    p: list[int], values: list[int], state: tuple[int, int, int, float], threshold: float
) -> tuple[int, int, int, float]:
    """Continue one row's walk token by token (Python loop per token: a long text's tail)."""
    seg, types, tokens, factors = state
    for before, value in zip(p, values, strict=True):
        tokens += 1
        if before < seg:
            types += 1
        if types / tokens <= threshold:
            factors += 1
            seg, types, tokens = value + 1, 0, 0
    return seg, types, tokens, factors


def _mtld_pass(
    p: np.ndarray, first: np.ndarray, lengths: np.ndarray, step: int, threshold: float
) -> np.ndarray:
    """One direction of MTLD for rows whose tokens start at ``first`` and go by ``step`` (+1 or -1).

    Token ``t`` is new in the segment iff ``p[t] < seg``: with ``p`` = previous occurrence and ``seg``
    the segment's first index going forwards, or ``p`` = -next occurrence and ``seg`` = -last index
    going backwards. The value of position ``t`` is ``step * t``.
    """
    order = np.argsort(-lengths, kind="stable")
    first, lengths = first[order], lengths[order]
    ascending = lengths[::-1]
    seg = first * step
    types = np.zeros(len(first), dtype=np.int64)
    tokens = np.zeros(len(first), dtype=np.int64)
    factors = np.zeros(len(first), dtype=np.float64)
    j = 0
    while True:
        active = len(lengths) - int(np.searchsorted(ascending, j, side="right"))
        if active == 0:
            break
        if active < _TAIL and int(lengths[0]) - j > 64:
            for row in range(active):  # Python loop over the few longest rows
                t = first[row] + step * np.arange(j, lengths[row])
                state = (int(seg[row]), int(types[row]), int(tokens[row]), float(factors[row]))
                seg[row], types[row], tokens[row], factors[row] = _finish_scalar(
                    p[t].tolist(), (step * t).tolist(), state, threshold
                )
            break
        t = first[:active] + step * j
        types[:active] += p[t] < seg[:active]
        tokens[:active] += 1
        hit = np.flatnonzero(types[:active] / tokens[:active] <= threshold)
        if len(hit):
            factors[hit] += 1
            seg[hit] = step * t[hit] + 1
            types[hit] = 0
            tokens[hit] = 0
        j += 1
    ttr = np.where(tokens > 0, types / np.maximum(tokens, 1), 1.0)
    factors += (1.0 - ttr) / (1.0 - threshold)
    scores = np.where(factors != 0, lengths / np.where(factors != 0, factors, 1.0), -1.0)
    out = np.empty(len(first), dtype=np.float64)
    out[order] = scores
    return out


def mtld(types: Types, threshold: float = MTLD_THRESHOLD) -> np.ndarray:
    """MTLD of each row (mean of the forward and backward pass).

    As DataFlow: a pass with no factor at all (every token distinct) scores -1.
    """
    counts = types.counts
    if len(counts) == 0:
        return np.zeros(0, dtype=np.float64)
    starts = np.cumsum(counts) - counts
    forward = _mtld_pass(types.prev, starts, counts, 1, threshold)
    backward = _mtld_pass(-types.next, starts + counts - 1, counts, -1, threshold)
    return (forward + backward) / 2


def hdd(types: Types, sample: int = HDD_SAMPLE) -> np.ndarray:
    """HD-D of each row: sum over types of P(type drawn at least once in ``sample`` tokens) / sample.

    P(not drawn) = C(N - c, sample) / C(N, sample) for a type seen c times in N tokens, computed
    with log-factorials (exact where DataFlow's float products overflow for very frequent types).
    Rows need more than ``sample`` tokens.
    """
    counts = types.counts
    if len(types.type_rows) == 0:
        return np.zeros(len(counts), dtype=np.float64)
    total = counts[types.type_rows]
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, int(counts.max()) + 1)))))
    rest = total - types.type_counts
    possible = rest >= sample
    safe = np.where(possible, rest, sample)
    log_p0 = log_fact[safe] + log_fact[total - sample] - log_fact[safe - sample] - log_fact[total]
    p0 = np.where(possible, np.exp(log_p0), 0.0)
    return np.bincount(types.type_rows, weights=(1.0 - p0) / sample, minlength=len(counts))
