"""Run a spec on one file without the UI, through the same Dagster definitions (``dataflow run``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import EventLogEntry, ExecuteInProcessResult
from dagster_duckdb import DuckDBResource

from dataflow_assets.assets.factory import partitions_name
from dataflow_assets.assets.project import build_definitions
from dataflow_assets.cli.run_files import out_kind, partition_key, publish, run_folder, stage_input
from dataflow_assets.engine.export import export_path
from dataflow_assets.ingest import prefetch as raw_prefetch
from dataflow_assets.ingest.run_tags import SOURCE_TAG
from dataflow_assets.spec.loader import load_spec
from resources.files import FileStoreResource
from resources.warehouse.connection import connect
from resources.warehouse.partitions import ingest_order
from resources.warehouse.step_store import step_stats


class PipelineRunError(RuntimeError):
    """A pipeline run that failed; the message is the failing steps' errors, ``error_class`` the first one's class."""

    def __init__(self, message: str, error_class: str = "") -> None:
        super().__init__(message)
        self.error_class = error_class


@dataclass
class RunSummary:
    """What a run produced: the export files and per-step counts."""

    pipeline: str
    partition: str
    outputs: dict[str, Path]
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exported_rows(self) -> int:
        """Rows in the final export."""
        return self.steps[-1]["output_rows"] if self.steps else 0


@dataclass(frozen=True)
class StepProgress:
    """One asset of a run materialized: how many of the run's assets are done, and the rows this one kept."""

    done: int
    total: int
    step: str
    rows: int | None


ProgressCallback = Callable[[StepProgress], None]


def _progress_watcher(report: ProgressCallback, total: int) -> Callable[[EventLogEntry, str], None]:
    """An event-log callback that reports each asset materialization of a run as it is stored."""
    done = 0

    def on_event(entry: EventLogEntry, _cursor: str) -> None:
        nonlocal done
        materialization = entry.asset_materialization
        if materialization is None:
            return
        done += 1
        rows = materialization.metadata.get("dagster/row_count")
        report(StepProgress(done, total, materialization.asset_key.path[-1], rows.value if rows else None))

    return on_event


QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SILENT_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the CLI prints its own line


def summary_table(steps: list[dict[str, Any]]) -> str:
    """Kept/dropped per step with the top drop reasons (and rows changed by refiners), as aligned text."""
    lines = [f"{'step':<34}{'input':>9}{'kept':>9}{'dropped':>9}{'changed':>9}  top drop reasons"]
    for row in steps:
        reasons = sorted(row["drop_counts"].items(), key=lambda kv: -kv[1])[:2]
        text = ", ".join(f"{reason} ({count})" for reason, count in reasons)
        changed = row["metrics"].get("rows_changed", "")
        lines.append(f"{row['step']:<34}{row['input_rows']:>9}{row['output_rows']:>9}{row['dropped_rows']:>9}"
                     f"{changed:>9}  {text}")
    return "\n".join(lines)


def failure_messages(result: ExecuteInProcessResult) -> list[str]:
    """The message of each failed step's own error, under Dagster's wrappers (``RawFileError: path:line:col: ...``)."""
    return [f"{name}: {message}" for name, message in failures(result)]


def failures(result: ExecuteInProcessResult) -> list[tuple[str, str]]:
    """Each failed step's own error (under Dagster's wrappers): its class name and its message."""
    found = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cls_name.startswith("Dagster") and error.cause is not None:
            error = error.cause
        if error is not None:
            message = error.message.strip()
            qualified = message.split(": ", 1)  # Dagster keeps "module.Class: text": the class once is enough
            if len(qualified) == 2 and qualified[0].split(".")[-1] == error.cls_name:
                message = qualified[1]
            found.append((error.cls_name, message))
    return found


