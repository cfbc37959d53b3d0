"""Where raw batches arrive and where exports are written."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

DEFAULT_RAW_ROOT = "data/raw"
DEFAULT_EXPORT_ROOT = "data/out"


class FileStoreResource(ConfigurableResource):
    """Raw folder (``<raw_root>/<pipeline>/<batch file>``) and export folder (``<export_root>/<pipeline>/``)."""

    raw_root: str = DEFAULT_RAW_ROOT
    export_root: str = DEFAULT_EXPORT_ROOT

    def raw_dir(self, pipeline: str) -> Path:
        """The folder a pipeline's sensor watches."""
        return Path(self.raw_root).resolve() / pipeline

    def raw_file(self, pipeline: str, partition: str) -> Path:
        """The raw file behind a partition (the partition key is the file name)."""
        return self.raw_dir(pipeline) / partition

    def export_dir(self, pipeline: str) -> Path:
        """The folder a pipeline's exports go to."""
        return Path(self.export_root).resolve() / pipeline

    def artifact_dir(self, pipeline: str, partition: str) -> Path:
        """The folder for a partition's UI artifacts (histogram images): ``<export folder>/artifacts/<partition>``."""
        return self.export_dir(pipeline) / "artifacts" / partition


def file_store_from_env() -> FileStoreResource:
    """The file store configured by ``DATAFLOW_RAW_DIR`` / ``DATAFLOW_EXPORT_DIR`` (defaults under data/)."""
    return FileStoreResource(
        raw_root=os.environ.get("DATAFLOW_RAW_DIR", DEFAULT_RAW_ROOT),
        export_root=os.environ.get("DATAFLOW_EXPORT_DIR", DEFAULT_EXPORT_ROOT),
    )
