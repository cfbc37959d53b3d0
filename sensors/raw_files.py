"""One sensor per pipeline: a new or changed file in its raw folder becomes a partition and a run.

Files in subfolders count too (Spark-style ``part-*`` output); a partition's key is the file's path under the raw
folder. The cursor remembers, per file, its size, mtime and content hash. ``run_key`` is partition + hash, so an
unchanged file never runs twice and a changed file runs again; the run refuses a file whose hash changed since
the sensor saw it (still being written), and the next tick starts a run for its final contents. A bad file never
crashes the tick: it is reported in the tick log and the other files go on; a file the pipeline does not read (a
compressed file, another format) is named in the tick log once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import (
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dataflow_assets.engine.export import export_stem
from dataflow_assets.ingest.reader import file_format, sha256_of
from dataflow_assets.ingest.run_tags import SENSED_SHA256_TAG, SOURCE_TAG
from dataflow_assets.spec.model import PipelineSpec
from resources.files import FileStoreResource

if TYPE_CHECKING:  # define_asset_job's return type, a type hint only: it has no public name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

INVALID_KEY_CHARS = set(",[]\n\r\t")


def _default_status() -> DefaultSensorStatus:
    running = os.environ.get("DATAFLOW_SENSORS_RUNNING", "").lower() in ("1", "true", "yes")
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def files_under(folder: Path) -> list[Path]:
    """The files under a raw folder, in subfolders too, sorted; hidden files and folders (``.name``) are not."""
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts))


def unread_reason(path: Path, formats: list[str]) -> str:
    """Why the sensor does not read a file of the raw folder, in words for the tick log."""
    if path.suffix.lower() in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        return f"compressed files are not read; decompress it into the folder ({', '.join(formats)})"
    return f"not a format this pipeline reads ({', '.join(formats)})"


def build_raw_file_sensor(
    spec: PipelineSpec, job: UnresolvedAssetJobDefinition, partitions: DynamicPartitionsDefinition
) -> SensorDefinition:
    """The raw-folder sensor of one pipeline."""

    @sensor(
        name=f"{spec.name}__raw_files",
        job=job,
        minimum_interval_seconds=15,
        default_status=_default_status(),
        description=f"Watches the raw folder of {spec.name} ({', '.join(spec.raw.formats)}): "
        "a new or changed file becomes a partition and a run.",
    )
    def raw_files(context: SensorEvaluationContext, files: FileStoreResource) -> SensorResult | SkipReason:
        folder = files.raw_dir(spec.name)
        if not folder.is_dir():
            return SkipReason(f"raw folder {folder} does not exist yet")
        seen: dict[str, Any] = json.loads(context.cursor) if context.cursor else {}
        known = set(context.instance.get_dynamic_partitions(partitions.name or ""))
        run_requests, new_keys, problems = [], [], []
        stems = {export_stem(k): k for k in sorted(known)}
        for path in files_under(folder):
            key = path.relative_to(folder).as_posix()  # unique per file: a/part-0.jsonl and b/part-0.jsonl differ
            fmt = file_format(path)
            if fmt is None or fmt not in spec.raw.formats:
                reason = unread_reason(path, spec.raw.formats)
                if seen.get(key, {}).get("skipped") != reason:  # said once per file, not at every tick
                    context.log.warning(f"skipped {path}: {reason}")
                seen[key] = {"skipped": reason}
                continue
            try:
                if INVALID_KEY_CHARS & set(key):
                    raise ValueError("file name has a character not allowed in a partition key (, [ ] or tab)")
                twin = stems.setdefault(export_stem(key), key)
                if twin != key:
                    raise ValueError(f"same name stem as {twin!r}: their exports would collide; rename one")
                stat = path.stat()
                if stat.st_size == 0:
                    raise ValueError("file is empty")
                previous = seen.get(key, {})
                if previous.get("size") == stat.st_size and previous.get("mtime_ns") == stat.st_mtime_ns:
                    continue
                digest = sha256_of(path)
            except (OSError, ValueError) as exc:
                problems.append(f"{path}: {exc}")
                continue
            seen[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
            if previous.get("sha256") == digest:
                continue
            if key not in known:
                new_keys.append(key)
            run_requests.append(RunRequest(
                run_key=f"{key}:{digest[:16]}", partition_key=key,
                tags={SENSED_SHA256_TAG: digest, SOURCE_TAG: str(path)},
            ))
        for problem in problems:
            context.log.error(f"skipped bad raw file {problem}")
        skip = None if run_requests else ("; ".join(problems) or f"no new or changed files in {folder}")
        return SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=[partitions.build_add_request(new_keys)] if new_keys else [],
            cursor=json.dumps(seen, sort_keys=True),
            skip_reason=skip,
        )

    return raw_files
