"""Deterministic synthetic web corpus for the text_pretrain_filter pipeline (benchmarks, demo samples, tests).

    python -m benchmarks.corpus --docs 100000 --seed 0 --out PATH.jsonl

One JSON object per line: ``{"id", "text", "url", "source", "lang", "dup_of"}``. ``source`` names the generator
that made the row (see ``MIX``), ``lang`` is "en", "zh", "de", "ru" or null (no natural language), and
``dup_of`` is the ``id`` of the original for ``exact_duplicate`` / ``near_duplicate`` rows, else null.
The same (docs, seed) gives byte-identical output; all randomness comes from one numpy PCG64 generator, the
text from hand-written vocabularies (nothing is downloaded). Documents are generated and written one chunk at a
time, so memory stays bounded (a 4,096-document reservoir of duplicate candidates) for any corpus size.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import corpus_dirty as dirty
from benchmarks import corpus_noise as noise
from benchmarks.corpus_english import article
from benchmarks.corpus_foreign import foreign
from benchmarks.corpus_rand import Rand

# Share of all documents per source. Exact duplicates copy an earlier document's text verbatim; near-duplicates
# are small word-level edits of one (both point at it through dup_of).
MIX: dict[str, float] = {
    "article": 0.48,          # clean multi-paragraph English, 3-40 sentences (~1 KB), 1.5% long tail to ~20 KB
    "markup": 0.07,           # clean article plus HTML tags, links, bare URLs, emoji, stray whitespace
    "boilerplate": 0.055,     # nav menus, cookie banners, "Read more..." teasers, bullet lists, footers
    "spam": 0.045,            # ALL CAPS ads, repeated n-grams, blocklisted adult/pharma words, keywords, hashtags
    "non_english": 0.045,     # Chinese, German, Russian news snippets
    "code": 0.025,            # JavaScript / CSS snippets, "enable JavaScript" notices
    "watermark": 0.025,       # article with "Copyright ..." / "Confidential ..." notice
    "short": 0.025,           # UI strings, single sentences, chat of tiny words
    "lorem": 0.02,            # lorem ipsum placeholder text
    "html_entity": 0.02,      # article with undecoded &nbsp; &amp; &quot;
    "pii": 0.02,              # ID-card / phone numbers in forms or articles
    "empty": 0.02,            # "" and whitespace-only
    "mojibake": 0.02,         # U+FFFD / box characters or UTF-8-read-as-Latin-1 quotes
    "junk": 0.02,             # base64 blobs, hex digests, number tables
    "colon_end": 0.01,        # post cut off after a line ending with ":"
    "exact_duplicate": 0.05,  # verbatim copy of an earlier document
    "near_duplicate": 0.05,   # small edit of an earlier document
}
LANG = {"article": "en", "markup": "en", "boilerplate": "en", "spam": "en", "watermark": "en", "short": "en",
        "html_entity": "en", "pii": "en", "mojibake": "en", "colon_end": "en", "lorem": None, "code": None,
        "empty": None, "junk": None}
MAKERS: dict[str, Callable[[Rand], str]] = {
    "article": article, "markup": dirty.markup, "boilerplate": noise.boilerplate, "spam": noise.spam,
    "code": noise.code, "watermark": dirty.watermark, "short": noise.short, "lorem": noise.lorem,
    "html_entity": dirty.entities, "pii": dirty.pii, "empty": noise.empty, "mojibake": dirty.mojibake,
    "junk": noise.junk, "colon_end": dirty.colon_end,
}
SECTIONS = ["news", "life", "guides", "blog", "opinion", "community", "reviews", "forum"]
RESERVOIR = 4096
CHUNK = 2000


def _cumulative() -> tuple[list[str], list[float]]:
    names, edges, total = list(MIX), [], 0.0
    for name in names:
        total += MIX[name]
        edges.append(total)
    edges[-1] = 1.0
    return names, edges


def generate(docs: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield ``docs`` documents, deterministic for the seed."""
    r = Rand(seed)
    names, edges = _cumulative()
    pool: list[tuple[int, str, str, str | None]] = []  # (id, text, url, lang) of duplicate candidates
    originals = 0
    for doc_id in range(docs):
        source = names[r.weighted(edges)]
        if source in ("exact_duplicate", "near_duplicate") and pool:
            orig_id, orig_text, orig_url, lang = r.pick(pool)
            if source == "exact_duplicate":
                text = orig_text
                page = orig_url + r.pick(["?utm_source=newsletter", "?amp=1", "#comments", "?page=1"])
                page = page if r.chance(0.5) else orig_url.replace("https://", "https://mirror.", 1)
            else:
                text, page = dirty.near_duplicate(r, orig_text), dirty.url(r, r.pick(SECTIONS), doc_id)
            yield {"id": doc_id, "text": text, "url": page, "source": source, "lang": lang, "dup_of": orig_id}
            continue
        if source in ("exact_duplicate", "near_duplicate"):
            source = "article"
        if source == "non_english":
            lang, text = foreign(r)
        else:
            lang, text = LANG[source], MAKERS[source](r)
        page = dirty.url(r, r.pick(SECTIONS), doc_id)
        if len(text.strip()) >= 20:  # reservoir sampling (algorithm R) keeps memory bounded
            originals += 1
            if len(pool) < RESERVOIR:
                pool.append((doc_id, text, page, lang))
            else:
                slot = r.below(originals)
                if slot < RESERVOIR:
                    pool[slot] = (doc_id, text, page, lang)
        yield {"id": doc_id, "text": text, "url": page, "source": source, "lang": lang, "dup_of": None}


def write_corpus(path: Path, docs: int, seed: int = 0) -> Counter[str]:
    """Write the corpus as JSONL (UTF-8, one document per line), streaming in chunks; counts per source."""
    counts: Counter[str] = Counter()
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        lines: list[str] = []
        for doc in generate(docs, seed):
            counts[doc["source"]] += 1
            lines.append(encode(doc))
            if len(lines) >= CHUNK:
                handle.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            handle.write("\n".join(lines) + "\n")
    return counts


def main(argv: list[str] | None = None) -> None:
    """CLI: write the corpus and print a one-line summary plus counts per source to stderr."""
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic web corpus as JSONL.")
    parser.add_argument("--docs", type=int, default=100_000, help="number of documents (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl path")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = write_corpus(args.out, args.docs, args.seed)
    seconds = time.perf_counter() - start
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {args.docs:,} docs ({size_mb:.1f} MB) to {args.out} in {seconds:.1f}s", file=sys.stderr)
    print("  " + ", ".join(f"{name}={counts[name]}" for name in MIX if counts[name]), file=sys.stderr)


if __name__ == "__main__":
    main()
