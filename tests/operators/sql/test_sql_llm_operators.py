"""The text-to-SQL LLM operators: exact behaviour of their deterministic parts on hand-written input (SQL out of
a reply, the vote, the most central candidate, the difficulty label, the prompt), and their mechanics on the real
local model (few rows, short completions)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.sql.common import extract_sql
from operators.sql.cot import Text2SQLCoTGenerator, Text2SQLCoTVotingGenerator, vote
from operators.sql.execution_difficulty import GOLD_ERROR, SQLExecutionClassifier
from operators.sql.prompting import Text2SQLPromptGenerator
from operators.sql.questions import Text2SQLQuestionGenerator, most_central
from operators.sql.synthesis import SQLVariationGenerator
from resources.embedding import EmbeddingResource
from resources.llm import LLMResource
from resources.sql import SQLDatabaseResource
from tests.conftest import REPO

DATABASES = str(REPO / "data" / "databases")
COMPACT = {"schema_style": "compact", "sample_values": False}


@pytest.mark.parametrize(("reply", "sql"), [
    ("Here it is:\n```sql\nSELECT a FROM t;\n```", "SELECT a FROM t"),
    ("```sql\nSELECT 1\n```\nbetter:\n```sql\nSELECT 2\n```", "SELECT 2"),
    ("```\nWITH x AS (SELECT 1) SELECT * FROM x\n```", "WITH x AS (SELECT 1) SELECT * FROM x"),
    ("The answer is SELECT name FROM stops WHERE zone = 'A'\n\nThis lists the stops.",
     "SELECT name FROM stops WHERE zone = 'A'"),
    ("```sql\nSELECT 1; DROP TABLE books\n```", "SELECT 1"),
    ("```sql\nSELECT count(*) FROM trips", "SELECT count(*) FROM trips"),  # cut off by max_tokens
    ("I cannot answer that.", None), ("", None), (None, None),
])
def test_extract_sql(reply: str | None, sql: str | None) -> None:
    assert extract_sql(reply) == sql


def test_vote_takes_the_majority_result_and_breaks_ties_by_the_shortest_sql() -> None:
    assert vote([("r1", "SELECT a FROM t", "A"), ("r2", "SELECT b FROM t", "B"), ("r3", "SELECT  a FROM t", "A")]) \
        == "r1"
    assert vote([("long", "SELECT x FROM t WHERE 1", "A"), ("short", "SELECT y FROM t", "B")]) == "short"
    assert vote([("r1", "SELECT z", None)]) is None and vote([]) is None


def test_most_central_is_the_candidate_closest_to_the_others() -> None:
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32)
    assert most_central(vectors) == 1


def test_execution_labels_follow_the_thresholds() -> None:
    op = SQLExecutionClassifier()
    assert [op.label(k) for k in range(11)] == ["extra"] * 3 + ["hard"] * 3 + ["medium"] * 4 + ["easy"]
    with pytest.raises(ValueError, match="must exceed the last threshold"):
        SQLExecutionClassifier({"num_generations": 5})
    with pytest.raises(ValueError, match="one label more"):
        SQLExecutionClassifier({"difficulty_labels": ["a", "b"]})


def test_prompt_generator_builds_the_training_prompt() -> None:
    batch = pa.table({"question": ["Which stops have step-free access?", "x", None],
                      "db_id": ["transit", "atlantis", "transit"], "evidence": ["step-free means wheelchair_access = 1",
                                                                                None, None]})
    op = Text2SQLPromptGenerator({"schema_style": "compact", "sample_values": False})
    prompts = op.run(batch, OperatorContext(sql=SQLDatabaseResource(root=DATABASES).session())).table["prompt"]
    first, unknown, blank = prompts.to_pylist()
    assert first.startswith("Database engine: SQLite") and "stops(stop_id INTEGER PRIMARY KEY; name TEXT" in first
    assert "Question: Which stops have step-free access?" in first
    assert "Hints: step-free means wheelchair_access = 1" in first and unknown is None and blank is None


def context(llm: LLMResource, embed: bool = False) -> OperatorContext:
    return OperatorContext(llm=llm.session(), sql=SQLDatabaseResource(root=DATABASES).session(),
                           embed=EmbeddingResource().session() if embed else None)


def test_variations_questions_cot_and_voting_on_the_local_model(local_llm: LLMResource) -> None:
    seed = pa.table({"_row_id": [7], "db_id": ["clinic"], "SQL": ["SELECT name FROM medications WHERE unit_cost > 2"]})
    varied = SQLVariationGenerator({"num_variations": 2, "keep_original": True, "max_tokens": 80,
                                    "schema_style": "compact", "sample_values": False}).run(seed, context(local_llm))
    ids = varied.table["_row_id"].to_pylist()
    assert ids[0] == 70000 and set(ids[1:]) <= {70001, 70002} and varied.metrics["requests"] == 2
    assert varied.table["sql_variation_type"].to_pylist()[0] == "original"

    asked = Text2SQLQuestionGenerator({"question_candidates_num": 2, "max_tokens": 160, **COMPACT}).run(
        seed, context(local_llm, embed=True))
    question = asked.table["question"].to_pylist()[0]
    assert question and asked.table["question_type"].to_pylist()[0] in ("Formal", "Colloquial", "Imperative",
                                                                          "Interrogative", "Descriptive", "Concise",
                                                                          "Vague", "Metaphorical")
    rows = seed.append_column("question", pa.array([question])).append_column("evidence", pa.array([""]))
    cot = Text2SQLCoTGenerator({"sampling_num": 2, "max_tokens": 80, **COMPACT}).run(
        rows, context(local_llm))
    responses = cot.table["cot_responses"].to_pylist()[0]
    assert len(responses) == 2 and all(responses)
    voted = Text2SQLCoTVotingGenerator().run(cot.table, context(local_llm))
    choice = voted.table["cot_reasoning"].to_pylist()[0]
    assert choice is None or choice in responses
    assert voted.metrics["voted_rows"] == (choice is not None)


def test_execution_classifier_on_the_local_model(local_llm: LLMResource) -> None:
    batch = pa.table({"db_id": ["transit", "transit"], "SQL": ["SELECT count(*) FROM lines", "SELECT nope FROM lines"],
                      "prompt": ["How many lines are there? Table lines(line_id, name, mode, color). Answer in a "
                                 "```sql block.", "Anything"]})
    op = SQLExecutionClassifier({"num_generations": 2, "difficulty_thresholds": [0, 1],
                                 "difficulty_labels": ["hard", "medium", "easy"], "max_tokens": 60})
    ctx = context(local_llm)
    result = op.run(batch, ctx)
    labels = result.table["sql_execution_difficulty"].to_pylist()
    assert labels[0] in {"hard", "medium", "easy"} and labels[1] == GOLD_ERROR
    assert result.metrics["gold_success_rate"] == 0.5 and result.metrics["execution_gold_error"] == 1
    assert ctx.llm.stats.summary()["llm_requests"] == 2  # the failing gold costs no request
