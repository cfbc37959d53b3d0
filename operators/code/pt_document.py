"""Code-pretraining filters on whole documents: document quality (size, repetition, brackets, capitals, entropy),
file type against content, and a generic score threshold."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from operators.base import Filter, OperatorConfig, OperatorContext, Verdict
from operators.code.pt_common import ScoreBandConfig, band_verdict, optional_strings, strings, to_numpy
from operators.registry import register
from operators.text.filters.rule_base import decide

WORD = re.compile(r"\w+")
REPETITION_SLICE = 1000  # rows whose repetition rules are computed together
DEFAULT_THRESHOLDS: dict[str, float] = {
    "min_num_chars": 1, "max_num_chars": 100_000, "min_num_words": 1, "max_num_words": 100_000,
    "max_frac_duplicate_lines": 1.0, **{f"max_frac_duplicate_{n}gram": 1.0 for n in range(2, 11)},
    "max_frac_curly_bracket": 1.0, "max_frac_all_caps_words": 1.0, "min_entropy_unigram": 0.0,
}


class DocumentQualityConfig(ScoreBandConfig):
    """DataFlow's thresholds dict (keys as DataFlow's; unknown keys are an error)."""

    thresholds: dict[str, float] = Field(default_factory=dict, description="Overrides of the default thresholds")

    @field_validator("thresholds")
    @classmethod
    def _known_keys(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DEFAULT_THRESHOLDS))
        if unknown:
            raise ValueError(f"unknown thresholds {unknown} (known: {sorted(DEFAULT_THRESHOLDS)})")
        return value


def duplicate_share(items: list[Any]) -> float:
    """Share of items that occur more than once (the per-row reference of ``repeated_share``)."""
    counts = Counter(items)
    repeated = sum(n for n in counts.values() if n > 1)
    return repeated / len(items) if items else 0.0


def repetition_reason(text: str, limits: dict[str, float]) -> str | None:
    """The first repetition rule one document breaks, row by row (the reference ``repetition_reasons`` is tested
    against): duplicate lines, unigram entropy, duplicate n-grams."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if duplicate_share(lines) > limits["max_frac_duplicate_lines"]:
        return "duplicate_lines"
    words = WORD.findall(text)
    counts = Counter(words)
    entropy = -sum(n / len(words) * math.log2(n / len(words)) for n in counts.values()) if words else 0.0
    if entropy < limits["min_entropy_unigram"]:
        return "low_entropy"
    for n in range(2, 11):
        limit = limits[f"max_frac_duplicate_{n}gram"]
        if limit < 1.0 and len(words) >= n:
            grams = list(zip(*(words[i:] for i in range(n)), strict=False))
            if duplicate_share(grams) > limit:
                return f"duplicate_{n}gram"
    return None


def _tokens(lists: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Row of each non-empty item of a list column, and the item as an integer code (equal items, equal codes)."""
    flat, owner = pc.list_flatten(lists), to_numpy(pc.list_parent_indices(lists)).astype(np.int64)
    present = to_numpy(pc.greater(pc.utf8_length(flat), 0)).astype(bool)
    codes = to_numpy(pc.dictionary_encode(flat.filter(pa.array(present))).indices).astype(np.int64)
    return owner[present], codes


def pair_codes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Dense integer codes of the pairs ``(first[i], second[i])``: equal pairs, equal codes (exact)."""
    if not len(first):
        return first
    combined = first * (int(second.max()) + 1) + second
    return to_numpy(pc.dictionary_encode(pa.array(combined)).indices).astype(np.int64)  # hashing, not sorting


def repeated_share(keys: np.ndarray, owner: np.ndarray, rows: int) -> np.ndarray:
    """Per row: share of its items (small integer codes that include the owner row) that occur more than once."""
    total = np.bincount(owner, minlength=rows)
    if not len(keys):
        return np.zeros(rows)
    counts = np.bincount(keys)  # keys are dense codes from ``pair_codes``
    repeated = np.bincount(owner, weights=counts[keys] > 1, minlength=rows)
    return repeated / np.maximum(total, 1)


def repetition_reasons(texts: pa.Array, limits: dict[str, float]) -> np.ndarray:
    """``repetition_reason`` for every text at once: lines and words split by Arrow, counted by numpy."""
    rows = len(texts)
    lines = pc.split_pattern(texts, "\n")
    trimmed = pc.utf8_trim_whitespace(pc.list_flatten(lines))
    line_owner = to_numpy(pc.list_parent_indices(lines)).astype(np.int64)
    line_owner, line_codes = _tokens(pa.ListArray.from_arrays(_offsets(line_owner, rows), trimmed))
    checks = [(repeated_share(pair_codes(line_owner, line_codes), line_owner, rows)
               > limits["max_frac_duplicate_lines"], "duplicate_lines")]
    owner, codes = _tokens(pc.split_pattern_regex(texts, r"[^\p{L}\p{N}_]+"))
    total = np.bincount(owner, minlength=rows)
    words = pair_codes(owner, codes)
    counts = np.bincount(words)
    first = np.zeros(len(counts), dtype=np.int64)
    first[words] = owner  # the row of each distinct (row, word)
    share = counts / np.maximum(total[first], 1)
    entropy = np.bincount(first, weights=-share * np.log2(share), minlength=rows)
    checks.append((entropy < limits["min_entropy_unigram"], "low_entropy"))
    wanted = [n for n in range(2, 11) if limits[f"max_frac_duplicate_{n}gram"] < 1.0]
    grams = words  # grams[i]: code of the (row, n words from position i) window; windows across rows are masked
    for n in range(2, max(wanted, default=1) + 1):
        grams = pair_codes(grams[:-1], codes[n - 1:]) if len(grams) > 1 else grams[:0]
        if n not in wanted:
            continue
        start = np.flatnonzero(owner[: len(grams)] == owner[n - 1:])
        checks.append((repeated_share(grams[start], owner[start], rows) > limits[f"max_frac_duplicate_{n}gram"],
                       f"duplicate_{n}gram"))
    return np.asarray(decide(rows, checks).reason, dtype=object)


def _offsets(owner: np.ndarray, rows: int) -> pa.Array:
    """List offsets for items whose rows are ``owner`` (sorted), ``rows`` rows in all."""
    return pa.array(np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=rows))]).astype(np.int32))


