"""Steps sharing one op (a segment): ops and pools, one asset materialized alone, a failure mid-segment."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa
from dagster import AssetKey, AssetSelection, materialize

from dataflow_assets.assets.factory import build_pipeline
from dataflow_assets.assets.segments import filter_chains, pipeline_nodes, segment_op_name, segments
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec, parse_spec
from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind
from operators.registry import register
from operators.text.filters.rule_base import Checks, RuleFilter
from tests.conftest import Project


class FaultConfig(OperatorConfig):
    """Which document makes the step fail."""

    fail_on: str = "boom boom"


@register
class FailOnTextRefiner(Mapper):
    """Fault injection (a fake, says so): raises when a document equals ``fail_on``; otherwise upper-cases."""

    name = "TestFailOnTextRefiner"
    kind = OperatorKind.REFINE
    inputs = ("text",)
    outputs = ("shout",)
    Config = FaultConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        texts = self.text(batch).to_pylist()
        if self.config.fail_on in texts:
            raise RuntimeError(f"injected fault on {self.config.fail_on!r}")
        return {"shout": pa.array([text.upper() for text in texts])}


@register
class FailOnTextRuleFilter(RuleFilter):
    """Fault injection (a fake, says so): a rule filter whose checks raise on ``fail_on``; keeps every row."""

    name = "TestFailOnTextRuleFilter"
    Config = FaultConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        if self.config.fail_on in text.to_pylist():
            raise RuntimeError(f"injected fault on {self.config.fail_on!r}")
        return []


SPEC = parse_spec("""\
name: segmented
raw:
  columns: {text: string}
steps:
  - name: long_enough
    op: WordNumberFilter
    config: {min_words: 2}
  - name: shout
    op: TestFailOnTextRefiner
  - name: lowercase
    op: LowercaseRefiner
""")
ROWS = '{"text": "Hello there world"}\n{"text": "one"}\n{"text": "Good Morning all"}\n'


def stored(project: Project, table: str) -> list[tuple]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql(f'SELECT * FROM segmented."{table}" ORDER BY ALL').fetchall()


def test_steps_between_llm_steps_share_one_op() -> None:
    spec = load_spec(builtin_spec("text_sft_synthesis"))
    groups = segments(pipeline_nodes(spec))
    assert [node.name for group in groups for node in group] == ["raw", *[s.name for s in spec.steps], "export"]
    calls_llm = [any("llm" in node.needs for node in group) for group in groups]
    assert any(calls_llm) and not all(calls_llm)
    for group, llm in zip(groups, calls_llm, strict=True):
        assert len(group) == 1 or not llm  # an LLM step is alone
    for left, right in zip(calls_llm, calls_llm[1:], strict=False):
        assert left or right  # two CPU segments are never next to each other: they would be one
    pools = {asset.op.name: asset.op.pool for asset in build_pipeline(spec).assets}
    assert pools == {segment_op_name(spec, group): "llm" if llm else "duckdb"
                     for group, llm in zip(groups, calls_llm, strict=True)}

    [whole] = build_pipeline(load_spec(builtin_spec("text_pretrain_filter"))).assets
    assert whole.op.name == "text_pretrain_filter__raw__to__export" and whole.can_subset


def test_one_asset_of_a_segment_materializes_alone(project: Project) -> None:
    project.add_raw(SPEC.name, "b.jsonl", ROWS)
    assert project.materialize(SPEC, "b.jsonl").success
    before = {table: stored(project, table) for table in ("shout", "lowercase", "long_enough__dropped")}
    [segment] = build_pipeline(SPEC).assets
    result = materialize([segment], selection=AssetSelection.assets(AssetKey(["segmented", "shout"])),
                         partition_key="b.jsonl", instance=project.instance,
                         resources=dict(project.definitions([SPEC]).resources or {}), raise_on_error=False)
    assert result.success, failure_messages(result)
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == ["shout"]
    assert {e.asset_key.path[-1] for e in result.get_asset_check_evaluations()} == {"shout"}
    assert stored(project, "shout") == before["shout"]  # read its input back, wrote the same
    assert stored(project, "long_enough__dropped") == before["long_enough__dropped"]  # before it: untouched
    assert stored(project, "lowercase") == []  # after it: computed from shout's previous write, so not current
    assert project.materialize(SPEC, "b.jsonl").success
    assert {table: stored(project, table) for table in before} == before


def test_a_failing_step_leaves_the_steps_before_it_written_and_reported(project: Project) -> None:
    project.add_raw(SPEC.name, "b.jsonl", ROWS)
    assert project.materialize(SPEC, "b.jsonl").success
    old_shout = stored(project, "shout")
    project.add_raw(SPEC.name, "b.jsonl", ROWS + '{"text": "boom boom"}\n{"text": "last two words"}\n')
    result = project.materialize(SPEC, "b.jsonl")
    assert not result.success
    assert "injected fault on 'boom boom'" in "\n".join(failure_messages(result))
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == ["raw", "long_enough"]
    assert len(stored(project, "raw")) == 5  # the steps before the fault were written...
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        kept = conn.sql('SELECT text FROM segmented.long_enough ORDER BY _row_id').fetchall()
    assert kept == [("Hello there world",), ("Good Morning all",), ("boom boom",), ("last two words",)]
    assert old_shout and stored(project, "shout") == []  # ...the failing one and those after it: not materialized,
    assert stored(project, "lowercase") == []  # never their contents from the file's previous version


CHAIN_SPEC = parse_spec("""\
name: chained
raw:
  columns: {text: string}
