"""Helpers for tests that start long-running processes (`dagster dev`, `dagster-daemon`) in their own session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_session(process: subprocess.Popen) -> None:
    """TERM the process group started with ``start_new_session`` (servers, daemon, run workers), then KILL the rest."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if not group_alive(process.pid):
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
