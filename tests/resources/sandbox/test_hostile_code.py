"""Hostile programs are harmless: each one gets a clear verdict within its limits, and afterwards the host has no
process of any sandbox uid, no file the program wrote outside its work dir, no byte on a 127.0.0.1 listener, no
leftover work dir, and the test process (the sandbox's parent's parent) is alive. Real runs, real kernel."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from operators.services.sandbox import SandboxJob, SandboxResult
from resources.sandbox import SandboxResource, SandboxSession
from resources.sandbox.isolation import UID_BASE, UID_SPAN, interpreter, reachable_by_others
from tests.conftest import REPO

TIMEOUT_S = 2.0


def sandbox_pids() -> list[int]:
    """Host processes running as any sandbox uid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        if UID_BASE <= uid < UID_BASE + UID_SPAN:
            found.append(int(entry))
    return found


@pytest.fixture(params=["namespaces", "process"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxSession]:
    resource = SandboxResource(isolation=request.param, timeout_s=TIMEOUT_S, cpu_s=1, memory_mb=256,
                               max_processes=16, max_file_mb=8, max_output_bytes=1 << 20, log_bytes=2000)
    session = resource.session()
    if request.param == "process" and os.getuid() == 0 and not reachable_by_others(interpreter()):
        resource.close()
        pytest.skip(f"process isolation: an unprivileged uid cannot reach {interpreter()} on this machine")
    assert session.isolation == request.param
    yield session
    base = session.runner.layout.base
    assert [p.name for p in base.iterdir()] == ["root"], "a run's work dir was left behind"
    deadline = time.monotonic() + 2
    while sandbox_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_pids() == [], "a sandboxed process outlived its run"
    resource.close()
    assert not base.exists()


def run(session: SandboxSession, code: str, test: str | None = "") -> SandboxResult:
    started = time.monotonic()
    result = session.run([SandboxJob(code, test=test)])[0]
    assert time.monotonic() - started < TIMEOUT_S + 3
    return result


def test_infinite_loop_times_out(sandbox: SandboxSession) -> None:
    result = run(sandbox, "while True:\n    pass\n")
    assert result.status == "timeout", result


def test_fork_bomb_hits_the_process_limit(sandbox: SandboxSession) -> None:
    result = run(sandbox, "import os\nwhile True:\n    os.fork()\n")
    assert result.status == "killed", result
    assert "resource limit" in result.detail
    assert subprocess.run(["true"]).returncode == 0  # the host can still start processes


def test_ten_gigabytes_are_refused(sandbox: SandboxSession) -> None:
    result = run(sandbox, "x = bytearray(10 * 1024 ** 3)\n")
    assert result.status == "killed", result
    assert "MemoryError" in result.stderr


def test_a_one_gigabyte_file_stops_at_the_file_size_limit(sandbox: SandboxSession) -> None:
    code = ("block = b'x' * (1 << 20)\nwith open('big.bin', 'wb') as f:\n"
            "    for _ in range(1024):\n        f.write(block)\n")
    result = run(sandbox, code)
    assert result.status == "killed", result
    assert "File too large" in result.stderr


def test_writes_outside_the_work_dir_fail(sandbox: SandboxSession, tmp_path: Path) -> None:
    name = f"sandbox_probe_{secrets.token_hex(4)}"
    targets = [REPO / name, tmp_path / name, Path("/tmp") / name, Path("/") / name]
    code = "import sys\nwrote = []\n"
    for target in targets:
        code += (f"try:\n    open({str(target)!r}, 'w').write('x')\n    wrote.append({str(target)!r})\n"
                 f"except OSError as exc:\n    print('refused', {str(target)!r}, type(exc).__name__)\n")
    code += "print('wrote', wrote)\nassert not wrote\n"
    result = run(sandbox, code)
    for target in (REPO / name, tmp_path / name):
        assert not target.exists()
    if sandbox.isolation == "namespaces":
        assert result.status == "passed", result
        assert not (Path("/tmp") / name).exists()
    else:  # the process mode's uid may write into world-writable folders such as /tmp (README)
        (Path("/tmp") / name).unlink(missing_ok=True)
    assert result.stdout.count("refused") >= 3


def test_secrets_outside_the_work_dir_cannot_be_read(sandbox: SandboxSession, tmp_path: Path) -> None:
    secret = f"TOPSECRET-{secrets.token_hex(8)}"
    private = tmp_path / "id_rsa"
    private.write_text(secret)
    private.chmod(0o600)
    readable = tmp_path / "api_token.txt"
    readable.write_text(secret)
    readable.chmod(0o644)
    paths = [private] + ([readable] if sandbox.isolation == "namespaces" else [])
    code = "found = []\n"
    for path in paths:
        code += f"try:\n    found.append(open({str(path)!r}).read())\nexcept OSError as exc:\n    print(exc)\n"
    code += "print(found)\nassert not found\n"
    result = run(sandbox, code)
    assert result.status == "passed", result
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize("seccomp", [True, False])
def test_no_byte_reaches_a_local_listener(sandbox: SandboxSession, seccomp: bool) -> None:
    if not seccomp and sandbox.isolation == "process":
        pytest.skip("without seccomp and namespaces nothing stops a connection (README)")
    sandbox.runner.seccomp = seccomp
    received: list[bytes] = []
    finished = threading.Event()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        port = server.getsockname()[1]

        def accept() -> None:
            while not finished.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    received.append(conn.recv(100) or b"<connected>")
        listener = threading.Thread(target=accept)
        listener.start()
        code = (f"import socket\nsock = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
                "sock.sendall(b'stolen data')\n")
        result = run(sandbox, code)
        finished.set()
        listener.join()
    assert received == []
    assert result.status == "failed", result
    assert ("PermissionError" if seccomp else "OSError: [Errno 101] Network is unreachable") in result.stderr


def test_killing_the_parent_is_refused(sandbox: SandboxSession) -> None:
    code = (f"import os, signal\nfor pid in ({os.getpid()}, os.getppid(), 1):\n    if pid > 0 and pid != os.getpid():\n"
            "        try:\n            os.kill(pid, signal.SIGKILL)\n            print('killed', pid)\n"
            "        except OSError as exc:\n            print('refused', pid, exc.errno)\n")
    result = run(sandbox, code)
    assert result.status == "passed", result
    assert "killed" not in result.stdout and "refused" in result.stdout
    os.kill(os.getpid(), 0)


@pytest.mark.parametrize(("code", "detail"), [
    ("import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("import os\nos._exit(0)\n", "before its tests finished"),
    ("raise SystemExit\n", "sys.exit(None)"),
])
def test_early_exits_are_not_passes(sandbox: SandboxSession, code: str, detail: str) -> None:
    result = run(sandbox, code, test="assert False, 'the tests ran'\n")
    assert result.status == "failed", result
    assert detail in result.detail + result.stderr


def test_a_hundred_megabytes_of_stdout_are_cut(sandbox: SandboxSession) -> None:
    result = run(sandbox, "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n")
    assert result.status == "killed", result
    assert "output limit" in result.detail
    assert len(result.stdout) <= 2100 and "bytes cut" in result.stdout


def test_a_child_that_outlives_its_parent_is_killed(sandbox: SandboxSession) -> None:
    marker = f"sandbox-orphan-{secrets.token_hex(4)}"
    code = ("import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(30)', {marker!r}])\n"
            "    os._exit(0)\nos.wait()\nprint('parent done')\n")
    result = run(sandbox, code, test=None)
    assert result.status == "passed", result
    time.sleep(0.2)
    orphans = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                orphans.append(entry)
        except OSError:
            continue
    assert orphans == []


def test_rewriting_the_tests_changes_nothing(sandbox: SandboxSession) -> None:
    code = "import os\nos.remove('test.py')  # its folder is the program's: it may replace the file\n" \
           "with open('test.py', 'w') as f:\n    f.write('pass\\n')\nprint(open('test.py').read())\n"
    result = run(sandbox, code, test="assert False, 'the original tests ran'\n")
    assert result.status == "failed", result
    assert "the original tests ran" in result.stderr and result.stdout == "pass\n\n"
