"""Step outputs: pure filters are views over their upstream minus drops; the in-process hand-off stays correct."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dataflow_assets.engine.step_run import changed_rows
from resources.warehouse.connection import read_partition
from resources.warehouse.step_store import (
    NotMaterializedError,
    StaleInputError,
    handed_off,
    read_step_input,
    step_stats,
)
from resources.warehouse.step_writes import write_step_output


def rows(texts: list[str], start: int = 1, **extra: list) -> pa.Table:
    table = pa.table({"text": texts, "_row_id": pa.array(range(start, start + len(texts)), pa.int64())})
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values))
    return table


def dropped(table: pa.Table, reason: str) -> pa.Table:
    return table.append_column("_drop_reason", pa.array([reason] * table.num_rows, pa.string()))


def test_filter_view_has_the_rows_of_a_copy(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    raw = rows(["a", "bb", "ccc", "dddd"])
    write_step_output(conn, "p", "raw", "x", raw, None, {"input_rows": 4})
    write_step_output(conn, "p", "raw", "y", rows(["zz"]), None, {"input_rows": 1})
    kept, gone = raw.slice(1, 2), raw.take([0, 3])
    write_step_output(conn, "p", "short", "x", kept, dropped(gone, "short"), {"input_rows": 4,
                      "drop_counts": {"short": 2}}, view_of="raw")
    kinds = dict(conn.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_schema = 'p'").fetchall())
    assert kinds == {"raw": "BASE TABLE", "short": "VIEW", "short__drops": "BASE TABLE", "short__dropped": "VIEW"}
    assert read_partition(conn, "p", "short", "x").equals(kept)
    assert read_partition(conn, "p", "short__dropped", "x").equals(dropped(gone, "short"))  # the whole rows
    stored = [row[0] for row in conn.execute("DESCRIBE p.short__drops").fetchall()]
    assert stored == ["_partition", "_row_id", "_drop_reason"]  # the text stays in raw, stored once
    # re-running replaces the drop list; the view follows
    write_step_output(conn, "p", "short", "x", raw.slice(0, 3), dropped(raw.slice(3, 1), "long"),
                      {"input_rows": 4, "drop_counts": {"long": 1}}, view_of="raw")
    assert read_partition(conn, "p", "short", "x").column("text").to_pylist() == ["a", "bb", "ccc"]
    assert [s["dropped_rows"] for s in step_stats(conn, "p", "x", ["raw", "short"]) if s["step"] == "short"] == [1]


def test_step_can_switch_between_view_and_table(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {"input_rows": 2})
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2), "r"), {}, view_of="raw")
    write_step_output(conn, "p", "s", "x", rows(["A", "B"]), None, {})
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["A", "B"]
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2), "r"), {}, view_of="raw")
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["a"]


def test_handoff_is_used_only_while_current(tmp_path: Path) -> None:
    path = str(tmp_path / "w.duckdb")
    conn = duckdb.connect(path)
    mine = rows(["mine"])
    write_step_output(conn, "p", "s", "x", mine, None, {})
    assert read_step_input(conn, "p", "s", "x").table is mine  # same process, same write: no round trip
    conn.close()
    other = duckdb.connect(path)  # another writer replaces the partition: the hand-off is stale
    other.execute("UPDATE _dataflow.step_stats SET write_id = 'someone-else'")
    other.execute("UPDATE p.s SET text = 'theirs'")
    assert read_step_input(other, "p", "s", "x").table.column("text").to_pylist() == ["theirs"]


def test_write_is_refused_when_its_input_was_rewritten(tmp_path: Path) -> None:
    path = str(tmp_path / "w.duckdb")
    conn = duckdb.connect(path)
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {})
    step_input = handed_off(path, "p", "raw", "x")  # optimistic: no DuckDB access
    assert step_input is not None and step_input.table.num_rows == 2
    write_step_output(conn, "p", "s", "x", rows(["old"]), None, {})
    write_step_output(conn, "p", "raw", "x", rows(["c"]), None, {})  # another run rewrites the input meanwhile
    with pytest.raises(StaleInputError, match="was rewritten while s ran"):
        write_step_output(conn, "p", "s", "x", rows(["new"]), None, {}, read_from=("raw", step_input.write_id))
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["old"]
    fresh = read_step_input(conn, "p", "raw", "x")
    write_step_output(conn, "p", "s", "x", rows(["new"]), None, {}, read_from=("raw", fresh.write_id))
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["new"]


def test_in_place_refiner_stores_only_changed_rows_as_a_patch_view(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    raw = rows(["a  b", "c", "d  e", None])
    write_step_output(conn, "p", "raw", "x", raw, None, {"input_rows": 4})
    refined = rows(["a b", "c", "d e", None])
    changes = changed_rows(raw, refined, ["text"])
    assert changes.column("_row_id").to_pylist() == [1, 3]  # equal and null-to-null rows are not changes
    write_step_output(conn, "p", "s", "x", refined, None, {"input_rows": 4}, patch_of="raw", changes=changes)
    assert conn.sql('SELECT count(*) FROM p."s__changes"').fetchall() == [(2,)]
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["a b", "c", "d e", None]
    nulled = changed_rows(raw, rows(["a  b", None, "d  e", None]), ["text"])  # a value refined to null is a change
    write_step_output(conn, "p", "s", "x", refined, None, {}, patch_of="raw", changes=nulled)
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["a  b", None, "d  e", None]
    write_step_output(conn, "p", "s", "x", rows(["A", "B"]), None, {})  # a copying step again: a table
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["A", "B"]


def test_an_old_dropped_table_becomes_the_drop_list(tmp_path: Path) -> None:
    """A warehouse written before drop lists: ``<step>__dropped`` held whole rows; other partitions keep theirs."""
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {})
    write_step_output(conn, "p", "raw", "y", rows(["c", "d"]), None, {})
    conn.execute("CREATE TABLE p.s__dropped AS SELECT 'y' AS _partition, 'd' AS text, 2::BIGINT AS _row_id, "
                 "'dup' AS _drop_reason, 1::BIGINT AS duplicate_of_row_id")  # the old shape: whole rows
    conn.execute("INSERT INTO _dataflow.step_stats (pipeline, step, _partition, write_id) "
                 "VALUES ('p', 's', 'y', 'old')")  # its stats row, as the old warehouse wrote it
    gone = dropped(rows(["b"], 2), "dup").append_column("duplicate_of_row_id", pa.array([1], pa.int64()))
    write_step_output(conn, "p", "s", "x", rows(["a"]), gone, {}, view_of="raw")
    kinds = dict(conn.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_schema = 'p' AND table_name LIKE 's%'").fetchall())
    assert kinds == {"s": "VIEW", "s__drops": "BASE TABLE", "s__dropped": "VIEW"}
    assert [row[0] for row in conn.execute("DESCRIBE p.s__drops").fetchall()] == [
        "_partition", "_row_id", "_drop_reason", "duplicate_of_row_id"]
    for partition, text in (("x", "b"), ("y", "d")):
        old = read_partition(conn, "p", "s__dropped", partition)
        assert old.column("text").to_pylist() == [text] and old.column("duplicate_of_row_id").to_pylist() == [1]
    assert read_partition(conn, "p", "s", "y").column("text").to_pylist() == ["c"]


def test_a_filter_that_becomes_a_copying_step_stores_its_dropped_rows_whole(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {})
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2), "r"), {}, view_of="raw")
    scored = rows(["a"], score=[0.9])  # the step now adds a column: it stores its kept and dropped rows
    write_step_output(conn, "p", "s", "x", scored, dropped(rows(["b"], 2, score=[0.1]), "low"), {})
    kinds = dict(conn.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_schema = 'p' AND table_name LIKE 's%'").fetchall())
    assert kinds == {"s": "BASE TABLE", "s__dropped": "BASE TABLE"}
    assert read_partition(conn, "p", "s__dropped", "x").column("score").to_pylist() == [0.1]
    write_step_output(conn, "p", "s", "x", rows(["b"], 2), dropped(rows(["a"]), "r"), {}, view_of="raw")  # and back
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["b"]
    assert read_partition(conn, "p", "s__dropped", "x").column("text").to_pylist() == ["a"]


def test_a_rewritten_step_removes_every_later_steps_output_of_that_partition(tmp_path: Path) -> None:
    """Nothing stale: raw rewritten (and the run stopping there) leaves the filter view, the patch view, the copy
    and its side table with nothing for that partition, and the other partition as it was."""
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    later = ("keep", "tidy", "copy")
    for partition in ("x", "y"):
        raw = rows(["a  a", "b", "c  c"])
        raw_id = write_step_output(conn, "p", "raw", partition, raw, None, {}, downstream=later)
        kept = rows(["a  a", "c  c"]).take([0, 1]).set_column(1, "_row_id", pa.array([1, 3], pa.int64()))
        keep_id = write_step_output(conn, "p", "keep", partition, kept, dropped(rows(["b"], 2), "short"), {},
                                    view_of="raw", read_from=("raw", raw_id), downstream=later[1:])
        tidied = rows(["a a", "c c"]).set_column(1, "_row_id", pa.array([1, 3], pa.int64()))
        tidy_id = write_step_output(conn, "p", "tidy", partition, tidied, None, {}, patch_of="keep",
                                    changes=changed_rows(kept, tidied, ["text"]), read_from=("keep", keep_id),
                                    downstream=later[2:])
        write_step_output(conn, "p", "copy", partition, tidied.append_column("n", pa.array([1, 2])), None, {},
                          read_from=("tidy", tidy_id), side_tables={"index": tidied.select(["_row_id"])})
    lineage = conn.sql("SELECT step, upstream, upstream_write_id FROM _dataflow.step_stats WHERE _partition = 'x' "
                       "ORDER BY written_at, step").fetchall()
    assert [(step, upstream) for step, upstream, _ in lineage] == [
        ("raw", None), ("keep", "raw"), ("tidy", "keep"), ("copy", "tidy")]
    assert lineage[1][2] == read_step_input(conn, "p", "raw", "x").write_id  # computed from that raw write

    write_step_output(conn, "p", "raw", "x", rows(["z  z", "y", "w  w"]), None, {}, downstream=later)
    for step in ("keep", "tidy", "copy", "copy__index", "keep__dropped"):
        assert conn.sql(f'SELECT count(*) FROM p."{step}" WHERE _partition = ?', params=["x"]).fetchall() == [(0,)]
        assert conn.sql(f'SELECT count(*) FROM p."{step}" WHERE _partition = ?', params=["y"]).fetchall() != [(0,)]
    for step in later:
        with pytest.raises(NotMaterializedError, match=f"p.{step} has no current output for partition 'x'"):
            read_step_input(conn, "p", step, "x")
    assert read_partition(conn, "p", "tidy", "y").column("text").to_pylist() == ["a a", "c c"]
