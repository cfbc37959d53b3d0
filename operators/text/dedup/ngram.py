"""DataFlow's ``NgramHashDeduplicateFilter``: duplicates share at least ``diff_size`` of ``n_gram`` text pieces.

As DataFlow: the text is cut into ``n_gram`` pieces of ``len(text) // n_gram`` characters (the remainder is
ignored), each piece is hashed (md5 / sha256 / xxh3), and a row is a duplicate when at least ``diff_size`` of its
distinct piece hashes also belong to an earlier row. Unlike DataFlow, a non-empty text shorter than ``n_gram``
characters is one piece (DataFlow cuts it into empty pieces, so all short texts are duplicates of each other),
and matching is a join on piece hashes (in the batch and against ``<step>__pieces`` of earlier partitions)
instead of a comparison with every kept row. With ``diff_size`` 1 each row is linked to the first row of each
of its pieces; with more, shared pieces are counted per pair of rows that share any.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from operators.base import OperatorConfig, OperatorContext
from operators.registry import register
from operators.text.dedup.base import PROBE, DeduplicateFilter, Links
from operators.text.dedup.exact import dedup_text, digests


class NgramHashDeduplicateConfig(OperatorConfig):
    n_gram: int = Field(3, ge=1, le=64, description="Number of equal pieces the text is cut into.")
    hash_func: Literal["md5", "sha256", "xxh3"] = Field("md5", description="Hash of each piece.")
    diff_size: int = Field(1, ge=1, description="Shared piece hashes that make a row a duplicate.")
    input_keys: list[str] | None = Field(None, description="As HashDeduplicateFilter's input_keys.")


def pieces(texts: list[str], n: int) -> tuple[list[str], np.ndarray]:
    """DataFlow's equal-length pieces of every text and the row each belongs to (a Python loop per row)."""
    out: list[str] = []
    owner: list[int] = []
    for row, text in enumerate(texts):
        size = len(text) // n
        parts = [text[i * size: (i + 1) * size] for i in range(n)] if size else [text]
        out += parts
        owner += [row] * len(parts)
    return out, np.asarray(owner, dtype=np.int64)


@register
class NgramHashDeduplicateFilter(DeduplicateFilter):
    """Drop rows sharing at least ``diff_size`` hashed text pieces with an earlier row, across partitions."""

    name: ClassVar[str] = "NgramHashDeduplicateFilter"
    description = "Near-duplicate removal by hashes of n equal text pieces (DataFlow's n-gram hash dedup)."
    inputs = ("text",)
    reason = "near_duplicate"
    Config = NgramHashDeduplicateConfig

    def links(self, batch: pa.Table, ctx: OperatorContext) -> Links:
        """Rows sharing enough piece hashes, in the batch and in the index of earlier partitions."""
        texts = dedup_text(self, batch, self.config.input_keys)
        parts, owner = pieces([text or "" for text in texts.to_pylist()], self.config.n_gram)
        keys = [int.from_bytes(d[:8], "little", signed=True) for d in
                digests(pa.array(parts, pa.large_binary()), self.config.hash_func)]
        table = pa.table({PROBE: owner, "key": pa.array(keys, pa.int64())})
        table = table.group_by([PROBE, "key"], use_threads=False).aggregate([]).sort_by([(PROBE, "ascending")])
        need = self.config.diff_size
        with duckdb.connect() as conn:
            conn.register("pieces", table)
            if need == 1:
                sql = (f"SELECT p.{PROBE} AS a, f.first AS b FROM pieces p JOIN (SELECT key, min({PROBE}) AS first "
                       f"FROM pieces GROUP BY key HAVING count(*) > 1) f USING (key) WHERE p.{PROBE} <> f.first")
            else:
                sql = (f"SELECT a.{PROBE} AS a, b.{PROBE} AS b FROM pieces a JOIN pieces b ON a.key = b.key AND "
                       f"a.{PROBE} > b.{PROBE} GROUP BY ALL HAVING count(*) >= {need}")
            pairs = conn.sql(sql).fetchnumpy()
        external = None
        if ctx.state is not None:
            found = ctx.state.matches("pieces", table, on=["key"])
            shared = found.group_by([PROBE, "_partition", "_row_id", "_rank"], use_threads=False).aggregate(
                [("key", "count")])
            external = shared.filter(pc.greater_equal(shared["key_count"], need)).select(
                [PROBE, "_partition", "_row_id", "_rank"])
        positions = np.arange(batch.num_rows, dtype=np.int64)
        counts = np.bincount(table[PROBE].to_numpy(), minlength=batch.num_rows)
        index = {"index": pa.table({PROBE: positions, "pieces": counts}), "pieces": table}
        return Links(pairs["a"].astype(np.int64), pairs["b"].astype(np.int64), external, index)
