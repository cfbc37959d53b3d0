"""The in-memory instance of ``dataflow run``: Dagster's ephemeral storages on their held connections."""

from __future__ import annotations

import threading

import dagster
import pytest
import sqlalchemy as db
from dagster import AssetKey, Definitions, DynamicPartitionsDefinition, MaterializeResult, asset, define_asset_job

from dataflow_assets.cli.run_instance import (
    VERIFIED_DAGSTER,
    HeldConnectionEventLogStorage,
    HeldConnectionRunStorage,
    run_instance,
)


@asset
def numbers() -> MaterializeResult:
    """An asset with metadata, so the run stores a materialization event."""
    return MaterializeResult(metadata={"dagster/row_count": 3})


@asset(deps=[numbers])
def doubled() -> MaterializeResult:
    """A downstream asset: its materialization looks up its upstream's data version."""
    return MaterializeResult(metadata={"dagster/row_count": 6})


def _job():  # noqa: ANN202 - Dagster's job definition
    return Definitions(assets=[numbers, doubled], jobs=[define_asset_job("both")]).resolve_job_def("both")


def test_a_run_opens_no_new_connection() -> None:
    """A whole run (its events, version lookups, run records) goes through the two held connections."""
    with run_instance() as instance:
        opened: list[str] = []
        for name, engine in (("runs", instance.run_storage._engine), ("events", instance.event_log_storage._engine)):
            db.event.listen(engine, "connect", lambda *_, name=name: opened.append(name))
        result = _job().execute_in_process(instance=instance)
        assert result.success
        assert opened == []
        latest = instance.get_latest_materialization_event(AssetKey("doubled"))
        assert latest is not None and latest.asset_materialization.metadata["dagster/row_count"].value == 6
        assert instance.get_run_by_id(result.run_id).is_success


def test_threads_share_the_held_connections() -> None:
    """Runs stored from several threads at once all land, one query at a time."""
    with run_instance() as instance:
        job = _job()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                assert job.execute_in_process(instance=instance).success
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(instance.get_runs()) == 3
        assert len(instance.fetch_materializations(AssetKey("numbers"), limit=10).records) == 3


def test_deleting_a_run_cascades_to_its_tags() -> None:
    """Foreign keys are on, as on Dagster's per-query connections: a deleted run takes its tags along."""
    with run_instance() as instance:
        result = _job().execute_in_process(instance=instance, tags={"team": "data"})
        with instance.run_storage.connect() as conn:
            count = "SELECT count(*) FROM run_tags WHERE run_id = :run"
            assert conn.execute(db.text(count), {"run": result.run_id}).scalar() > 0
        instance.delete_run(result.run_id)
        with instance.run_storage.connect() as conn:
            assert conn.execute(db.text(count), {"run": result.run_id}).scalar() == 0


def test_dynamic_partitions_are_read_once_and_kept_in_step() -> None:
    """A partitioned run asks for its partition many times, the table is read once; adds and deletes show."""
    batches = DynamicPartitionsDefinition(name="batches")

    @asset(partitions_def=batches)
    def part() -> MaterializeResult:
        return MaterializeResult(metadata={"dagster/row_count": 1})

    @asset(partitions_def=batches, deps=[part])
    def part_child() -> MaterializeResult:
        return MaterializeResult(metadata={"dagster/row_count": 1})

    job = Definitions(assets=[part, part_child], jobs=[define_asset_job("parts")]).resolve_job_def("parts")
    with run_instance() as instance:
        instance.add_dynamic_partitions("batches", ["a", "b"])
        reads: list[str] = []
        db.event.listen(instance.event_log_storage._held.engine, "before_cursor_execute",
                        lambda _c, _cur, sql, *_: reads.append(sql) if "FROM dynamic_partitions" in sql else None)
        assert job.execute_in_process(instance=instance, partition_key="b").success
        assert len(reads) <= 1, reads
        assert instance.get_dynamic_partitions("batches") == ["a", "b"]
        instance.add_dynamic_partitions("batches", ["c", "a"])
        instance.delete_dynamic_partition("batches", "a")
        assert instance.get_dynamic_partitions("batches") == ["b", "c"]
        assert instance.has_dynamic_partition("batches", "c") and not instance.has_dynamic_partition("batches", "a")
        assert instance.get_existing_dynamic_partitions("batches", ["a", "b", "z"]) == {"b"}
        with instance.event_log_storage.index_connection() as conn:  # the table itself agrees
            stored = conn.execute(db.text("SELECT partition FROM dynamic_partitions ORDER BY id")).scalars().all()
        assert stored == ["b", "c"]


def test_the_fast_path_was_verified_on_this_dagster_release() -> None:
    """The held-connection storages lean on Dagster's in-memory storages: re-run this file on a new release, then
    update ``VERIFIED_DAGSTER``."""
    assert dagster.__version__ == VERIFIED_DAGSTER, (
        f"Dagster {dagster.__version__} is not the release the fast path was verified on ({VERIFIED_DAGSTER}): "
        "check tests/dataflow_assets/cli/test_run_instance.py passes, then update run_instance.VERIFIED_DAGSTER")
    with run_instance() as instance:
        assert isinstance(instance.event_log_storage, HeldConnectionEventLogStorage)
        assert isinstance(instance.run_storage, HeldConnectionRunStorage)


def test_a_fast_path_that_cannot_be_built_falls_back_to_dagsters_instance(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault injected (a release whose storage lacks what the fast path reads): a warning, then Dagster's own
    ephemeral instance, on which the run works as before."""
    def no_engine(self: HeldConnectionEventLogStorage) -> None:
        raise AttributeError("'HeldConnectionEventLogStorage' object has no attribute '_engine'")

    monkeypatch.setattr(HeldConnectionEventLogStorage, "_hold", no_engine)
    with caplog.at_level("WARNING", logger="dataflow.run"), run_instance() as instance:
        assert type(instance.event_log_storage).__name__ == "InMemoryEventLogStorage"
        assert type(instance.run_storage).__name__ == "InMemoryRunStorage"
        assert _job().execute_in_process(instance=instance).success
    assert "could not be built on Dagster" in caplog.text and "DagsterInstance.ephemeral()" in caplog.text
