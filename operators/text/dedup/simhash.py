"""DataFlow's ``SimHashDeduplicateFilter``: near-duplicates by SimHash Hamming distance, global across partitions.

Fingerprints follow the ``simhash`` package DataFlow uses: features are the character 4-grams of the lower-cased
text with everything but letters, digits and ``_`` removed, each weighted by its count; a fingerprint bit is set
when more features have that bit set than not. Feature hashes are our own vectorised 64-bit hashes (DataFlow:
md5 per feature in Python), and the bit sums are 8 byte histograms (``np.bincount``), not a loop per feature.

Two rows are duplicates when their Hamming distance is at most ``k = floor(bound * fingerprint_size)`` (DataFlow:
similarity ``1 - distance / bits >= 1 - bound``). Candidates use the pigeonhole principle, never all pairs: the
fingerprint is split into ``k + 1`` blocks, and two fingerprints within distance ``k`` agree exactly on at least
one block, so candidates are a join on (block, value) in DuckDB, verified with ``bit_count(xor(a, b)) <= k``.
Rows with equal fingerprints are linked first, so only distinct fingerprints enter the join. The join is
linear in the number of rows sharing a block value; with the default 64 bits and k = 6, blocks have 9-10 bits,
so it grows with n² / 2^9 on large batches: prefer MinHash for corpus scale.
"""

from __future__ import annotations

from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from operators.base import OperatorConfig, OperatorContext
from operators.registry import register
from operators.text.dedup.base import PROBE, DeduplicateFilter, Links, exact_links
from operators.text.dedup.exact import dedup_text
from operators.text.dedup.minhash_lsh import _ngrams
from operators.text.scan.utf8 import codepoints as _codepoints

FEATURE_WIDTH = 4


class SimHashDeduplicateConfig(OperatorConfig):
    fingerprint_size: int = Field(64, ge=8, le=64, description="Fingerprint length in bits.")
    bound: float = Field(0.1, ge=0.0, lt=0.5, description="Rows whose Hamming distance is at most "
                         "bound × fingerprint_size are duplicates (similarity ≥ 1 - bound).")
    input_keys: list[str] | None = Field(None, description="As HashDeduplicateFilter's input_keys.")


def fingerprints(texts: pa.Array | pa.ChunkedArray, bits: int = 64) -> np.ndarray:
    """SimHash fingerprints (int64) of texts over count-weighted character 4-grams."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    cleaned = pc.replace_substring_regex(pc.utf8_lower(texts.cast(pa.large_string())), r"[^\p{L}\p{N}_]+", "")
    points, lengths = _codepoints(cleaned)
    hashes, doc = _ngrams(points, lengths, FEATURE_WIDTH)
    n = len(lengths)
    totals = np.bincount(doc, minlength=n)
    value = np.zeros(n, dtype=np.uint64)
    bit_table = (np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1  # 256 × 8
    for byte in range((bits + 7) // 8):
        values = ((hashes >> np.uint64(8 * byte)) & np.uint64(0xFF)).astype(np.int64)
        histogram = np.bincount(doc * 256 + values, minlength=n * 256).reshape(n, 256)
        ones = histogram @ bit_table  # n × 8: features with each bit set
        for bit in range(min(8, bits - 8 * byte)):
            value |= (2 * ones[:, bit] > totals).astype(np.uint64) << np.uint64(8 * byte + bit)
    return value.view(np.int64)


def blocks(bits: int, k: int) -> list[tuple[int, int]]:
    """(shift, width) of the k + 1 blocks that split a fingerprint."""
    sizes = [bits // (k + 1) + (1 if i < bits % (k + 1) else 0) for i in range(k + 1)]
    return [(sum(sizes[:i]), size) for i, size in enumerate(sizes)]


def block_table(positions: np.ndarray, prints: np.ndarray, bits: int, k: int) -> pa.Table:
    """One row per (row, block): its position, block number, block value and whole fingerprint."""
    unsigned = prints.view(np.uint64)
    parts = [((unsigned >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)
             for shift, width in blocks(bits, k)]
    count = len(parts)
    return pa.table({PROBE: np.repeat(positions, count), "band": np.tile(np.arange(count, dtype=np.int32),
                                                                          len(positions)),
                     "key": np.stack(parts, axis=1).reshape(-1), "fingerprint": np.repeat(prints, count)})


@register
class SimHashDeduplicateFilter(DeduplicateFilter):
    """Drop near-duplicates by SimHash Hamming distance, within the batch and of earlier partitions."""

    name: ClassVar[str] = "SimHashDeduplicateFilter"
    description = "Near-duplicate removal by SimHash fingerprints and Hamming distance (pigeonhole blocks)."
    inputs = ("text",)
    reason = "near_duplicate"
    Config = SimHashDeduplicateConfig

    @property
    def max_distance(self) -> int:
        """The largest Hamming distance of duplicates."""
        return int(self.config.bound * self.config.fingerprint_size + 1e-9)

    def links(self, batch: pa.Table, ctx: OperatorContext) -> Links:
        """Equal fingerprints, then pigeonhole candidates verified by Hamming distance, here and in the index."""
        bits, k = self.config.fingerprint_size, self.max_distance
        prints = fingerprints(dedup_text(self, batch, self.config.input_keys), bits)
        equal = exact_links(pa.array(prints), None)
        distinct = np.setdiff1d(np.arange(batch.num_rows), equal.a)
        table = block_table(distinct, prints[distinct], bits, k)
        with duckdb.connect() as conn:
            conn.register("blocks", table)
            pairs = conn.sql(
                f"SELECT DISTINCT a.{PROBE} AS a, b.{PROBE} AS b FROM blocks a JOIN blocks b ON a.band = b.band "
                f"AND a.key = b.key AND a.{PROBE} > b.{PROBE} WHERE bit_count(xor(a.fingerprint, b.fingerprint)) "
                f"<= {k}"
            ).fetchnumpy()
        a = np.concatenate([equal.a, pairs["a"].astype(np.int64)])
        b = np.concatenate([equal.b, pairs["b"].astype(np.int64)])
        external = None
        if ctx.state is not None:  # rows sharing a fingerprint are linked: probing distinct ones is enough
            probe = table.rename_columns([PROBE, "band", "key", "probe_fingerprint"])
            found = ctx.state.matches("bands", probe, on=["band", "key"], fetch=["fingerprint"])
            close = np.zeros(found.num_rows, dtype=bool)
            if found.num_rows:
                close = np.bitwise_count(found["probe_fingerprint"].to_numpy() ^ found["fingerprint"].to_numpy()) <= k
            external = found.filter(pa.array(close)).select([PROBE, "_partition", "_row_id", "_rank"])
        positions = np.arange(batch.num_rows, dtype=np.int64)
        index = {"index": pa.table({PROBE: positions, "fingerprint": prints}),
                 "bands": block_table(positions, prints, bits, k)}
        return Links(a, b, external, index)
