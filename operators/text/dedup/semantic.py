"""DataFlow's ``SemDeduplicateFilter``: semantic near-duplicates by embedding cosine, global across partitions.

Rows are embedded by ``ctx.embed`` (the ``EmbeddingResource``: the shipped all-MiniLM-L6-v2 by default, unit
vectors) and two rows are duplicates when their cosine similarity is at least ``1 - eps`` (DataFlow's default
eps 0.05: cosine ≥ 0.95). DataFlow compares all pairs of the batch (an n × n matrix); here candidates come from
random-hyperplane LSH, never all pairs: each vector gets ``lsh_bands`` codes of ``lsh_bits`` sign bits, the codes
are a table and candidates are a join in DuckDB, as for MinHash. A pair at cosine 0.95 shares a band with
probability ≥ 0.998 with the defaults (32 × 16 bits). Inside the batch each row is paired with the first
``BUCKET_HEADS`` rows of every bucket it falls in (so a bucket of a thousand copies costs a thousand pairs, not
half a million); against earlier partitions the batch's codes are joined with the stored ``<step>__bands``.
Every candidate is then checked exactly: cosine of the two vectors (the stored ones for earlier partitions).
The index stores each kept row's vector (``<step>__index``, float32 blob) and codes (``<step>__bands``).
DataFlow pools token states including padding; the resource pools only real tokens (sentence-transformers).
Changing the embedding model, ``lsh_bits``, ``lsh_bands`` or ``seed`` changes vectors or codes: re-materialize
every partition of the step after such a change (a different vector size is refused with an error).
"""

from __future__ import annotations

import functools
from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from operators.base import OperatorConfig, OperatorContext
from operators.registry import register
from operators.text.dedup.base import PROBE, DeduplicateFilter, Links
from operators.text.dedup.exact import dedup_text

BUCKET_HEADS = 16  # in-batch candidates: each row with the first rows of each bucket it shares


class SemDeduplicateConfig(OperatorConfig):
    eps: float = Field(0.05, gt=0.0, lt=1.0, description="Rows whose embedding cosine similarity is at least "
                       "1 - eps are duplicates (DataFlow's default 0.05: cosine ≥ 0.95).")
    input_keys: list[str] | None = Field(None, description="As HashDeduplicateFilter's input_keys.")
    lsh_bands: int = Field(32, ge=1, le=256, description="LSH bands: more finds more candidates (recall).")
    lsh_bits: int = Field(16, ge=1, le=62, description="Hyperplane sign bits per band: more, fewer false candidates.")
    seed: int = Field(0, ge=0, description="Seed of the random hyperplanes.")


@functools.lru_cache(maxsize=8)
def hyperplanes(dim: int, count: int, seed: int) -> np.ndarray:
    """``count`` random hyperplane normals for ``dim``-dimensional vectors (dim × count, float32)."""
    return np.random.default_rng(seed).standard_normal((dim, count)).astype(np.float32)


def band_codes(vectors: np.ndarray, bands: int, bits: int, seed: int) -> np.ndarray:
    """Per row and band, the ``bits`` hyperplane signs packed into one int64 (rows × bands)."""
    signs = (vectors @ hyperplanes(vectors.shape[1], bands * bits, seed)) >= 0
    weights = (np.int64(1) << np.arange(bits, dtype=np.int64))
    return signs.reshape(len(vectors), bands, bits).astype(np.int64) @ weights


