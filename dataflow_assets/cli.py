"""The ``dataflow`` command line: list operators and specs, run a spec on a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dataflow_assets.catalog import spec_paths
from dataflow_assets.spec_loader import SpecError, load_spec
from operators.registry import all_operators, describe


@click.group()
def main() -> None:
    """dataflow-dagster: LLM data preparation pipelines as Dagster assets."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON (name, kind, columns, config).")
@click.argument("name", required=False)
def operators(as_json: bool, name: str | None) -> None:
    """List registered operators, or describe one by NAME."""
    described = [describe(cls) for cls in all_operators().values() if name in (None, cls.name)]
    if name and not described:
        raise click.ClickException(f"unknown operator {name!r}")
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for op in described:
        fields = op["config_schema"].get("properties", {})
        config = ", ".join(f"{k}={v.get('default', '?')}" for k, v in fields.items())
        click.echo(f"{op['name']:<40} {op['kind']:<9} in={op['inputs']} out={op['outputs']}")
        click.echo(f"    {op['description']}")
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
        sys.exit(1)


@main.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the exported rows (.jsonl or .parquet); a .card.md is written beside it.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the step tables in this DuckDB file (default: a temporary one).")
def run(spec: Path, input_file: Path, out: Path, warehouse: Path | None) -> None:
    """Run SPEC on INPUT_FILE through the Dagster definitions, without the UI."""
    from dataflow_assets.runner import PipelineRunError, run_spec, summary_table

    try:
        summary = run_spec(spec, input_file, out, warehouse)
    except (SpecError, PipelineRunError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary_table(summary.steps))
    click.echo(f"exported {summary.exported_rows} rows -> " + ", ".join(str(p) for p in summary.outputs.values()))


if __name__ == "__main__":
    main()
