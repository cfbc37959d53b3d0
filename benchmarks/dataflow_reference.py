"""DataFlow's own operators on our benchmark corpus, for the side-by-side in ``make bench``.

Run with the separate venv (``make bench-dataflow-venv``), never with ours:

    .venv-dataflow/bin/python -m benchmarks.dataflow_reference benchmarks/out/corpus_100000_0.jsonl

For each step of ``text_pretrain_filter.yaml`` whose ``op`` is a DataFlow class, it builds DataFlow's operator with
the step's config and runs the chain the way DataFlow's pipelines do (``FileStorage`` with a JSONL snapshot per step,
``op.run(storage=storage.step(), input_key=...)``). It prints one JSON line: per operator rows/s and kept rows, two
variants (the first 8 operators; every operator DataFlow has) with chain rows/s, peak RSS and snapshot size, and notes
on missing operators and parameter differences. It imports only the stdlib, PyYAML (an open-dataflow dependency, to
read the spec) and ``dataflow``; nothing of this project, so our own venv never needs open-dataflow.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.process_memory import memory_mb
from dataflow_assets.spec.catalog import builtin_spec

SPEC = builtin_spec("text_pretrain_filter")
FIRST_N = 8  # "DataFlow's 8-operator CPU pipeline": DataFlow names none; its PTTextFilter_CPUPipeline runs 23
DATAFLOW_MODULES = ("dataflow.operators.general_text", "dataflow.operators.text_pt")
KNOWN_DIFFERENCES = [
    "MinHashDeduplicateFilter / HashDeduplicateFilter: DataFlow deduplicates within the one input file; ours are "
    "global across partitions (the same scope on a single-partition corpus like this one).",
    "MinHashDeduplicateFilter: DataFlow's is datasketch MinHash-LSH fed one character 5-gram at a time and keeps "
    "every LSH candidate as a duplicate; ours bands for recall and verifies candidates by signature agreement, with "
    "its own hash family, so rows near the 0.9 threshold can land differently (both are probabilistic).",
    "Every DataFlow filter adds a `<name>_label` column and writes a full JSONL snapshot of the surviving rows per "
    "step (FileStorage); ours store a filter's drop list only and keep the text once.",
    "Step order follows our spec (near-dedup first, RemoveExtraSpacesRefiner last); DataFlow's own "
    "PTTextFilter_CPUPipeline runs the three refiners first and has no HashDeduplicateFilter.",
]


def _quiet_dataflow() -> None:
    """Keep DataFlow's INFO log and tqdm bars off stdout/stderr, so our JSON line is the output."""
    os.environ.setdefault("DF_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("TQDM_DISABLE", "1")


def _offline_nltk(cache_dir: Path) -> None:
    """BlocklistFilter looks for NLTK's ``punkt`` at init and downloads it if absent, though with
    ``use_tokenizer: false`` (the spec's setting) it never tokenizes. Point NLTK_DATA at an empty stand-in folder so
    no download is tried; a step that really tokenizes then fails with NLTK's own LookupError."""
    if "NLTK_DATA" in os.environ:
        return
    stand_in = cache_dir / "nltk_data"
    (stand_in / "tokenizers" / "punkt").mkdir(parents=True, exist_ok=True)
    os.environ["NLTK_DATA"] = str(stand_in)


def load_steps(spec_path: Path) -> list[dict[str, Any]]:
    """The spec's steps (name, op, config, input column)."""
    import yaml

    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return [{"step": raw["name"], "op": raw["op"], "config": raw.get("config") or {},
             "input": (raw.get("inputs") or {}).get("text", "text")} for raw in spec["steps"]]


def count_rows(corpus: Path, columns: set[str]) -> int:
    """Rows of the JSONL corpus; a line that is not a JSON object with ``columns`` raises naming file:line:column."""
    rows = 0
    with corpus.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{corpus}:{number}:{error.colno}: not JSON ({error.msg})") from None
            absent = sorted(columns - set(record)) if isinstance(record, dict) else sorted(columns)
            if absent:
                raise ValueError(f"{corpus}:{number}:1: no column {', '.join(absent)}")
            rows += 1
    return rows


def find_operator(name: str) -> type | None:
    """DataFlow's operator class of that name, or None where DataFlow has none."""
    import importlib

    for module_name in DATAFLOW_MODULES:
        try:
            return getattr(importlib.import_module(module_name), name)
        except AttributeError:
            continue
    return None


def build_operator(cls: type, config: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """DataFlow's operator built with the step's config, and what the comparison needs to know about its params."""
    params = {name: p for name, p in inspect.signature(cls.__init__).parameters.items() if name != "self"}
    passed = {key: value for key, value in config.items() if key in params}
    ignored = sorted(key for key in config if key not in params)
    defaults = {name: p.default for name, p in params.items()
                if p.default is not inspect.Parameter.empty and name not in passed}
    run_params = sorted(set(inspect.signature(cls.run).parameters) - {"self", "storage"})
    return cls(**passed), {"passed": passed, "dataflow_defaults": _jsonable(defaults), "ignored": ignored,
                           "run_parameters": run_params}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, (int, float, str, bool, list, type(None))) else repr(value)
            for key, value in values.items()}


