"""DataFlow's ``MinHashDeduplicateFilter``: near-duplicate removal by MinHash-LSH, global across partitions.

Signatures are computed in batches with numpy (``operators/text/dedup/minhash_lsh.py``). Candidates come from LSH
banding, never all pairs: inside the batch each row is paired with the first row of every bucket it shares
(a sort per band), and against earlier partitions the batch's band hashes are joined in DuckDB with the
stored ``<step>__bands`` table. A candidate is a duplicate when the signatures
agree on at least ``threshold`` of their values (estimated Jaccard similarity), which removes LSH false
positives (DataFlow keeps every LSH candidate). The index stores each kept row's signature
(``<step>__index``) and band hashes (``<step>__bands``). Changing ``num_perm``, ``ngram`` or the tokenization
changes the signatures: re-materialize every partition of the step after such a change.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import OperatorConfig, OperatorContext
from operators.registry import register
from operators.text.dedup.base import PROBE, DeduplicateFilter, Links
from operators.text.dedup.exact import dedup_text
from operators.text.dedup.minhash_lsh import band_hashes, lsh_params, signatures

FALSE_NEGATIVE_WEIGHT = 0.9  # candidates are verified, so banding favours recall over precision


class MinHashDeduplicateConfig(OperatorConfig):
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash signature length (permutations).")
    threshold: float = Field(0.9, gt=0.0, le=1.0, description="Jaccard similarity at or above which rows are "
                             "duplicates.")
    use_n_gram: bool = Field(True, description="Shingle by n-grams (DataFlow); false: single characters or words.")
    ngram: int = Field(5, ge=1, le=64, description="n of the n-grams.")
    tokenization: Literal["char", "word"] = Field("char", description="n-grams of characters (DataFlow) or words.")
    input_keys: list[str] | None = Field(None, description="As HashDeduplicateFilter's input_keys.")


def bucket_pairs(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs inside a batch: each row with the first row of every (band, hash) bucket it shares.

    ``hashes`` is rows × bands. Per band a stable sort groups equal hashes with the lowest row first; pairs
    found in several bands are reported once. Memory is a few arrays of one band, not a join over all bands.
    """
    count = hashes.shape[0]
    keys = []
    for band in range(hashes.shape[1]):
        column = hashes[:, band]
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]] if count else np.zeros(0, dtype=bool)
        first = order[np.maximum.accumulate(np.where(starts, np.arange(count), 0))]
        paired = order != first
        keys.append(order[paired].astype(np.int64) * count + first[paired])
    unique = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    return unique // max(count, 1), unique % max(count, 1)


def similar(sig: np.ndarray, left: np.ndarray, other: np.ndarray, right: np.ndarray, threshold: float,
            chunk: int = 65536) -> np.ndarray:
    """Whether rows ``sig[left[i]]`` and ``other[right[i]]`` agree on at least ``threshold`` of their values."""
    out = np.zeros(len(left), dtype=bool)
    for start in range(0, len(left), chunk):  # gathered a chunk at a time: bounded memory for many pairs
        stop = start + chunk
        agree = (sig[left[start:stop]] == other[right[start:stop]]).mean(axis=1)
        out[start:stop] = agree >= threshold - 1e-9
    return out


def signature_rows(values: pa.Array | pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """Stored signatures (one binary value of num_perm uint32 each) as a rows × num_perm matrix."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    data = b"".join(values.to_pylist()) if len(values) else b""
    return np.frombuffer(data, dtype=np.uint32).reshape(-1, num_perm)


@register
class MinHashDeduplicateFilter(DeduplicateFilter):
    """Drop near-duplicates (MinHash Jaccard ≥ threshold), within the batch and of earlier partitions."""

    name: ClassVar[str] = "MinHashDeduplicateFilter"
    description = ("Near-duplicate removal by MinHash-LSH over character or word n-grams, across partitions: "
                   "keeps the earliest copy.")
    inputs = ("text",)
    reason = "near_duplicate"
    Config = MinHashDeduplicateConfig

    def keys(self, batch: pa.Table) -> np.ndarray:
        """The MinHash signature of each row (rows × num_perm uint32)."""
        config = self.config
        ngram = config.ngram if config.use_n_gram else 1
        return signatures(dedup_text(self, batch, config.input_keys), config.num_perm, ngram,
                          words=config.tokenization == "word")

    def links_of(self, sig: np.ndarray, ctx: OperatorContext) -> Links:
        """Verified MinHash matches inside the partition and against the stored bands of earlier partitions."""
        config = self.config
        n_bands, rows = lsh_params(config.threshold, config.num_perm, FALSE_NEGATIVE_WEIGHT)
        hashes = band_hashes(sig, n_bands, rows)
        count = sig.shape[0]
        positions = np.arange(count, dtype=np.int64)
        bands = pa.table({PROBE: np.repeat(positions, n_bands),
                          "band": np.tile(np.arange(n_bands, dtype=np.int32), count),
                          "hash": hashes.reshape(-1)})
        a, b = bucket_pairs(hashes)
        verified = similar(sig, a, sig, b, config.threshold)
        index = {"index": pa.table({PROBE: positions, "signature": _as_blobs(sig)}), "bands": bands}
        return Links(a[verified], b[verified], self._earlier(ctx, bands, sig), index)

    def _earlier(self, ctx: OperatorContext, bands: pa.Table, sig: np.ndarray) -> pa.Table | None:
        if ctx.state is None:
            return None
        found = ctx.state.matches("bands", bands, on=["band", "hash"])
        if found.num_rows == 0:
            return found.select([PROBE, "_partition", "_row_id", "_rank"])
        pairs = found.group_by([PROBE, "_partition", "_row_id", "_rank"], use_threads=False).aggregate([])
        stored_keys = pairs.group_by(["_partition", "_row_id"], use_threads=False).aggregate([])
        stored = ctx.state.matches("index", stored_keys, on=["_partition", "_row_id"], fetch=["signature"])
        pairs = pairs.join(stored.select(["_partition", "_row_id", "signature"]), ["_partition", "_row_id"],
                           use_threads=False)
        stored_sig = signature_rows(pairs["signature"], self.config.num_perm)
        ok = similar(sig, pairs[PROBE].to_numpy(), stored_sig, np.arange(len(stored_sig)), self.config.threshold)
        return pairs.filter(pa.array(ok)).select([PROBE, "_partition", "_row_id", "_rank"])


def _as_blobs(sig: np.ndarray) -> pa.Array:
    """Each signature row as one binary value (its uint32 values, little-endian)."""
    width = sig.shape[1] * 4
    offsets = np.arange(0, (sig.shape[0] + 1) * width, width, dtype=np.int64)
    data = np.ascontiguousarray(sig, dtype="<u4")  # zero-copy on little-endian machines
    return pa.Array.from_buffers(pa.large_binary(), sig.shape[0], [None, pa.py_buffer(offsets), pa.py_buffer(data)])
