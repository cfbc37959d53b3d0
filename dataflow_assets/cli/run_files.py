"""The files of a ``dataflow run``: its temporary folder, the staged input, the partition key, the output.

Rules a user can rely on:

- the partition key is the input's file name, or ``--partition KEY``; in a kept warehouse (``--warehouse W``) a key
  already taken by another file is refused (``a/part-00000.jsonl`` and ``b/part-00000.jsonl`` would overwrite each
  other: name them apart with ``--partition``), and the same file run again replaces its partition;
- ``--out`` ends in ``.jsonl`` or ``.parquet`` and is never the input; it is written under a temporary name in its
  own folder and renamed only when complete, so a failure (a full disk, say) leaves the previous file as it was;
- a run's temporary folder (``dataflow-run-<pid>-…``) is removed when the run ends; one left by a killed run is
  removed by the next run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

OUT_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
TEMP_PREFIX = "dataflow-run-"


class RunFileError(ValueError):
    """A ``dataflow run`` argument about files that cannot work (the message says why and what to do)."""


def out_kind(out: Path, source: Path) -> str:
    """The export kind ``out`` asks for; ``RunFileError`` for another suffix or for ``out`` being the input."""
    kind = OUT_KINDS.get(out.suffix.lower())
    if kind is None:
        raise RunFileError(f"--out {out}: the export is written as .jsonl or .parquet; name the file so")
    if out.resolve() == source.resolve() or (out.exists() and os.path.samefile(out, source)):
        raise RunFileError(f"--out {out} is the input file: the run would overwrite its own input; choose another")
    return kind


def partition_key(source: Path, partition: str | None, known: list[tuple[str, str]]) -> str:
    """The run's partition key; ``known``: the warehouse's partitions and their source files."""
    key = partition or source.name
    for name, other in known:
        if name == key and other and Path(other) != source.resolve():
            raise RunFileError(f"partition {key!r} of this warehouse came from {other}, not from {source.resolve()}: "
                               "runs of both would overwrite each other; name this one apart with --partition "
                               f"(e.g. --partition {source.parent.name}/{source.name})")
    return key


def stage_input(source: Path, raw_dir: Path, partition: str) -> Path:
    """The input as the raw file of ``partition`` in the run's raw folder (a hard link when it can be)."""
    target = raw_dir / partition
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def run_folder() -> tempfile.TemporaryDirectory:
    """This run's temporary folder, after removing those left by runs that were killed."""
    remove_orphans(Path(tempfile.gettempdir()))
    return tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-")


def remove_orphans(folder: Path) -> list[Path]:
    """Remove the ``dataflow-run-<pid>-…`` folders whose process is gone; the folders removed."""
    removed = []
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        pid = path.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def publish(made: Path, out: Path) -> None:
    """Put ``made`` at ``out``: renamed when on the same file system, else copied to a temporary name beside ``out``
    and renamed when complete; on any failure ``out`` is left as it was and no partial file stays."""
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(made, out)
        return
    except OSError:
        pass  # another file system: copy, then rename
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    os.close(handle)
    try:
        shutil.copyfile(made, temporary)
        os.replace(temporary, out)
    except OSError as error:  # a full disk, say: "No space left on device"
        Path(temporary).unlink(missing_ok=True)
        raise RunFileError(f"cannot write {out}: {error.strerror or error}; the previous file is unchanged") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
