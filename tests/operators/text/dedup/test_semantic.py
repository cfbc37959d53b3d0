"""SemDeduplicateFilter on hand-made paraphrase clusters: in one batch, and across partitions through Dagster."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from dagster import instance_for_test

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.base import OperatorContext
from operators.text.dedup.semantic import SemDeduplicateFilter, band_codes, bucket_pairs, vector_rows
from resources.embedding import EmbeddingResource
from tests.conftest import Project

SPEC = load_spec(builtin_spec("text_semantic_dedup"))
CLUSTERS = [  # paraphrases: MiniLM cosine 0.91-0.996 within a cluster (eps 0.1 ⇒ duplicates at cosine ≥ 0.9)
    ["How do I reset my password if I forgot it?", "How can I reset my password if I have forgotten it?",
     "how do i reset my password if i forgot it", "If I forgot my password, how do I reset it?"],
    ["The quick brown fox jumps over the lazy dog.", "The quick brown fox jumped over the lazy dog.",
     "A quick brown fox jumps over the lazy dog!"],
    ["Preheat the oven to 180 degrees and bake the cake for 35 minutes.",
     "Preheat your oven to 180 degrees, then bake the cake for 35 minutes.",
     "Bake the cake for 35 minutes in an oven preheated to 180 degrees."],
    ["The central bank raised interest rates by half a percentage point on Tuesday.",
     "On Tuesday the central bank raised interest rates by half a percentage point.",
     "The central bank increased interest rates by half a percentage point on Tuesday."],
    ["Drinking enough water every day is important for your health.",
     "Drinking enough water each day is important for your health.",
     "It is important for your health to drink enough water every day."],
]
SINGLES = [  # distinct texts, some on the same topics (cosine ≤ 0.81 with any cluster): never dropped
    "The central bank cut interest rates by half a percentage point on Tuesday.", "How do I change my username?",
    "Preheat the oven to 220 degrees and roast the chicken for an hour.",
    "The lazy dog slept in the sun all afternoon.",
    "Drinking coffee every day may be bad for your sleep.", "Our team won the football match three to one.",
    "Python lists are mutable; tuples are not.", "The train to Berlin leaves at nine in the morning.",
    "She planted tomatoes and basil in the garden.", "Mount Everest is the highest mountain on Earth.",
]
CLUSTER_OF = {text: number for number, cluster in enumerate(CLUSTERS) for text in cluster}
# Two batches in ingest order: the first has each cluster's original (and one in-batch paraphrase), the second
# the other paraphrases, so most duplicates of the second batch are of rows stored by the first.
FIRST = [CLUSTERS[0][0], SINGLES[0], CLUSTERS[1][0], CLUSTERS[0][1], SINGLES[1], CLUSTERS[2][0], SINGLES[2],
         CLUSTERS[3][0], SINGLES[3], CLUSTERS[4][0], SINGLES[4]]
SECOND = [CLUSTERS[0][2], SINGLES[5], CLUSTERS[1][1], CLUSTERS[2][1], SINGLES[6], CLUSTERS[3][1], CLUSTERS[4][2],
          SINGLES[7], CLUSTERS[0][3], CLUSTERS[1][2], SINGLES[8], CLUSTERS[2][2], CLUSTERS[3][2], CLUSTERS[4][1],
          SINGLES[9]]


def score(pairs: dict[str, str], texts: list[str]) -> tuple[float, float]:
    """Precision (dropped text is in the same cluster as its kept copy) and recall (non-first copies dropped)."""
    right = sum(CLUSTER_OF.get(dropped, -1) == CLUSTER_OF.get(kept, -2) for dropped, kept in pairs.items())
    first: dict[int, str] = {}
    for text in texts:
        first.setdefault(CLUSTER_OF.get(text, -1), text)
    copies = [text for text in texts if text in CLUSTER_OF and first[CLUSTER_OF[text]] != text]
    return right / max(len(pairs), 1), sum(text in pairs for text in copies) / len(copies)


def test_paraphrase_clusters_in_one_batch() -> None:
    texts = FIRST + SECOND
    table = pa.table({"_row_id": np.arange(1, len(texts) + 1), "text": texts})
    session = EmbeddingResource().session()
    result = SemDeduplicateFilter({"eps": 0.1}).run(table, OperatorContext(embed=session))
    by_id = dict(zip(table["_row_id"].to_pylist(), texts, strict=True))
    pairs = {text: by_id[of] for text, of in zip(result.dropped["text"].to_pylist(),
                                                 result.dropped["duplicate_of_row_id"].to_pylist(), strict=True)}
    assert score(pairs, texts) == (1.0, 1.0)
    assert sorted(result.table["text"].to_pylist()) == sorted([c[0] for c in CLUSTERS] + SINGLES)
    assert set(result.dropped["_drop_reason"].to_pylist()) == {"semantic_duplicate"}
    assert result.side_tables["index"].num_rows == result.table.num_rows == len(CLUSTERS) + len(SINGLES)
    # DataFlow's default eps 0.05 (cosine ≥ 0.95) keeps the looser paraphrases: fewer drops, none wrong
    strict = SemDeduplicateFilter().run(table, OperatorContext(embed=session))
    assert 0 < strict.dropped_count < result.dropped_count
    assert all(CLUSTER_OF.get(t, -1) >= 0 for t in strict.dropped["text"].to_pylist())


def test_candidates_are_bounded_per_bucket_not_all_pairs() -> None:
    bands = pa.table({"_probe": np.arange(100, dtype=np.int64), "band": np.zeros(100, np.int32),
                      "hash": np.zeros(100, np.int64)})
    a, b = bucket_pairs(bands)
    assert len(a) == sum(min(rank, 16) for rank in range(100)) and (b < a).all() and (b < 16).all()
    vectors = np.eye(4, dtype=np.float32)
    assert band_codes(vectors, 3, 5, 0).shape == (4, 3) and (band_codes(vectors, 3, 5, 0) < 32).all()
    with pytest.raises(ValueError, match="re-materialize"):
        vector_rows(pa.array([b"\0" * 12]), 4)


def jsonl(texts: list[str]) -> str:
    return "".join(json.dumps({"text": text}) + "\n" for text in texts)


def query(project: Project, sql: str) -> list[tuple]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def dropped_pairs(project: Project) -> dict[str, tuple[str, str]]:
    """Every dropped text -> (its partition, the text of the kept copy it duplicates)."""
    rows = query(project, "SELECT d.text, d._partition, r.text FROM text_semantic_dedup.semantic_dedup__dropped d "
                          "JOIN text_semantic_dedup.raw r ON r._partition = d.duplicate_of_partition AND "
                          "r._row_id = d.duplicate_of_row_id")
    return {text: (partition, kept) for text, partition, kept in rows}


def materialize(project: Project, partition: str) -> dict:
    result = project.materialize(SPEC, partition)
    assert result.success, failure_messages(result)
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[("semantic_dedup", "index_consistency")]
    return {e.materialization.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def two_partitions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, dict]]:
    with instance_for_test() as instance:
        project = Project(tmp_path_factory.mktemp("semdedup"), instance, embed=EmbeddingResource())
        project.add_raw(SPEC.name, "first.jsonl", jsonl(FIRST))
        project.add_raw(SPEC.name, "second.jsonl", jsonl(SECOND))
        metadata = {name: materialize(project, name) for name in ("first.jsonl", "second.jsonl")}
        yield project, metadata


def test_second_partition_is_deduplicated_against_the_first(two_partitions: tuple[Project, dict]) -> None:
    project, metadata = two_partitions
    pairs = dropped_pairs(project)
    assert score({text: kept for text, (_, kept) in pairs.items()}, FIRST + SECOND) == (1.0, 1.0)
    assert pairs[CLUSTERS[0][1]][0] == "first.jsonl"  # the in-batch paraphrase of the first batch
    crossing = [text for text in SECOND if text in CLUSTER_OF]
    assert all(text in pairs for text in crossing)
    second = metadata["second.jsonl"]["semantic_dedup"]
    assert second["metric/duplicates_of_earlier_partitions"].value == len(crossing)
    assert second["metric/embed_texts"].value == len(SECOND) and second["metric/embed_model"].value
    kept = dict(query(project, "SELECT _partition, count(*) FROM text_semantic_dedup.semantic_dedup GROUP BY 1"))
    index = dict(query(project, "SELECT _partition, count(*) FROM text_semantic_dedup.semantic_dedup__index "
                                "GROUP BY 1"))
    assert kept == index == {"first.jsonl": len(FIRST) - 1, "second.jsonl": len(SINGLES) // 2}


def test_rematerializing_is_idempotent(two_partitions: tuple[Project, dict]) -> None:
    project, _ = two_partitions
    tables = ("semantic_dedup", "semantic_dedup__dropped", "semantic_dedup__index", "semantic_dedup__bands")

    def snapshot() -> tuple:
        counts = tuple(query(project, f"SELECT count(*) FROM text_semantic_dedup.{t}")[0][0] for t in tables)
        return counts, dropped_pairs(project)

    before = snapshot()
    materialize(project, "second.jsonl")
    materialize(project, "first.jsonl")
    assert snapshot() == before