def bucket_pairs(bands: pa.Table, heads: int = BUCKET_HEADS) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs inside a batch: each row with the first ``heads`` rows of every bucket it shares."""
    with duckdb.connect() as conn:
        conn.register("bands", bands)
        pairs = conn.sql(
            f"WITH ranked AS (SELECT {PROBE}, band, hash, row_number() OVER (PARTITION BY band, hash ORDER BY "
            f"{PROBE}) AS rank, count(*) OVER (PARTITION BY band, hash) AS size FROM bands) "
            f"SELECT DISTINCT r.{PROBE} AS a, h.{PROBE} AS b FROM ranked r JOIN ranked h USING (band, hash) "
            f"WHERE r.size > 1 AND h.rank <= {heads} AND h.rank < r.rank"
        ).fetchnumpy()
    return pairs["a"].astype(np.int64), pairs["b"].astype(np.int64)


def cosine_at_least(vectors: np.ndarray, left: np.ndarray, other: np.ndarray, right: np.ndarray, threshold: float,
                    chunk: int = 16384) -> np.ndarray:
    """Whether unit vectors ``vectors[left[i]]`` and ``other[right[i]]`` have cosine ≥ ``threshold``.

    Gathered a chunk of pairs at a time: memory stays bounded however many candidates there are.
    """
    out = np.zeros(len(left), dtype=bool)
    for start in range(0, len(left), chunk):
        stop = start + chunk
        dots = np.einsum("ij,ij->i", vectors[left[start:stop]], other[right[start:stop]])
        out[start:stop] = dots >= threshold - 1e-6
    return out


def vector_rows(values: pa.Array | pa.ChunkedArray, dim: int) -> np.ndarray:
    """Stored vectors (one float32 blob each) as a rows × dim matrix; an error if they have another size."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    data = np.frombuffer(b"".join(values.to_pylist()), dtype="<f4") if len(values) else np.zeros(0, np.float32)
    if data.size != len(values) * dim:
        raise ValueError(f"SemDeduplicateFilter: stored vectors are not {dim}-dimensional: the embedding model "
                         "changed since earlier partitions were written; re-materialize them in ingest order")
    return data.reshape(len(values), dim)


def as_blobs(vectors: np.ndarray) -> pa.Array:
    """Each vector as one binary value (its float32 values, little-endian)."""
    width = vectors.shape[1] * 4
    offsets = np.arange(0, (vectors.shape[0] + 1) * width, width, dtype=np.int64)
    data = np.ascontiguousarray(vectors, dtype="<f4")
    return pa.Array.from_buffers(pa.large_binary(), len(vectors), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


@register
class SemDeduplicateFilter(DeduplicateFilter):
    """Drop semantic near-duplicates (embedding cosine ≥ 1 - eps), within the batch and of earlier partitions."""

    name: ClassVar[str] = "SemDeduplicateFilter"
    description = ("Semantic near-duplicate removal by sentence-embedding cosine similarity (LSH candidates, exact "
                   "check), across partitions: keeps the earliest copy.")
    inputs = ("text",)
    requires = ("embed", "state")
    reason = "semantic_duplicate"
    Config = SemDeduplicateConfig

    def links(self, batch: pa.Table, ctx: OperatorContext) -> Links:
        """Verified cosine matches inside the batch and against the stored codes of earlier partitions."""
        if ctx.embed is None:
            raise ValueError(f"{self.name} needs an embedding service (ctx.embed: the 'embed' resource)")
        config = self.config
        texts = pc.fill_null(dedup_text(self, batch, config.input_keys), "").to_pylist()
        vectors = ctx.embed.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        codes = band_codes(vectors, config.lsh_bands, config.lsh_bits, config.seed)
        positions = np.arange(batch.num_rows, dtype=np.int64)
        bands = pa.table({PROBE: np.repeat(positions, config.lsh_bands),
                          "band": np.tile(np.arange(config.lsh_bands, dtype=np.int32), batch.num_rows),
                          "hash": codes.reshape(-1)})
        threshold = 1.0 - config.eps
        a, b = bucket_pairs(bands)
        verified = cosine_at_least(vectors, a, vectors, b, threshold)
        index = {"index": pa.table({PROBE: positions, "vector": as_blobs(vectors)}), "bands": bands}
        return Links(a[verified], b[verified], self._earlier(ctx, bands, vectors, threshold), index)

    def _earlier(self, ctx: OperatorContext, bands: pa.Table, vectors: np.ndarray, threshold: float) -> pa.Table | None:
        if ctx.state is None:
            return None
        found = ctx.state.matches("bands", bands, on=["band", "hash"])
        columns = [PROBE, "_partition", "_row_id", "_rank"]
        if found.num_rows == 0:
            return found.select(columns)
        pairs = found.group_by(columns, use_threads=False).aggregate([])
        stored_keys = pairs.group_by(["_partition", "_row_id"], use_threads=False).aggregate([])
        stored = ctx.state.matches("index", stored_keys, on=["_partition", "_row_id"], fetch=["vector"])
        stored_vectors = vector_rows(stored["vector"], vectors.shape[1])  # each stored row once, not once per pair
        where = stored.select(["_partition", "_row_id"]).append_column("_stored", pa.array(np.arange(len(stored))))
        pairs = pairs.join(where, ["_partition", "_row_id"], use_threads=False)
        ok = cosine_at_least(vectors, pairs[PROBE].to_numpy(), stored_vectors, pairs["_stored"].to_numpy(), threshold)
        return pairs.filter(pa.array(ok)).select(columns)