def run_spec(
    spec_path: Path | str, input_path: Path | str, out: Path | str | None = None, warehouse: Path | str | None = None,
    progress: ProgressCallback | None = None, partition: str | None = None, debug: bool = False,
) -> RunSummary:
    """Materialize every asset of a spec for one input file in a temporary instance; move the export to ``out``.

    ``progress`` is called after each asset (raw, every step, export) is materialized. ``partition``: the partition
    key (default: the input's file name; see ``run_files`` for the rules). In a kept ``warehouse`` the run knows the
    partitions already there, in their ingest order, so global dedup compares this batch with them. Dagster's own
    log lines are shown only with ``debug``: a failure comes back as one ``PipelineRunError``.
    """
    spec = load_spec(spec_path)
    source = Path(input_path)
    if not source.is_file():
        raise FileNotFoundError(f"input file {source} does not exist")
    kind = out_kind(Path(out), source) if out else None
    with run_folder() as tmp_name, ExitStack() as cleanup:
        tmp = Path(tmp_name)
        files = FileStoreResource(raw_root=str(tmp / "raw"), export_root=str(tmp / "out"))
        database = DuckDBResource(database=str(Path(warehouse).resolve() if warehouse else tmp / "run.duckdb"))
        known = _known_partitions(database, spec.name) if warehouse else []
        partition = partition_key(source, partition, known)
        staged = stage_input(source.resolve(), files.raw_dir(spec.name), partition)
        raw_prefetch.prefetch(staged, spec.raw)  # parsed while Dagster builds its instance and the job
        cleanup.callback(raw_prefetch.discard, staged)
        defs = build_definitions([spec], database, files)
        # Dagster's storage modules (~1 s of imports) load here, as DagsterInstance.ephemeral() loads them: while the
        # raw file is parsed on the prefetch thread
        from dataflow_assets.cli.run_instance import run_instance

        with run_instance() as instance:  # in-memory run storage: no per-event fsync
            order = [name for name, _ in known if name != partition] + [partition]
            instance.add_dynamic_partitions(partitions_name(spec.name), order)  # the warehouse's ingest order
            run_id = str(uuid.uuid4())  # as Dagster makes run ids
            if progress is not None:  # the in-memory event log calls watchers synchronously, as events are stored
                instance.watch_event_logs(run_id, None, _progress_watcher(progress, len(spec.steps) + 2))
            result = defs.resolve_job_def(f"{spec.name}_job").execute_in_process(
                partition_key=partition, instance=instance, raise_on_error=False,
                run_config=QUIET_RUN_CONFIG if debug else SILENT_RUN_CONFIG,
                run_id=run_id, tags={SOURCE_TAG: str(source.resolve())},
            )
            if not result.success:
                found = [(name, message.replace(str(staged), str(source))) for name, message in failures(result)]
                raise PipelineRunError("\n".join(f"{name}: {text}" for name, text in found) or "run failed",
                                       found[0][0] if found else "")
        with connect(database) as conn:
            steps = step_stats(conn, spec.name, partition, spec.table_order)
        outputs = _move_outputs(files.export_dir(spec.name), partition, Path(out) if out else None, kind)
    return RunSummary(spec.name, partition, outputs, steps)


def _known_partitions(database: DuckDBResource, pipeline: str) -> list[tuple[str, str]]:
    """The warehouse's partitions of the pipeline (ingest order) and their sources; none for a new warehouse."""
    if not Path(database.database).is_file():
        return []
    with connect(database) as conn:
        return ingest_order(conn, pipeline)


def _move_outputs(export_dir: Path, partition: str, out: Path | None, kind: str | None) -> dict[str, Path]:
    """The run's export (in its temporary folder, removed after) and its card, published at ``out`` (see
    ``run_files.publish``: complete or not at all)."""
    if out is None or kind is None:
        return {}
    publish(export_path(export_dir, partition, kind), out)
    card = out.with_name(out.stem + ".card.md")
    publish(export_path(export_dir, partition, "card.md"), card)
    return {kind: out, "card": card}
