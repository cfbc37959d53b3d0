"""The ``dataflow`` command line: list operators and specs, run a spec on a file, show a step's rows.

Every failure ends in one line per error on stderr (``error: …``) and an exit status from ``cli/errors.py``; the
traceback only with ``dataflow --debug``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from dataflow_assets.cli.errors import CliError, ExitStatus, as_cli_error
from dataflow_assets.spec.catalog import spec_paths
from dataflow_assets.spec.loader import SpecError, load_spec
from operators.registry import all_operators, describe


class DataflowGroup(click.Group):
    """Runs a command; turns what it raises into ``error:`` lines and the exit status (not with ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        """The command's result, or one line per error and the matching exit status."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if (ctx.obj or {}).get("debug"):
                raise
            failure = as_cli_error(error)
            for line in str(failure).splitlines() or [type(error).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(failure.status)


@click.group(cls=DataflowGroup)
@click.option("--debug", is_flag=True, help="On failure, show the traceback and Dagster's own log.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """dataflow-dagster: LLM data preparation pipelines as Dagster assets."""
    ctx.obj = {"debug": debug}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON (name, kind, columns, config).")
@click.argument("name", required=False)
def operators(as_json: bool, name: str | None) -> None:
    """List registered operators, or describe one by NAME."""
    described = [describe(cls) for cls in all_operators().values() if name in (None, cls.name)]
    if name and not described:
        raise CliError(f"unknown operator {name!r}", ExitStatus.UNKNOWN)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for op in described:
        fields = op["config_schema"].get("properties", {})
        config = ", ".join(f"{k}={v.get('default', '?')}" for k, v in fields.items())
        click.echo(f"{op['name']:<40} {op['kind']:<9} in={op['inputs']} out={op['outputs']}")
        click.echo(f"    {op['description']}")
        click.echo(f"    module: {op['module']}")
        if config:
            click.echo(f"    config: {config}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def specs(paths: tuple[Path, ...]) -> None:
    """Validate pipeline specs (default: every built-in and DATAFLOW_SPECS_DIR spec)."""
    failed = False
    for path in paths or tuple(spec_paths()):
        try:
            spec = load_spec(path)
        except SpecError as exc:
            failed = True
            click.echo(str(exc), err=True)
            continue
        click.echo(f"ok  {spec.name:<28} {len(spec.steps):>3} steps  {path}")
    if failed:
        raise click.exceptions.Exit(ExitStatus.BAD_SPEC)


@main.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the exported rows (.jsonl or .parquet); a .card.md is written beside it.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the step tables in this DuckDB file, deduplicating against its partitions (default: a "
                   "temporary one; $DATAFLOW_WAREHOUSE is not used unless passed here).")
@click.option("--partition", default=None,
              help="The partition key (default: the input's file name); name apart two inputs of one name.")
@click.pass_context
def run(ctx: click.Context, spec: Path, input_file: Path, out: Path, warehouse: Path | None,
        partition: str | None) -> None:
    """Run SPEC on INPUT_FILE through the Dagster definitions, without the UI."""
    from dataflow_assets.cli.errors import status_of
    from dataflow_assets.cli.runner import PipelineRunError, StepProgress, run_spec, summary_table

    def report(step: StepProgress) -> None:
        rows = "" if step.rows is None else f"{step.rows:>9} rows"
        click.echo(f"[{step.done:>{len(str(step.total))}}/{step.total}] {step.step:<34}{rows}", err=True)

    if warehouse is None and os.environ.get("DATAFLOW_WAREHOUSE"):
        click.echo("note: a temporary warehouse is used; pass --warehouse \"$DATAFLOW_WAREHOUSE\" to keep the step "
                   "tables there", err=True)
    try:
        summary = run_spec(spec, input_file, out, warehouse, progress=report, partition=partition,
                           debug=ctx.obj["debug"])
    except SpecError as exc:
        raise CliError(str(exc), ExitStatus.BAD_SPEC) from exc
    except PipelineRunError as exc:
        raise CliError(str(exc), status_of(exc.error_class, str(exc))) from exc
    click.echo(summary_table(summary.steps))
    click.echo(f"exported {summary.exported_rows} rows -> " + ", ".join(str(p) for p in summary.outputs.values()))


@main.command()
@click.argument("pipeline")
@click.argument("step")
@click.option("--partition", default=None, help="Only this partition (raw file name); default: every partition.")
@click.option("--dropped", is_flag=True, help="Show the rows the step dropped, with their `_drop_reason`.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="Rows to print at most.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file (default: $DATAFLOW_WAREHOUSE or data/warehouse/dataflow.duckdb).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per row instead of a table.")
def show(pipeline: str, step: str, partition: str | None, dropped: bool, limit: int, warehouse: Path | None,
         as_json: bool) -> None:
    """Print stored rows of PIPELINE's STEP (``raw``, a step name) from the DuckDB warehouse."""
    from dataflow_assets.cli.show import ShowError, format_rows, read_step_rows
    from resources.warehouse import DEFAULT_WAREHOUSE

    database = warehouse or Path(os.environ.get("DATAFLOW_WAREHOUSE", DEFAULT_WAREHOUSE))
    if not database.is_file():
        raise CliError(f"no warehouse at {database}: materialize a pipeline first (or pass --warehouse)",
                       ExitStatus.WAREHOUSE)
    try:
        rows = read_step_rows(database, pipeline, step, partition, dropped, limit)
    except ShowError as exc:
        raise CliError(str(exc), ExitStatus.UNKNOWN) from exc
    if as_json:
        for row in rows.table.to_pylist():
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    click.echo(format_rows(rows.table))
    click.echo(f"({rows.table.num_rows} of {rows.total} rows of {rows.relation})")


if __name__ == "__main__":
    main()
