"""A hand-made corpus with known duplicate clusters, and recall/precision of a dedup result against it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SYLLABLES = [c + v for c in "bcdfgklmnprstvz" for v in "aeiou"]


@dataclass
class Corpus:
    """Documents in order, each with its cluster (the index of the original) and how it was made."""

    texts: list[str] = field(default_factory=list)
    cluster: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)

    def add(self, text: str, cluster: int | None, kind: str) -> None:
        self.cluster.append(len(self.texts) if cluster is None else cluster)
        self.texts.append(text)
        self.kind.append(kind)


def _vocabulary(rng: np.random.Generator, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES, rng.integers(1, 4))))
    return sorted(words)


def _sentences(rng: np.random.Generator, words: list[str], count: int) -> list[str]:
    return [" ".join(rng.choice(words, rng.integers(8, 16))).capitalize() + "." for _ in range(count)]


def make_corpus(originals: int = 60, seed: int = 7) -> Corpus:
    """Originals (~140-word distinct documents) and, for each one of three, a planted copy.

    Copies: ``exact`` (verbatim), ``edit`` (one word replaced, one inserted), ``reorder`` (two sentences
    swapped), ``boilerplate`` (the same body with a different one-line header and footer). Their Jaccard
    similarity of character 5-grams with the original is above 0.9; unrelated originals share almost nothing.
    """
    rng = np.random.default_rng(seed)
    words = _vocabulary(rng)
    corpus = Corpus()
    bodies: list[list[str]] = []
    kinds = ["exact", "edit", "reorder", "boilerplate"]
    for index in range(originals):
        sentences = _sentences(rng, words, 12)
        bodies.append(sentences)
        corpus.add(" ".join(sentences), None, "original")
        if index % 3 == 2:  # copies of earlier originals, interleaved
            target = int(rng.integers(0, len(bodies)))
            original = corpus.texts.index(" ".join(bodies[target]))
            corpus.add(_copy(rng, words, bodies[target], kinds[index // 3 % 4]), original, kinds[index // 3 % 4])
    return corpus


def _copy(rng: np.random.Generator, words: list[str], sentences: list[str], kind: str) -> str:
    if kind == "exact":
        return " ".join(sentences)
    if kind == "reorder":
        swapped = list(sentences)
        swapped[2], swapped[6] = swapped[6], swapped[2]
        return " ".join(swapped)
    if kind == "boilerplate":
        header = f"Posted on day {rng.integers(1, 28)}."
        return f"{header} {' '.join(sentences)} Share this."
    tokens = " ".join(sentences).split(" ")
    for position in rng.choice(len(tokens), 1, replace=False):
        tokens[position] = str(rng.choice(words))
    tokens.insert(int(rng.integers(0, len(tokens))), str(rng.choice(words)))
    return " ".join(tokens)


def score(corpus: Corpus, dropped: dict[int, int]) -> tuple[float, float]:
    """Recall and precision of dropped rows (position -> position of the copy it duplicates)."""
    should = {i for i, c in enumerate(corpus.cluster) if c != i}
    right = {i for i, of in dropped.items() if i in should and corpus.cluster[of] == corpus.cluster[i]}
    recall = len(right) / len(should) if should else 1.0
    precision = len(right) / len(dropped) if dropped else 1.0
    return recall, precision
