"""MinHash signatures and band hashes against a plain-Python statement of their definition, bit for bit,
for any cut of the batch into pieces and any thread count; and the numpy UTF-8 decoder against Python's."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from operators import parallel
from operators.text.dedup import minhash_lsh
from operators.text.dedup.minhash_lsh import band_hashes, signatures
from operators.text.kernels.minhash import EMPTY
from operators.text.scan.utf8 import codepoints

MASK64 = (1 << 64) - 1
BASE = 0x100000001B3
SPACES = {9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
TEXTS = ["", None, "a", "abcd", "abcde", "hello world", "héllo wörld 中文字符 😀😀 𝐀", "  two\u3000spaced\twords \n",
         "the cat sat on the mat " * 12, "x" * 300, "\x00\x7f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff"]


def mix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def poly(units: list[int]) -> int:
    value = 0
    for unit in units:
        value = (value * BASE + unit) & MASK64
    return value


def word_units(text: str) -> list[int]:
    """One hash per whitespace-separated word: mix of the sum of mix(code point * BASE + position)."""
    words, current = [], []
    for char in text + " ":
        if ord(char) in SPACES:
            if current:
                words.append(mix(sum(mix((ord(c) * BASE + i) & MASK64) for i, c in enumerate(current)) & MASK64))
            current = []
        else:
            current.append(char)
    return words


def reference(text: str | None, num_perm: int, n: int, words: bool = False) -> list[int]:
    """The signature by its definition: one-permutation MinHash of n-gram hashes, rotation densification."""
    units = word_units(text or "") if words else [ord(c) for c in text or ""]
    signature = [int(EMPTY)] * num_perm
    shingles = [units] if 0 < len(units) < n else [units[i: i + n] for i in range(len(units) - n + 1)]
    for shingle in shingles:
        value = mix(poly(shingle))
        slot = ((value >> 32) * num_perm) >> 32
        signature[slot] = min(signature[slot], value & 0xFFFFFFFF)
    if all(v == EMPTY for v in signature):
        return signature
    dense = list(signature)
    for j, value in enumerate(signature):
        if value == EMPTY:
            d = next(d for d in range(1, num_perm) if signature[(j + d) % num_perm] != EMPTY)
            dense[j] = (signature[(j + d) % num_perm] + d * 0x9E3779B1) & 0xFFFFFFFF
    return dense


def random_texts(count: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)
    alphabet = list("abc de\n\t") + ["é", "数", "😀", "\u3000", "\U0010fffd"]
    texts: list[str | None] = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(count)]
    texts[1] = None
    return texts


@pytest.mark.parametrize(("num_perm", "n", "words"), [(128, 5, False), (100, 3, False), (64, 1, False),
                                                      (32, 9, False), (128, 2, True), (48, 1, True)])
def test_signatures_follow_the_definition(num_perm, n, words):
    texts = TEXTS + random_texts(40, n)
    got = signatures(pa.array(texts, pa.string()), num_perm, n, words=words)
    assert got.dtype == np.uint32 and got.shape == (len(texts), num_perm)
    for row, text in enumerate(texts):
        assert got[row].tolist() == reference(text, num_perm, n, words), text


@pytest.mark.parametrize("threads", ["1", "2", "4"])
def test_signatures_do_not_depend_on_pieces_or_threads(monkeypatch, threads):
    texts = random_texts(300, 11)
    column = pa.chunked_array([pa.array(texts[:120]), pa.array(texts[120:])])
    whole = signatures(column, 128, 5)
    monkeypatch.setenv(parallel.THREADS_ENV, threads)
    monkeypatch.setattr(minhash_lsh, "CHUNK_UNITS", 64)  # dozens of pieces, some of one row
    assert np.array_equal(signatures(column, 128, 5), whole)
    assert np.array_equal(signatures(column.slice(37, 200), 128, 5), whole[37:237])
    assert np.array_equal(signatures(column.cast(pa.large_string()), 128, 5), whole)


def test_band_hashes_follow_the_definition():
    rng = np.random.default_rng(2)
    signature = rng.integers(0, 2**32, (300, 128), dtype=np.uint64).astype(np.uint32)
    for bands, rows in [(9, 13), (16, 8), (1, 128), (3, 50)]:  # 3 x 50 runs past the signature: short last band
        got = band_hashes(signature, bands, rows, chunk=64)
        for r in (0, 1, 150, 299):
            values = [int(v) for v in signature[r]]
            expected = [mix(poly([b + 1, *values[b * rows: (b + 1) * rows]])) for b in range(bands)]
            assert got[r].view(np.uint64).tolist() == expected


@pytest.mark.parametrize("large", [False, True])
def test_utf8_decoder_matches_python(large):
    texts = random_texts(500, 3) + TEXTS
    array = pa.array(texts, pa.large_string() if large else pa.string())
    for part in (array, array.slice(13, 300), array.slice(500)):
        points, lengths = codepoints(part)
        values = [text or "" for text in part.to_pylist()]
        assert lengths.tolist() == [len(text) for text in values]
        assert points.tolist() == [ord(char) for text in values for char in text]
