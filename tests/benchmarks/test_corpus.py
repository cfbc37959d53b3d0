"""The synthetic web corpus (benchmarks/corpus.py) and the demo samples made from it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.corpus import MIX, generate, write_corpus
from tests.conftest import REPO, SAMPLES

FIELDS = {"id", "text", "url", "source", "lang", "dup_of"}
SAMPLE_SEEDS = {"web_sample.jsonl": (300, 1), "web_sample_2.jsonl": (200, 3)}  # as in data/samples/README.md


def shingles(text: str, k: int = 5) -> set[str]:
    return {text[i:i + k] for i in range(max(1, len(text) - k + 1))}


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return list(generate(4000, seed=11))


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_corpus(a, 1500, seed=5)
    write_corpus(b, 1500, seed=5)
    write_corpus(c, 1500, seed=6)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    texts_a = [json.loads(line)["text"] for line in a.read_text(encoding="utf-8").splitlines()]
    texts_c = [json.loads(line)["text"] for line in c.read_text(encoding="utf-8").splitlines()]
    assert sum(x == y for x, y in zip(texts_a, texts_c, strict=True)) < 100  # only empties/stock strings collide


def test_cli_writes_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "cli.jsonl"
    done = subprocess.run([sys.executable, "-m", "benchmarks.corpus", "--docs", "700", "--seed", "2", "--out",
                           str(out)], cwd=REPO, capture_output=True, text=True, check=True)
    assert "wrote 700 docs" in done.stderr
    write_corpus(tmp_path / "api.jsonl", 700, seed=2)
    assert out.read_bytes() == (tmp_path / "api.jsonl").read_bytes()


def test_every_line_is_a_json_object_with_string_text(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_corpus(path, 2000, seed=0)
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert len(lines) == 2000
    for number, line in enumerate(lines):
        record = json.loads(line)
        assert set(record) == FIELDS
        assert isinstance(record["text"], str) and isinstance(record["url"], str)
        assert record["id"] == number and record["url"].startswith("https://")
        assert record["source"] in MIX


def test_mix_has_every_category_in_roughly_the_documented_share(docs: list[dict]) -> None:
    counts = Counter(d["source"] for d in docs)
    assert set(counts) == set(MIX)
    for source, share in MIX.items():
        assert abs(counts[source] / len(docs) - share) < max(0.35 * share, 0.006), source


def test_duplicates_point_at_earlier_originals(docs: list[dict]) -> None:
    by_id = {d["id"]: d for d in docs}
    exact = [d for d in docs if d["source"] == "exact_duplicate"]
    near = [d for d in docs if d["source"] == "near_duplicate"]
    assert len(exact) > 100 and len(near) > 100
    for d in exact + near:
        original = by_id[d["dup_of"]]
        assert original["id"] < d["id"] and original["dup_of"] is None
        assert d["lang"] == original["lang"]
    assert all(d["text"] == by_id[d["dup_of"]]["text"] for d in exact)
    for d in near:
        original = by_id[d["dup_of"]]["text"]
        assert d["text"] != original
        edited, source = shingles(d["text"]), shingles(original)
        assert len(edited & source) / min(len(edited), len(source)) > 0.5  # a small edit, not a new document
    assert all(d["dup_of"] is None for d in docs if d["source"] not in ("exact_duplicate", "near_duplicate"))


def test_empty_short_and_non_english_texts_exist(docs: list[dict]) -> None:
    empties = [d["text"] for d in docs if d["source"] == "empty"]
    assert "" in empties and any(t and not t.strip() for t in empties)
    assert all(not t.strip() for t in empties)
    assert all(len(d["text"].split()) < 30 for d in docs if d["source"] == "short")
    foreign = {d["lang"]: d["text"] for d in docs if d["source"] == "non_english"}
    assert set(foreign) == {"zh", "de", "ru"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in foreign["zh"])
    assert any("\u0400" <= ch <= "\u04ff" for ch in foreign["ru"])


def test_articles_are_clean_and_noise_carries_its_markers(docs: list[dict]) -> None:
    articles = [d["text"] for d in docs if d["source"] == "article"]
    sizes = [len(t.encode()) for t in articles]
    assert 700 < sum(sizes) / len(sizes) < 1500 and max(sizes) > 5000  # ~1 KB average, long tail
    for text in articles:
        assert text[-1] in ".?!", text[-80:]
        assert not any(marker in text for marker in ("Copyright", "Confidential", "&", "{", "<", "http", "\ufffd"))
        assert "lorem ipsum" not in text.lower() and "javascript" not in text.lower()

    def share(source: str, pred: Callable[[str], bool]) -> float:
        texts = [d["text"] for d in docs if d["source"] == source]
        return sum(map(pred, texts)) / len(texts)

    assert share("lorem", lambda t: "lorem ipsum" in t.lower()) == 1.0
    assert share("html_entity", lambda t: "&" in t and ";" in t) == 1.0
    assert share("markup", lambda t: "<" in t or "http" in t or any(ord(c) > 0x2700 for c in t)) > 0.9
    assert share("watermark", lambda t: "Copyright" in t or "Confidential" in t or "Watermark" in t) > 0.5
    assert share("code", lambda t: "{" in t or "javascript" in t.lower()) == 1.0
    assert share("spam", lambda t: t.isupper() or "viagra" in t or "porn" in t or "#" in t or len(t) > 300) > 0.8
    assert share("colon_end", lambda t: t.endswith(":")) == 1.0


def test_generation_is_lazy_and_fast() -> None:
    stream = generate(10**9, seed=0)  # a billion documents: only works if nothing is materialised up front
    assert next(stream)["id"] == 0
    start = time.perf_counter()
    assert sum(1 for _ in generate(10_000, seed=1)) == 10_000
    assert time.perf_counter() - start < 10  # ~0.5 s normally; 100k docs take a few seconds


@pytest.mark.parametrize("name", sorted(SAMPLE_SEEDS))
def test_samples_are_the_documented_command_output(tmp_path: Path, name: str) -> None:
    docs, seed = SAMPLE_SEEDS[name]
    write_corpus(tmp_path / name, docs, seed)
    assert (SAMPLES / name).read_bytes() == (tmp_path / name).read_bytes(), (
        f"data/samples/{name} is stale: python -m benchmarks.corpus --docs {docs} --seed {seed} "
        f"--out data/samples/{name}")
