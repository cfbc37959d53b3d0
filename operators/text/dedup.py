"""DataFlow's ``HashDeduplicateFilter``: exact deduplication within a batch by a hash of the text.

As DataFlow: the hash covers the text (or, with several ``input_keys``, the fields rendered as
``"key:\\nvalue"`` joined by newlines); the first row with a given hash is kept, later ones are
dropped. Hashes are not written anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import Field

from operators.base import Filter, OperatorConfig, OperatorContext, Verdict
from operators.registry import register
from operators.text.columns import filled

HASHES: dict[str, Callable[[bytes], bytes]] = {
    "md5": lambda data: hashlib.md5(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "xxh3": xxhash.xxh3_128_digest,
}


class HashDeduplicateConfig(OperatorConfig):
    hash_func: Literal["md5", "sha256", "xxh3"] = Field(
        "md5", description="Hash of the text: md5, sha256 or xxh3 (128-bit)."
    )
    input_keys: list[str] | None = Field(
        None,
        description="Columns hashed together, each as 'key:\\nvalue' joined by newlines (DataFlow's "
        "input_keys); default: the bound text column alone.",
    )


def _as_binary(column: pa.ChunkedArray) -> pa.Array:
    """A string column as one binary array (nulls as empty)."""
    column = filled(column).cast(pa.large_binary())
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def digests(data: pa.Array, hash_func: str) -> list[bytes]:
    """The digest of every value of a binary array.

    A Python loop per row: no Arrow kernel computes md5/sha256/xxh3, and every row has to be hashed.
    Values are hashed as zero-copy memoryviews of the array's data buffer.
    """
    if len(data) == 0:
        return []
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)[
        data.offset : data.offset + len(data) + 1
    ].tolist()
    buffer = data.buffers()[2]
    view = memoryview(buffer) if buffer is not None else memoryview(b"")
    hasher = HASHES[hash_func]
    return [hasher(view[start:end]) for start, end in zip(offsets[:-1], offsets[1:], strict=True)]


def first_occurrences(keys: list[bytes]) -> np.ndarray:
    """True for the first occurrence of each key, False for every later repeat."""
    seen: set[bytes] = set()
    keep = np.zeros(len(keys), dtype=bool)
    for index, key in enumerate(keys):  # Python loop per row over digests (set lookups)
        if key not in seen:
            seen.add(key)
            keep[index] = True
    return keep


@register
class HashDeduplicateFilter(Filter):
    """Drop exact duplicates within the batch: keep the first row of each text hash, drop the rest."""

    name: ClassVar[str] = "HashDeduplicateFilter"
    description = (
        "Exact deduplication by an md5/sha256/xxh3 hash of the text: keeps the first of each duplicate."
    )
    inputs = ("text",)
    Config = HashDeduplicateConfig

    def hashed_values(self, batch: pa.Table) -> pa.Array:
        """The bytes hashed for each row."""
        keys = self.config.input_keys
        if not keys:
            return _as_binary(self.text(batch))
        if len(keys) == 1:
            return _as_binary(batch.column(keys[0]).cast(pa.string()))
        parts: list[pa.ChunkedArray | str] = []
        for index, key in enumerate(keys):
            value = pc.fill_null(batch.column(key).cast(pa.string()), "None")  # Python's f"{None}"
            parts += [("\n" if index else "") + f"{key}:\n", value]
        joined = pc.binary_join_element_wise(*parts, "")
        return _as_binary(joined)

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Keep the first occurrence of each hash in batch order."""
        keep = first_occurrences(digests(self.hashed_values(batch), self.config.hash_func))
        return Verdict(keep=keep, reason="exact_duplicate")
