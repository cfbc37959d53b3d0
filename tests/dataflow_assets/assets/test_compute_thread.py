"""A segment's steps compute on its compute thread while the op's thread reports them (``segments.run_nodes``):
logs from the compute thread reach the run's log, and the compute thread runs at most ``RUN_AHEAD`` computed
steps ahead of their reports."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pyarrow as pa
import pytest

from dataflow_assets.assets import segments
from dataflow_assets.assets.nodes import PendingAsset
from dataflow_assets.assets.step_node import StepNode
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from operators.base import Mapper, OperatorContext, OperatorKind
from operators.registry import register
from tests.conftest import Project


@register
class ThreadNamingRefiner(Mapper):
    """Test operator: logs the thread it runs on and copies ``text`` to ``seen``."""

    name = "TestThreadNamingRefiner"
    kind = OperatorKind.REFINE
    inputs = ("text",)
    outputs = ("seen",)

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        ctx.log.warning(f"computing on thread {threading.current_thread().name}")
        return {"seen": self.text(batch)}


SPEC = parse_spec("""\
name: threaded
raw:
  columns: {text: string}
steps:
  - name: seen
    op: TestThreadNamingRefiner
  - name: long_enough
    op: WordNumberFilter
    config: {min_words: 2}
  - name: lowercase
    op: LowercaseRefiner
  - name: upper_seen
    op: TestThreadNamingRefiner
    inputs: {text: text}
    outputs: {seen: seen_again}
""")
ROWS = '{"text": "Hello there world"}\n{"text": "one"}\n{"text": "Good Morning all"}\n'


def test_an_operator_log_on_the_compute_thread_reaches_the_run_log(project: Project) -> None:
    project.add_raw(SPEC.name, "a.jsonl", ROWS)
    result = project.materialize(SPEC, "a.jsonl")
    assert result.success, failure_messages(result)
    messages = [entry.user_message for entry in project.instance.all_logs(result.run_id)]
    relayed = [message for message in messages if "computing on thread" in message]
    assert len(relayed) == 2 and all(message.endswith("threaded-compute") for message in relayed)


def test_the_compute_thread_runs_at_most_run_ahead_steps_before_their_reports(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    release, blocked = threading.Event(), threading.Event()
    original_start, original_result = StepNode.start, PendingAsset.result

    def recording_start(self, run, step_input):  # noqa: ANN001, ANN202 - wraps StepNode.start
        started.append(self.name)
        return original_start(self, run, step_input)

    def held_result(self):  # noqa: ANN001, ANN202 - the raw asset's report waits until released
        if self.key.path[-1] == "raw":
            blocked.set()
            assert release.wait(30)
        return original_result(self)

    monkeypatch.setattr(StepNode, "start", recording_start)
    monkeypatch.setattr(PendingAsset, "result", held_result)
    project.add_raw(SPEC.name, "b.jsonl", ROWS)
    outcome: list = []
    runner = threading.Thread(target=lambda: outcome.append(project.materialize(SPEC, "b.jsonl")))
    runner.start()
    assert blocked.wait(60)
    threading.Event().wait(1.0)  # time for the compute thread to run ahead if it could
    steps = ["seen", "long_enough", "lowercase", "upper_seen"]
    assert started == steps[: segments.RUN_AHEAD - 1]  # raw and RUN_AHEAD - 1 steps wait for their reports
    release.set()
    runner.join(120)
    assert outcome and outcome[0].success, failure_messages(outcome[0])
    assert started == steps
