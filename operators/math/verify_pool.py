"""Answer verification in worker processes, with a hard time limit per row.

math-verify's own timeouts use ``signal.alarm``: they only work in a process's main thread, and cannot stop a CAS
that is busy inside C code (a huge integer power). So every row is judged in a worker process; a worker that
overruns its row's limit is killed, the row gets ``verify_timeout``, a fresh worker takes the rest, and the
step goes on. Workers come from a fork server that has math-verify already imported, so a restart costs
milliseconds. Rows go out in chunks; each worker answers row by row, which is how the pool knows which row hangs.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from operators.parallel import thread_count

WORKER_MODULE = "operators.math._verify_warm"  # imports the worker, warms its parser
TIMEOUT, CRASHED = "verify_timeout", "verify_error"
CHUNK_ROWS = 32
START_TIMEOUT_S = 120.0  # a worker's first import of math-verify / sympy on a busy machine

Pair = tuple[str | None, str | None]  # (answer, gold)


def _serve(conn: Connection) -> None:
    """Worker loop: judge each row of each chunk and answer ``(index, verdict)`` row by row."""
    from operators.math._verify_worker import judge  # noqa: PLC0415 - the worker's import, not the parent's

    conn.send(("ready", None))
    while True:
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        for index, answer, gold in chunk:
            try:
                verdict = judge(answer, gold)
            except Exception:  # noqa: BLE001 - one bad row must not end the worker
                verdict = CRASHED
            conn.send((index, verdict))


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([WORKER_MODULE])  # only takes effect when this process starts its fork server
    return ctx


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    dead: bool = False
    pending: deque = field(default_factory=deque)
    since: float = field(default_factory=time.monotonic)


class VerifyPool:
    """Judge (answer, gold) pairs on ``workers`` processes, each row within ``row_timeout_s`` seconds."""

    def __init__(self, workers: int = 0, row_timeout_s: float = 5.0) -> None:
        self.workers = workers if workers > 0 else thread_count()
        self.row_timeout_s = row_timeout_s
        self.timeouts = 0
        self.restarts = 0

    def _start(self) -> _Worker:
        parent, child = _context().Pipe(duplex=True)
        process = _context().Process(target=_serve, args=(child,), name="dataflow-math-verify")
        process.start()
        child.close()
        return _Worker(process, parent)

    @staticmethod
    def _stop(worker: _Worker, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def judge(self, pairs: Sequence[Pair]) -> list[str]:
        """One verdict per pair, in order (``verify_timeout`` for a row that overran its limit)."""
        verdicts: list[str | None] = [None] * len(pairs)
        todo: deque[list[tuple[int, str | None, str | None]]] = deque(
            [(i, *pairs[i]) for i in range(start, min(start + CHUNK_ROWS, len(pairs)))]
            for start in range(0, len(pairs), CHUNK_ROWS))
        workers = [self._start() for _ in range(min(self.workers, len(todo)))]
        try:
            while todo or any(w.pending for w in workers):
                self._dispatch(workers, todo)
                self._collect(workers, verdicts)
                self._enforce(workers, todo, verdicts)
        finally:
            for worker in workers:
                self._stop(worker, kill=bool(worker.pending) or not worker.ready)
        return [v if v is not None else CRASHED for v in verdicts]

    @staticmethod
    def _dispatch(workers: list[_Worker], todo: deque) -> None:
        for worker in workers:
            if worker.ready and not worker.pending and todo:
                chunk = todo.popleft()
                try:
                    worker.conn.send(chunk)
                except (BrokenPipeError, OSError):  # died while idle: replaced by _enforce
                    worker.dead = True
                    todo.appendleft(chunk)
                    continue
                worker.pending.extend(chunk)
                worker.since = time.monotonic()

    def _collect(self, workers: list[_Worker], verdicts: list[str | None]) -> None:
        now = time.monotonic()
        deadlines = [w.since + (self.row_timeout_s if w.ready else START_TIMEOUT_S)
                     for w in workers if w.pending or not w.ready]
        limit = max(0.0, min(deadlines) - now) + 0.001 if deadlines else 0.001
        answered = wait([w.conn for w in workers if not w.dead], timeout=limit)
        for worker in workers:
            if worker.conn not in answered:
                continue
            try:
                while worker.conn.poll():
                    index, verdict = worker.conn.recv()
                    worker.since = time.monotonic()
                    if index == "ready":
                        worker.ready = True
                    else:
                        verdicts[index] = verdict
                        worker.pending.popleft()
            except (EOFError, OSError):  # the worker died (killed from outside, out of memory)
                worker.dead = True

    def _enforce(self, workers: list[_Worker], todo: deque, verdicts: list[str | None]) -> None:
        """Replace a worker that overran its row (the row: ``verify_timeout``) or died (``verify_error``)."""
        now = time.monotonic()
        for position, worker in enumerate(workers):
            if not worker.ready and not worker.dead:
                if now - worker.since > START_TIMEOUT_S:
                    raise RuntimeError(f"a math-verify worker did not start within {START_TIMEOUT_S:.0f} s")
                continue
            overdue = bool(worker.pending) and now - worker.since > self.row_timeout_s
            if not (worker.dead or overdue):
                continue
            if worker.dead and not worker.ready:
                raise RuntimeError("a math-verify worker died while starting (is math-verify installed?)")
            if worker.pending:
                index = worker.pending.popleft()[0]
                verdicts[index] = CRASHED if worker.dead else TIMEOUT
                self.timeouts += not worker.dead
            if worker.pending:
                todo.appendleft(list(worker.pending))
                worker.pending.clear()
            self._stop(worker, kill=True)
            workers[position] = self._start()
            self.restarts += 1
