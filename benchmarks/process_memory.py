"""This process's resident memory from /proc (stdlib only: DataFlow's venv imports it too)."""

from __future__ import annotations


def memory_mb() -> tuple[int, int]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), MB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = int(line.split()[1]) // 1024
    return found.get("VmRSS", 0), found.get("VmHWM", 0)
