"""``SandboxRunner``: runs one job through the launcher and turns what happened into a verdict.

The runner writes the job's files into a fresh work dir, starts ``launcher.py`` in a new session with the run's
configuration, feeds stdin, reads stdout/stderr (kept up to the log limit; past the output limit the run is
killed), reads the launcher's status pipe and the harness's done pipe, and deletes the work dir.
"""

from __future__ import annotations

import dataclasses
import marshal
import math
import os
import secrets
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from operators.services.sandbox import ERROR, FAILED, KILLED, PASSED, TIMEOUT, SandboxJob, SandboxResult
from resources.sandbox.harness import HARNESS
from resources.sandbox.isolation import Layout, interpreter, reachable_by_others, run_uid

LAUNCHER = str(Path(__file__).with_name("launcher.py"))
BACKSTOP_S = 5.0  # past the wall limit, the runner kills the launcher itself


@dataclass(frozen=True)
class Limits:
    """Per-run limits."""

    wall_s: float = 5.0
    cpu_s: float = 5.0
    memory_bytes: int = 512 << 20
    processes: int = 32
    file_bytes: int = 16 << 20
    open_files: int = 64
    output_bytes: int = 1 << 20
    log_bytes: int = 4000


@dataclass
class Captured:
    """What came back from the pipes of one run."""

    stdout: bytearray
    stderr: bytearray
    status: bytearray
    done: bytearray
    wall_s: float = 0.0
    output_exceeded: bool = False
    backstop: bool = False


