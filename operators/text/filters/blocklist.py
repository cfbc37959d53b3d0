"""DataFlow's ``BlocklistFilter``: drops texts with more than ``threshold`` words from a language's blocklist.

Same name, parameters and defaults as ``dataflow.operators.general_text`` (``blocklist_filter.py``); the lists ship in
``operators/text/data/blocklist_<language>.txt``. Words are ``str.split()`` words or the built-in tokenizer's tokens.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.rule_base import EMPTY, Checks, RuleFilter, empty_rows, python_lower
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import SCAN_SLICE_BYTES
from operators.text.scan.vocabulary import member_counts
from operators.text.scan.word_ids import encode_spans, ngram_hashes

_DATA = resources.files("operators.text").joinpath("data")


@lru_cache(maxsize=8)
def load_blocklist(language: str) -> frozenset[str]:
    """The lowercased entries of operators/text/data/blocklist_<language>.txt ('#' lines are comments)."""
    text = _DATA.joinpath(f"blocklist_{language}.txt").read_text(encoding="utf-8")
    entries = (line.strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry and not entry.startswith("#"))


@lru_cache(maxsize=8)
def _single_words(language: str) -> frozenset[str]:
    """The one-word blocklist entries."""
    return frozenset(entry for entry in load_blocklist(language) if len(entry.split()) == 1)


def blocklist_languages() -> list[str]:
    """Languages with a shipped blocklist."""
    names = [item.name for item in _DATA.iterdir()]
    return sorted(n[10:-4] for n in names if n.startswith("blocklist_") and n.endswith(".txt"))


class BlocklistConfig(OperatorConfig):
    language: str = Field("en", description="Blocklist to use: operators/text/data/blocklist_<language>.txt.")
    threshold: int = Field(1, description="Keep a text while its count of blocklisted words is at most this.")
    use_tokenizer: bool = Field(
        False,
        description="Split words with the built-in tokenizer (punctuation as separate tokens, NLTK "
        "word_tokenize stand-in, works offline) instead of on whitespace.",
    )
    match_phrases: bool = Field(
        False,
        description="Also count multi-word entries ('ball gag') as runs of consecutive words. DataFlow "
        "compares single words only, so its multi-word entries never match.",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in blocklist_languages():
            raise ValueError(
                f"no blocklist for language {value!r}; available: {', '.join(blocklist_languages())}"
            )
        return value

    @model_validator(mode="after")
    def _load(self) -> BlocklistConfig:
        load_blocklist(self.language)
        return self


@register
class BlocklistFilter(RuleFilter):
    """Drop texts with more than ``threshold`` blocklisted words (lowercased, whole words) and empty texts."""

    name: ClassVar[str] = "BlocklistFilter"
    description = (
        "Drops texts containing more than threshold words from a language's blocklist, and empty texts."
    )
    drop_reasons = ("empty_text", "blocklist_count_above_threshold")
    Config = BlocklistConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        hits = self.hits(text)
        return [(empty_rows(text), EMPTY), (hits > self.config.threshold, "blocklist_count_above_threshold")]

    def hits(self, text: pa.ChunkedArray) -> np.ndarray:
        """Blocklisted words (and, with ``match_phrases``, phrases) per row."""
        scan = ByteScan.of(python_lower(text))
        starts, ends = scan.tokens if self.config.use_tokenizer else scan.words
        if len(starts) == 0:
            return np.zeros(len(text), dtype=np.int64)
        counts = scan.per_row(starts) if self.config.use_tokenizer else scan.word_counts
        hits = member_counts(scan, starts, ends, counts, _single_words(self.config.language))
        if self.config.match_phrases:
            ids, dictionary = encode_spans(scan.data, ~scan.space, starts, ends - starts)
            entries = load_blocklist(self.config.language)
            hits += self._phrase_hits(dictionary, ids, scan.row_of(starts), entries, len(text))
        return hits

    @staticmethod
    def _phrase_hits(
        dictionary: pa.Array, ids: np.ndarray, rows: np.ndarray, entries: frozenset[str], num_rows: int
    ) -> np.ndarray:
        """Occurrences of multi-word entries as runs of consecutive words, per row."""
        hits = np.zeros(num_rows, dtype=np.int64)
        by_length: dict[int, list[np.ndarray]] = {}
        for entry in entries:  # a Python loop over the (small) blocklist, not over rows
            parts = entry.split()
            if len(parts) > 1:
                found = pc.index_in(
                    pa.array([p.encode("utf-8") for p in parts], pa.binary()), value_set=dictionary
                )
                if found.null_count == 0:  # every word of the phrase occurs in this slice
                    by_length.setdefault(len(parts), []).append(found.to_numpy().astype(np.int64))
        for n, phrases in by_length.items():
            wanted = np.concatenate([ngram_hashes(p, np.zeros(n, dtype=np.int64), n)[0] for p in phrases])
            h, r = ngram_hashes(ids, rows, n)
            hits += np.bincount(r[np.isin(h, wanted)], minlength=num_rows)
        return hits
