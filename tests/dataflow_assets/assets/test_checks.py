"""Asset checks from specs: measured values, bands, severities, and blocking checks that stop downstream steps."""

from __future__ import annotations

import pyarrow as pa
from dagster import AssetCheckSeverity, AssetKey

from dataflow_assets.assets.checks import StepOutcome, evaluate, step_checks
from dataflow_assets.engine.profile import profile_of
from dataflow_assets.spec.loader import parse_spec
from dataflow_assets.spec.model import CheckSpec, StepSpec
from tests.conftest import Project

KEY = AssetKey(["p", "s"])
OUTCOME = StepOutcome(
    profile=profile_of(pa.table({"text": ["a", "", None, "d"]}), blank_columns=["text"]), input_rows=10,
    drop_counts={"too_short": 5, "colon_end": 1}, metrics={"rows_changed": 3},
)


def test_each_check_kind_measures_and_compares() -> None:
    cases = [
        (CheckSpec(check="retention", min=0.3, max=0.5), True, 0.4),
        (CheckSpec(check="retention", min=0.5), False, 0.4),
        (CheckSpec(check="null_rate", columns=["text"], max=0.25), False, 0.5),  # null and "" both count
        (CheckSpec(check="drop_reason_share", reason="too_short", max=0.5), True, 0.5),
        (CheckSpec(check="metric", metric="rows_changed", max=2), False, 3.0),
        (CheckSpec(check="non_empty"), True, 4.0),
    ]
    for check, passed, value in cases:
        result = evaluate(KEY, check, OUTCOME)
        assert result.passed is passed, check
        assert result.metadata["value"].value == value, check


def test_severity_blocking_and_default_checks() -> None:
    warn = evaluate(KEY, CheckSpec(check="retention", min=0.9, severity="WARN"), OUTCOME)
    assert warn.severity == AssetCheckSeverity.WARN and not warn.passed
    assert CheckSpec(check="retention").is_blocking and not CheckSpec(check="retention", severity="WARN").is_blocking
    step = StepSpec(name="s", op="WordNumberFilter", checks=[CheckSpec(check="retention", min=0.1)])
    assert [c.check_name for c in step_checks(step)] == ["retention", "non_empty"]
    assert not evaluate(KEY, CheckSpec(check="metric", metric="missing", max=1), OUTCOME).passed


def test_failed_blocking_check_stops_downstream_steps(project: Project) -> None:
    spec = parse_spec("""\
name: guarded
raw:
  columns: {text: string}
steps:
  - name: long_only
    op: WordNumberFilter
    config: {min_words: 1000}
    checks:
      - {check: non_empty, severity: ERROR}
  - name: lowercase
    op: LowercaseRefiner
""")
    project.add_raw("guarded", "b.jsonl", '{"text": "too short to keep"}\n')
    result = project.materialize(spec, "b.jsonl")
    assert not result.success
    done = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert done == {"raw", "long_only"}  # lowercase and export never ran
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "non_empty"]
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