class SandboxRunner:
    """Runs jobs one at a time (thread-safe: share one runner across threads)."""

    languages = ("python",)

    def __init__(self, layout: Layout, limits: Limits, namespaces: bool, seccomp: bool, inline: bool = True) -> None:
        self.layout, self.limits, self.namespaces, self.seccomp = layout, limits, namespaces, seccomp
        self.inline = inline  # Python runs in the launcher's own -I -S interpreter (False: exec a fresh one)
        self.python = interpreter()

    def run(self, job: SandboxJob) -> SandboxResult:
        """Run one job; never raises for anything the program does."""
        if job.language not in self.languages:
            return SandboxResult(ERROR, f"language {job.language!r} is not supported (have: {self.languages})")
        if not self.namespaces and os.getuid() == 0 and not reachable_by_others(self.python):
            return SandboxResult(ERROR, f"process isolation runs as an unprivileged uid, which cannot reach "
                                        f"{self.python}: use namespace isolation or a world-readable Python")
        started = time.perf_counter()
        uid = run_uid()
        work = self.layout.work_dir(uid)
        try:
            argv, token = self._write_files(job, work)
            captured, code = self._launch(job, work, argv, uid, token)
        except OSError as exc:
            return SandboxResult(ERROR, f"could not start: {exc}", seconds=time.perf_counter() - started)
        finally:
            _remove(work)
        return self._verdict(captured, code, token, time.perf_counter() - started)

    def _write_files(self, job: SandboxJob, work: Path) -> tuple[list[str], str | None]:
        (work / "solution.py").write_text(job.code, encoding="utf-8")
        if job.test is None and job.entry_point is None:
            return [self.python, "-I", "-S", "solution.py"], None
        (work / "test.py").write_text(job.test or "", encoding="utf-8")
        return [self.python, "-I", "-S", "-c", HARNESS, "solution.py", "test.py" if job.test else "",
                job.entry_point or ""], secrets.token_hex(16)

    def _launch(self, job: SandboxJob, work: Path, argv: list[str], uid: int | None,
                token: str | None) -> tuple[Captured, int]:
        limits = self.limits
        if job.timeout_s is not None and job.timeout_s < limits.wall_s:
            limits = dataclasses.replace(limits, wall_s=job.timeout_s)
        status_r, status_w = os.pipe()
        done_r, done_w = os.pipe() if token else (None, None)
        cwd = "/sandbox" if self.namespaces else str(work)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": cwd, "TMPDIR": cwd, "LANG": "C.UTF-8"}
        if token:
            env["SANDBOX_DONE_TOKEN"] = token
        cfg = {"skeleton": str(self.layout.skeleton), "ro_binds": self.layout.ro_binds, "work": str(work),
               "cwd": cwd, "uid": uid, "gid": uid, "argv": argv, "env": env, "namespaces": self.namespaces,
               "seccomp": self.seccomp, "inline": self.inline, "status_fd": status_w, "done_fd": done_w,
               "wall_s": limits.wall_s,
               "limits": {"cpu_s": max(1, math.ceil(limits.cpu_s)), "address_space": limits.memory_bytes,
                          "processes": limits.processes, "file_size": limits.file_bytes,
                          "open_files": limits.open_files}}
        passed = tuple(fd for fd in (status_w, done_w) if fd is not None)
        try:
            proc = subprocess.Popen([self.python, "-I", "-S", LAUNCHER, marshal.dumps(cfg).hex()],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    pass_fds=passed, start_new_session=True, env={})
        finally:
            for fd in passed:
                os.close(fd)
        captured = self._pump(proc, job.stdin.encode(), status_r, done_r, limits)
        return captured, proc.wait()

    def _pump(self, proc: subprocess.Popen[bytes], stdin: bytes, status_r: int, done_r: int | None,
              limits: Limits) -> Captured:
        got = Captured(bytearray(), bytearray(), bytearray(), bytearray(), limits.wall_s)
        sinks = {proc.stdout.fileno(): got.stdout, proc.stderr.fileno(): got.stderr,  # type: ignore[union-attr]
                 status_r: got.status}
        if done_r is not None:
            sinks[done_r] = got.done
        totals = dict.fromkeys(sinks, 0)
        tails = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}  # type: ignore[union-attr]
        selector = selectors.DefaultSelector()
        for fd in sinks:
            selector.register(fd, selectors.EVENT_READ)
        stdin_fd = proc.stdin.fileno()  # type: ignore[union-attr]
        if stdin:
            os.set_blocking(stdin_fd, False)
            selector.register(stdin_fd, selectors.EVENT_WRITE)
        else:
            proc.stdin.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + limits.wall_s + BACKSTOP_S
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0 and not got.backstop:
                got.backstop = True
                _kill_group(proc.pid)
            for key, _ in selector.select(timeout=max(left, 0.5)):
                fd = key.fd
                if fd == stdin_fd:
                    try:
                        sent = os.write(fd, stdin[:65536])
                    except OSError:
                        sent = len(stdin)
                    stdin = stdin[sent:]
                    if not stdin:
                        selector.unregister(fd)
                        proc.stdin.close()  # type: ignore[union-attr]
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    if fd in (status_r, done_r):
                        os.close(fd)
                    continue
                totals[fd] += len(chunk)
                if fd in tails:  # stdout/stderr: the head and the tail are kept, the middle is cut
                    keep(sinks[fd], tails[fd], chunk, limits.log_bytes)
                elif len(sinks[fd]) < 4096:
                    sinks[fd] += chunk[: 4096 - len(sinks[fd])]
                output = totals[proc.stdout.fileno()] + totals[proc.stderr.fileno()]  # type: ignore[union-attr]
                if output > limits.output_bytes and not got.output_exceeded:
                    got.output_exceeded = True
                    proc.send_signal(signal.SIGTERM)  # the launcher kills the program and its namespace
        selector.close()
        for fd, tail in tails.items():
            cut = totals[fd] - len(sinks[fd]) - len(tail)
            sinks[fd] += (f"\n[... {cut} bytes cut ...]\n".encode() if cut > 0 else b"") + tail
        return got

    def _verdict(self, got: Captured, code: int, token: str | None, seconds: float) -> SandboxResult:
        report = got.status.decode(errors="replace")
        fields = dict(part.split(":", 1) for part in report.lstrip("ST").split(";") if ":" in part)
        cpu = float(fields.get("C", 0) or 0)
        out = got.stdout.decode(errors="replace")
        err = got.stderr.decode(errors="replace")

        def result(status: str, detail: str, exit_code: int | None = None) -> SandboxResult:
            return SandboxResult(status, detail, out, err, exit_code, seconds, cpu)

        if "E" in fields:
            return result(ERROR, f"could not start: {fields['E']}")
        if not report.startswith("S"):
            return result(ERROR, f"the launcher stopped before the program started (exit status {code})")
        if got.output_exceeded:
            return result(KILLED, f"output limit: more than {self.limits.output_bytes} bytes")
        if "T" in report or got.backstop:
            return result(TIMEOUT, f"wall time limit {got.wall_s:g} s")
        if "K" in fields:
            sig = int(fields["K"])
            if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= max(1, math.ceil(self.limits.cpu_s)) - 0.05:
                return result(TIMEOUT, f"CPU time limit {self.limits.cpu_s:g} s")
            if sig == signal.SIGXFSZ:
                return result(KILLED, f"file-size limit {self.limits.file_bytes} bytes")
            return result(KILLED if sig == signal.SIGKILL else FAILED, f"killed by {signal.Signals(sig).name}")
        exit_code = int(fields.get("X", code))
        if token is not None and exit_code == 3:
            return result(KILLED, "resource limit (memory, file size, processes or open files)", exit_code)
        if exit_code != 0:
            return result(FAILED, f"exit status {exit_code}", exit_code)
        if token is not None and got.done.decode(errors="replace") != token:
            return result(FAILED, "exited with status 0 before its tests finished", exit_code)
        return result(PASSED, "tests passed" if token else "exit status 0", exit_code)


def keep(head: bytearray, tail: bytearray, chunk: bytes, limit: int) -> None:
    """Add a chunk to a stream's kept head (first half of the limit) and tail (last half)."""
    room = limit // 2 - len(head)
    if room > 0:
        head += chunk[:room]
        chunk = chunk[room:]
    tail += chunk
    del tail[: max(0, len(tail) - (limit - limit // 2))]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _remove(work: Path) -> None:
    """Delete a run's work dir (files the program made read-only or unreadable included)."""
    import shutil

    def unlock(func, path, _exc):  # type: ignore[no-untyped-def]
        os.chmod(os.path.dirname(path), 0o700)
        func(path)

    shutil.rmtree(work, onerror=unlock)