def _timed_storage_class() -> type:
    """DataFlow's FileStorage, timing its reads and writes into a dict shared by the copies ``step()`` makes."""
    from dataflow.utils.storage import FileStorage

    class TimedFileStorage(FileStorage):
        """FileStorage unchanged except that read/write record their seconds, rows and snapshot path."""

        probe: dict[str, Any]

        def read(self, output_type: str = "dataframe") -> Any:
            start = time.perf_counter()
            frame = super().read(output_type)
            self.probe["io_s"] += time.perf_counter() - start
            self.probe["rows_in"] = len(frame)
            return frame

        def write(self, data: Any) -> Any:
            start = time.perf_counter()
            path = super().write(data)
            self.probe["io_s"] += time.perf_counter() - start
            self.probe["rows_out"], self.probe["path"] = len(data), path
            return path

    return TimedFileStorage


def run_chain(corpus: Path, steps: list[dict[str, Any]], cache_dir: Path) -> list[dict[str, Any]]:
    """Run the steps as one DataFlow pipeline over ``corpus``; one record per step, times since the chain began."""
    storage = _timed_storage_class()(first_entry_file_name=str(corpus), cache_path=str(cache_dir),
                                     file_name_prefix="dataflow_cache_step", cache_type="jsonl")
    storage.probe = {}
    records = []
    chain_start = time.perf_counter()
    for step in steps:
        storage.probe.update(io_s=0.0, rows_in=0, rows_out=0, path=None)
        start = time.perf_counter()
        step["operator"].run(storage=storage.step(), input_key=step["input"])
        seconds = time.perf_counter() - start
        probe = storage.probe
        compute_s = max(seconds - probe["io_s"], 1e-9)
        records.append({
            "step": step["step"], "op": step["op"], "input_rows": probe["rows_in"], "kept": probe["rows_out"],
            "seconds": round(seconds, 3), "io_seconds": round(probe["io_s"], 3),
            "rows_per_s": round(probe["rows_in"] / seconds, 1),
            "compute_rows_per_s": round(probe["rows_in"] / compute_s, 1),
            "snapshot_mb": round(Path(probe["path"]).stat().st_size / 1e6, 1),
            "at_s": round(time.perf_counter() - chain_start, 3), "peak_rss_mb": memory_mb()[1],
        })
    return records


def variant(label: str, records: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """Chain figures for a prefix of the run: a prefix of one chain run is exactly a run of that prefix."""
    seconds = records[-1]["at_s"]
    return {"label": label, "operators": [r["op"] for r in records], "rows": rows, "seconds": seconds,
            "rows_per_s": round(rows / seconds, 1), "exported_rows": records[-1]["kept"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in records),
            "snapshots_mb": round(sum(r["snapshot_mb"] for r in records), 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse arguments, run the chain, print and return the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", type=Path, help="JSONL with a `text` column (benchmarks/out/corpus_*.jsonl)")
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--cache-dir", type=Path, default=None, help="keep DataFlow's step snapshots here")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"{args.corpus}: no such file")
    spec_steps = load_steps(args.spec)
    try:  # checked before DataFlow is imported: a bad corpus fails in a second, naming its line
        rows = count_rows(args.corpus, {step["input"] for step in spec_steps})
    except ValueError as error:
        parser.error(str(error))
    _quiet_dataflow()
    with tempfile.TemporaryDirectory(prefix="dataflow_reference_") as tmp:
        cache_dir = args.cache_dir or Path(tmp)
        _offline_nltk(Path(tmp))
        import_start = time.perf_counter()
        import dataflow

        steps, missing, config_notes = [], [], {}
        for step in spec_steps:
            cls = find_operator(step["op"])
            if cls is None:
                missing.append(step["op"])
                continue
            step["operator"], config_notes[step["op"]] = build_operator(cls, step["config"])
            steps.append(step)
        import_seconds = time.perf_counter() - import_start
        rss_after_import = memory_mb()[0]
        records = run_chain(args.corpus, steps, cache_dir)
    notes = list(KNOWN_DIFFERENCES)
    notes += [f"{op}: DataFlow has no such operator (skipped)" for op in missing]
    notes += [f"{op}: spec config {note['ignored']} not DataFlow parameters (left out)"
              for op, note in config_notes.items() if note["ignored"]]
    result = {
        "dataflow_version": dataflow.__version__, "corpus": str(args.corpus), "rows": rows,
        "import_seconds": round(import_seconds, 1), "rss_after_import_mb": rss_after_import,
        "steps": records,
        "variants": {
            "first8": variant(f"first {FIRST_N} operators of our spec", records[:FIRST_N], rows),
            "all": variant(f"all {len(records)} spec operators DataFlow has", records, rows),
        },
        "missing": missing, "config": config_notes, "notes": notes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
