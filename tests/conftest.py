"""Shared fixtures: a project layout in a temp folder, real DuckDB file, real Dagster instance."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult, instance_for_test
from dagster_duckdb import DuckDBResource

from dataflow_assets.assets.factory import partitions_name
from dataflow_assets.assets.project import build_definitions
from dataflow_assets.spec.model import PipelineSpec
from resources.embedding import EmbeddingResource
from resources.files import FileStoreResource
from resources.llm import LLMResource
from resources.llm.local_server import LocalLlamaServer
from resources.sandbox import SandboxResource
from resources.sql import SQLDatabaseResource

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"


@dataclass
class Project:
    """A throwaway project: raw folder, export folder, DuckDB warehouse and a Dagster instance."""

    root: Path
    instance: DagsterInstance
    llm: LLMResource | None = None
    embed: EmbeddingResource | None = None
    sql: SQLDatabaseResource | None = None
    sandbox: SandboxResource | None = None

    @property
    def files(self) -> FileStoreResource:
        return FileStoreResource(raw_root=str(self.root / "raw"), export_root=str(self.root / "out"))

    @property
    def warehouse(self) -> DuckDBResource:
        return DuckDBResource(database=str(self.root / "warehouse.duckdb"))

    def definitions(self, specs: list[PipelineSpec]) -> Definitions:
        return build_definitions(specs, self.warehouse, self.files, self.llm, self.embed, sql=self.sql,
                                 sandbox=self.sandbox)

    def add_raw(self, pipeline: str, name: str, content: bytes | str | Path) -> Path:
        target = self.files.raw_dir(pipeline) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        return target

    def materialize(self, spec: PipelineSpec, partition: str) -> ExecuteInProcessResult:
        if not self.instance.has_dynamic_partition(partitions_name(spec.name), partition):
            self.instance.add_dynamic_partitions(partitions_name(spec.name), [partition])
        job = self.definitions([spec]).resolve_job_def(f"{spec.name}_job")
        return job.execute_in_process(partition_key=partition, instance=self.instance, raise_on_error=False)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with instance_for_test() as instance:
        yield Project(tmp_path, instance)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LocalLlamaServer]:
    """The real local llama.cpp server with the shipped SmolLM2-135M model, once per test session."""
    server = LocalLlamaServer(port=free_port(), n_threads=2)
    server.ensure()
    yield server
    server.stop()


@pytest.fixture
def local_llm(llama_server: LocalLlamaServer, tmp_path: Path) -> LLMResource:
    """The embedded-default LLM resource on the session's server, with a fresh response cache."""
    return LLMResource(backend="local", local_port=llama_server.port, cache_path=str(tmp_path / "llm_cache.sqlite"))


@pytest.fixture
def llm_project(project: Project, local_llm: LLMResource) -> Project:
    """A project whose LLM steps use the real local model."""
    project.llm = local_llm
    return project
