"""Asset checks declared in specs: specs for Dagster, and their evaluation on a step's output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from dataflow_assets.engine.profile import OutputProfile
from dataflow_assets.spec.model import CheckSpec, StepSpec

DEFAULT_CHECKS = (CheckSpec(check="non_empty", severity="WARN"),)
STATEFUL_CHECKS = (CheckSpec(check="index_consistency", severity="WARN"),)  # steps with an index (dedup)
INDEX_COUNTS = ("kept_rows", "index_rows", "orphaned_provenance", "earlier_partitions_missing")


def step_checks(step: StepSpec, stateful: bool = False) -> list[CheckSpec]:
    """The checks of a step: the declared ones, plus a non-empty warning (and, for a step with an index,
    an index-consistency warning) unless declared."""
    declared = list(step.checks)
    names = {c.check_name for c in declared}
    defaults = DEFAULT_CHECKS + (STATEFUL_CHECKS if stateful else ())
    return declared + [c for c in defaults if c.check_name not in names]


def check_specs(key: AssetKey, checks: list[CheckSpec]) -> list[AssetCheckSpec]:
    """Dagster check specs, with thresholds in their metadata."""
    return [
        AssetCheckSpec(
            name=check.check_name,
            asset=key,
            blocking=check.is_blocking,
            description=describe(check),
            metadata={"severity": check.severity, **_thresholds(check)},
        )
        for check in checks
    ]


def _thresholds(check: CheckSpec) -> dict[str, Any]:
    return {k: v for k, v in (("min", check.min), ("max", check.max)) if v is not None}


def describe(check: CheckSpec) -> str:
    """One line saying what the check asserts."""
    band = f"in [{check.min if check.min is not None else '-inf'}, {check.max if check.max is not None else 'inf'}]"
    return {
        "non_empty": "the step keeps at least one row",
        "retention": f"kept / input rows {band}",
        "null_rate": f"null (or empty) rate of {check.columns} {band}",
        "metric": f"operator metric {check.metric!r} {band}",
        "drop_reason_share": f"share of input rows dropped for {check.reason!r} {band}",
        "index_consistency": "dedup index rows = kept rows, every dropped row's kept copy is indexed, and every "
        "earlier partition was indexed before this one (value: number of mismatches)",
    }[check.check]


@dataclass
class StepOutcome:
    """What a check can look at: the kept rows' profile, input size, drop counts and operator metrics."""

    profile: OutputProfile
    input_rows: int
    drop_counts: Mapping[str, int]
    metrics: Mapping[str, Any]


def written_first(check: CheckSpec) -> bool:
    """Whether a check measures what is known only once the step's write committed (its index's consistency)."""
    return check.check == "index_consistency"


def blank_columns(checks: list[CheckSpec]) -> list[str]:
    """The columns whose null-or-blank rate the checks measure (profiled as the output is written)."""
    return [column for check in checks if check.check == "null_rate" for column in check.columns]


def measure(check: CheckSpec, outcome: StepOutcome) -> float | None:
    """The number a check compares with its band (None when not measurable)."""
    if check.check == "non_empty":
        return float(outcome.profile.num_rows)
    if check.check == "retention":
        return outcome.profile.num_rows / outcome.input_rows if outcome.input_rows else 1.0
    if check.check == "null_rate":
        return max((outcome.profile.blank_rate(c) for c in check.columns), default=0.0)
    if check.check == "drop_reason_share":
        return outcome.drop_counts.get(check.reason or "", 0) / outcome.input_rows if outcome.input_rows else 0.0
    if check.check == "index_consistency":
        counts = {name: outcome.metrics.get(name) for name in INDEX_COUNTS}
        if not all(isinstance(value, int | float) for value in counts.values()):
            return None
        return float(abs(counts["kept_rows"] - counts["index_rows"]) + counts["orphaned_provenance"]
                     + counts["earlier_partitions_missing"])
    value = outcome.metrics.get(check.metric or "")
    return float(value) if isinstance(value, int | float) else None


def evaluate(key: AssetKey, check: CheckSpec, outcome: StepOutcome) -> AssetCheckResult:
    """Run one check on a step's outcome."""
    value = measure(check, outcome)
    if check.check == "non_empty":
        passed = value is not None and value > 0
    elif check.check == "index_consistency":
        passed = value == 0
    else:
        passed = value is not None and (check.min is None or value >= check.min) and (
            check.max is None or value <= check.max
        )
    return AssetCheckResult(
        asset_key=key,
        check_name=check.check_name,
        passed=passed,
        severity=AssetCheckSeverity.ERROR if check.severity == "ERROR" else AssetCheckSeverity.WARN,
        description=describe(check),
        metadata={"value": MetadataValue.float(value) if value is not None else MetadataValue.text("n/a"),
                  **_thresholds(check)},
    )