@register
class CodeDocumentQualityFilter(Filter):
    """Drop documents outside the size band, or too repetitive, bracket-heavy, shouting or low in entropy."""

    name = "CodeDocumentQualityFilter"
    description = ("Drops documents by size (chars, words), duplicate lines and n-grams, curly-bracket share, "
                   "all-caps words and unigram entropy, with DataFlow's thresholds dict.")
    inputs = ("text",)
    drop_reasons = ("num_chars", "num_words", "curly_brackets", "all_caps_words", "duplicate_lines", "low_entropy",
                    *(f"duplicate_{n}gram" for n in range(2, 11)), "score_out_of_band")
    Config = DocumentQualityConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Cheap column-wide rules first; the repetition rules only for rows still kept."""
        limits = DEFAULT_THRESHOLDS | self.config.thresholds
        text = strings(batch, self.col("text"))
        chars = to_numpy(pc.utf8_length(text))
        words = to_numpy(pc.count_substring_regex(text, r"\w+"))
        curly = to_numpy(pc.count_substring(text, "{")) + to_numpy(pc.count_substring(text, "}"))
        caps = to_numpy(pc.count_substring_regex(text, r"\b[\p{Lu}\p{N}_]*\p{Lu}[\p{Lu}\p{N}_]*\b"))
        single = to_numpy(pc.count_substring_regex(text, r"\b\p{Lu}\b"))  # one-letter capitals do not count
        rules = decide(batch.num_rows, [
            ((chars < limits["min_num_chars"]) | (chars > limits["max_num_chars"]), "num_chars"),
            ((words < limits["min_num_words"]) | (words > limits["max_num_words"]), "num_words"),
            (curly / np.maximum(chars, 1) > limits["max_frac_curly_bracket"], "curly_brackets"),
            ((caps - single) / np.maximum(words, 1) > limits["max_frac_all_caps_words"], "all_caps_words"),
        ])
        reasons = np.asarray(rules.reason, dtype=object)
        alive = np.flatnonzero(rules.keep)
        texts = text.combine_chunks().take(pa.array(alive, pa.int64()))
        for start in range(0, len(alive), REPETITION_SLICE):  # slices keep the code arrays in cache (2.5x faster)
            reasons[alive[start:start + REPETITION_SLICE]] = repetition_reasons(
                texts.slice(start, REPETITION_SLICE), limits)
        passes = np.asarray([reason is None for reason in reasons])
        return band_verdict(self.config, passes, reasons)


class FileTypeConfig(OperatorConfig):
    """Per-file-type rules (DataFlow's constants, as settings)."""

    size_check_types: list[str] = Field(["text", "json", "yaml", "web ontology language", "graphviz", "dot"],
                                        description="File types dropped over max_lines lines")
    max_lines: int = Field(512, ge=1)
    min_html_visible_chars: int = Field(100, ge=0, description="HTML: fewest visible text characters")
    min_html_visible_ratio: float = Field(0.2, ge=0, le=1, description="HTML: fewest visible per code character")
    text_names: list[str] = Field(["readme", "notes", "todo", "description", "cmakelists"],
                                  description="Plain-text files kept by name (without extension), or 'requirement'")


@register
class CodeFileTypeContentFilter(Filter):
    """Drop data files that are too long, HTML with little visible text, and plain-text files not named as docs."""

    name = "CodeFileTypeContentFilter"
    description = ("Drops text/JSON/YAML/graph files over 512 lines, HTML whose visible text is under 100 "
                   "characters or 20% of the file, and Text files not named README/NOTES/TODO/… or *requirement*.")
    inputs = ("text",)
    drop_reasons = ("too_many_lines", "html_little_visible_text", "text_file_name")
    Config = FileTypeConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Use ``line_count`` / ``visible_text_length`` / ``total_code_length`` when the rows carry them, else
        measure them from the text (lines; characters outside tags, scripts and styles, whitespace collapsed)."""
        cfg = self.config
        text = strings(batch, self.col("text"))
        kind = np.char.lower(optional_strings(batch, "filetype").astype(str))
        names = np.char.lower(optional_strings(batch, "filename").astype(str))
        lines = self._numbers(batch, "line_count", lambda: to_numpy(pc.count_substring(text, "\n")) + 1)
        total = self._numbers(batch, "total_code_length", lambda: to_numpy(pc.utf8_length(text)))
        visible = self._numbers(batch, "visible_text_length", lambda: _visible_length(text))
        stem = np.asarray([name.rsplit(".", 1)[0] for name in names], dtype=object)
        named = np.isin(stem, cfg.text_names) | (np.char.find(names.astype(str), "requirement") >= 0)
        html_ok = (visible >= cfg.min_html_visible_chars) & (visible / np.maximum(total, 1)
                                                             >= cfg.min_html_visible_ratio)
        return decide(batch.num_rows, [
            (np.isin(kind, cfg.size_check_types) & (lines > cfg.max_lines), "too_many_lines"),
            ((kind == "html") & ~html_ok, "html_little_visible_text"),
            ((kind == "text") & ~named, "text_file_name"),
        ])

    @staticmethod
    def _numbers(batch: pa.Table, column: str, measure: Any) -> np.ndarray:
        if column in batch.column_names:
            return to_numpy(pc.fill_null(batch.column(column).cast(pa.float64()), 0.0))
        return np.asarray(measure(), dtype=np.float64)


def _visible_length(text: pa.ChunkedArray) -> np.ndarray:
    """Characters of HTML text outside scripts, styles and tags, runs of whitespace counted once."""
    body = pc.replace_substring_regex(text, r"(?is)<(script|style)\b.*?</(script|style)>", " ")
    body = pc.replace_substring_regex(pc.replace_substring_regex(body, r"<[^>]*>", " "), r"\s+", " ")
    return to_numpy(pc.utf8_length(pc.utf8_trim_whitespace(body)))


class GenericScoreConfig(OperatorConfig):
    """DataFlow's threshold and comparison."""

    score_threshold: float = Field(8, description="The threshold the score is compared with")
    filter_method: Literal["greater", "greater_equal", "less", "less_equal", "equal"] = "greater_equal"


@register
class CodeGenericScoreFilter(Filter):
    """Keep rows whose numeric score compares with the threshold as configured (default: score >= 8)."""

    name = "CodeGenericScoreFilter"
    description = "Keeps rows whose score column compares with score_threshold by filter_method (default >= 8)."
    inputs = ("score",)
    drop_reasons = ("score_fails_threshold", "missing_score")
    Config = GenericScoreConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Compare every score at once; a null or non-numeric score is dropped as ``missing_score``."""
        cfg = self.config
        if self.col("score") not in batch.column_names:
            return Verdict(keep=np.zeros(batch.num_rows, dtype=bool), reason="missing_score")
        column = batch.column(self.col("score"))
        scores = to_numpy(pc.fill_null(pc.cast(column, pa.float64(), safe=False), np.nan)) \
            if column.type != pa.string() else np.asarray(
                [float(v) if _is_number(v) else np.nan for v in column.to_pylist()])
        compare = {"greater": np.greater, "greater_equal": np.greater_equal, "less": np.less,
                   "less_equal": np.less_equal, "equal": np.equal}[cfg.filter_method]
        missing = np.isnan(scores)
        with np.errstate(invalid="ignore"):
            fails = ~compare(scores, cfg.score_threshold)
        return decide(batch.num_rows, [(missing, "missing_score"), (fails, "score_fails_threshold")])


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