steps:
  - name: long_enough
    op: WordNumberFilter
    config: {min_words: 2}
  - name: tripwire
    op: TestFailOnTextRuleFilter
  - name: punctuated
    op: NoPuncFilter
    config: {threshold: 3}
""")


def test_rule_filters_answer_as_one_chain_and_a_fault_in_it_fails_its_own_step(project: Project) -> None:
    assert {head: [node.name for node in chain] for head, chain in filter_chains(pipeline_nodes(CHAIN_SPEC)).items()
            } == {"long_enough": ["long_enough", "tripwire", "punctuated"]}
    project.add_raw(CHAIN_SPEC.name, "b.jsonl", ROWS + '{"text": "no commas in these many words"}\n')
    first = project.materialize(CHAIN_SPEC, "b.jsonl")
    assert first.success, failure_messages(first)
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        kept = conn.sql("SELECT text FROM chained.punctuated ORDER BY _row_id").fetchall()
        drops = conn.sql("SELECT step, dropped_rows FROM _dataflow.step_stats WHERE pipeline = 'chained' "
                         "ORDER BY step").fetchall()
    assert kept == [("Hello there world",), ("Good Morning all",)]
    assert drops == [("long_enough", 1), ("punctuated", 1), ("raw", 0), ("tripwire", 0)]

    project.add_raw(CHAIN_SPEC.name, "b.jsonl", ROWS + '{"text": "boom boom"}\n')
    result = project.materialize(CHAIN_SPEC, "b.jsonl")
    assert not result.success
    assert "injected fault on 'boom boom'" in "\n".join(failure_messages(result))
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == ["raw", "long_enough"]
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.sql("SELECT count(*) FROM chained.long_enough").fetchall() == [(3,)]  # written...
        assert kept and conn.sql("SELECT text FROM chained.punctuated").fetchall() == []  # ...later: not current


def test_a_failing_blocking_check_mid_chain_leaves_the_later_filters_unwritten(project: Project) -> None:
    spec = parse_spec("""\
name: guarded_chain
raw:
  columns: {text: string}
steps:
  - name: long_enough
    op: WordNumberFilter
    config: {min_words: 2}
  - name: very_long
    op: WordNumberFilter
    config: {min_words: 1000}
    checks:
      - {check: non_empty, severity: ERROR}
  - name: punctuated
    op: NoPuncFilter
""")
    assert [node.name for node in filter_chains(pipeline_nodes(spec))["long_enough"]] == [
        "long_enough", "very_long", "punctuated"]
    project.add_raw(spec.name, "b.jsonl", ROWS)
    result = project.materialize(spec, "b.jsonl")
    assert not result.success
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == [
        "raw", "long_enough", "very_long"]
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        written = conn.sql("SELECT step FROM _dataflow.step_stats WHERE pipeline = 'guarded_chain' ORDER BY step")
        assert written.fetchall() == [("long_enough",), ("raw",), ("very_long",)]  # punctuated: not written
