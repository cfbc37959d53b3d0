"""Exact deduplication, global across partitions: ``HashDeduplicateFilter`` and ``CCNetDeduplicateFilter``.

As DataFlow: the hash covers the text (or, with several ``input_keys``, the fields rendered as
``"key:\\nvalue"`` joined by newlines); the first row with a given hash is kept, later ones are dropped.
Unlike DataFlow, the digests of kept rows are the step's index (``<step>__index``), so a row is also dropped
when an earlier partition kept the same text (semantics in ``operators/text/dedup/base.py``).
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

from operators.base import Operator, OperatorConfig, OperatorContext
from operators.registry import register
from operators.text.dedup.base import DeduplicateFilter, Links, exact_links
from operators.text.scan.columns import filled

HASHES: dict[str, Callable[[bytes], bytes]] = {
    "md5": lambda data: hashlib.md5(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "xxh3": xxhash.xxh3_128_digest,
    "sha1": lambda data: hashlib.sha1(data, usedforsecurity=False).digest(),
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


def dedup_text(op: Operator, batch: pa.Table, input_keys: list[str] | None) -> pa.Array | pa.ChunkedArray:
    """The text a dedup filter compares per row (nulls may stay null: compared as empty text).

    The bound text column as it is (no copy), or DataFlow's rendering of input_keys.
    """
    if not input_keys:
        return op.text(batch)
    if len(input_keys) == 1:
        column = batch.column(input_keys[0]).cast(pa.string())
    else:
        parts: list[pa.ChunkedArray | str] = []
        for index, key in enumerate(input_keys):
            value = pc.fill_null(batch.column(key).cast(pa.string()), "None")  # Python's f"{None}"
            parts += [("\n" if index else "") + f"{key}:\n", value]
        column = pc.binary_join_element_wise(*parts, "")
    column = filled(column).cast(pa.large_string())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


@register
class HashDeduplicateFilter(DeduplicateFilter):
    """Drop exact duplicates, within the batch and of earlier partitions: keep the first row of each hash."""

    name: ClassVar[str] = "HashDeduplicateFilter"
    description = (
        "Exact deduplication by an md5/sha256/xxh3 hash of the text, across partitions: keeps the first copy."
    )
    reason = "exact_duplicate"
    inputs = ("text",)
    Config = HashDeduplicateConfig

    def hashed_values(self, batch: pa.Table) -> pa.Array:
        """The bytes hashed for each row."""
        values = dedup_text(self, batch, self.config.input_keys)
        return _as_binary(values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values]))

    def keys(self, batch: pa.Table) -> pa.Array:
        """The digest of each row."""
        return pa.array(digests(self.hashed_values(batch), self.config.hash_func), pa.binary())

    def links_of(self, keys: pa.Array, ctx: OperatorContext) -> Links:
        """Rows with equal digests, in the partition and in the index of earlier partitions."""
        return exact_links(keys, ctx.state)


class CCNetDeduplicateConfig(OperatorConfig):
    bit_length: int = Field(64, ge=8, le=160, multiple_of=8, description="Bits of the SHA-1 digest compared.")
    normalize: bool = Field(
        False, description="Hash CCNet-normalised text (lower case, accents and punctuation removed, digits as 0, "
        "whitespace collapsed) instead of the raw text; DataFlow hashes the raw text."
    )
    input_keys: list[str] | None = Field(None, description="As HashDeduplicateFilter's input_keys.")


@register
class CCNetDeduplicateFilter(HashDeduplicateFilter):
    """Drop exact duplicates by the first ``bit_length`` bits of the SHA-1 of the text (CCNet), across partitions."""

    name: ClassVar[str] = "CCNetDeduplicateFilter"
    description = "CCNet exact deduplication: SHA-1 prefix of the (optionally normalised) text, across partitions."
    Config = CCNetDeduplicateConfig

    def keys(self, batch: pa.Table) -> pa.Array:
        """The SHA-1 prefix of each row."""
        values = self.hashed_values(batch)
        if self.config.normalize:
            values = _as_binary(pa.chunked_array([ccnet_normalize(values.cast(pa.large_string()))]))
        size = self.config.bit_length // 8
        return pa.array([digest[:size] for digest in digests(values, "sha1")], pa.binary())


def ccnet_normalize(text: pa.Array) -> pa.Array:
    """CCNet's line normalisation, vectorised: lower case, no accents or punctuation, digits as 0, single spaces."""
    text = pc.utf8_lower(pc.utf8_normalize(text, "NFD"))
    text = pc.replace_substring_regex(text, r"\p{Mn}+|\p{P}+", "")
    text = pc.replace_substring_regex(text, r"[0-9]", "0")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
