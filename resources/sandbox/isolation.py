"""The sandbox's file-system layout on the host: the base folder, the read-only root skeleton, per-run work dirs.

The skeleton is an empty tree of mount points (one folder per read-only bind, symlinks where the host has them,
``dev/{null,zero,random,urandom}``, ``sandbox/`` for the work dir, ``oldroot/`` for ``pivot_root``); each run binds
into it inside its own mount namespace, so one skeleton serves every run and the host never sees the binds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEVICES = ("null", "zero", "random", "urandom")
UID_BASE, UID_SPAN = 1 << 30, 1 << 29  # run uids: far above login users and rootless-container subuid ranges


def interpreter() -> str:
    """The base Python interpreter (not the venv's wrapper): what sandboxed Python programs run on."""
    return os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)


def default_ro_binds() -> list[str]:
    """Host folders visible read-only inside: ``/usr`` (with ``/bin``, ``/lib``… as symlinks) and the Python prefix."""
    found = ["/usr", os.path.realpath(sys.base_prefix)]
    for path in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.isdir(path) and not os.path.islink(path):
            found.append(path)
    return outermost(found)


def outermost(paths: list[str]) -> list[str]:
    """Paths not inside another one of the list (a nested bind would be covered already)."""
    clean = sorted({os.path.realpath(p) for p in paths})
    return [p for p in clean if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in clean)]


@dataclass
class Layout:
    """The base folder of one resource: the skeleton root and the per-run work dirs under it."""

    base: Path
    skeleton: Path
    ro_binds: list[str]

    @classmethod
    def create(cls, ro_binds: list[str]) -> Layout:
        """A fresh base folder with a skeleton for these read-only binds."""
        base = Path(tempfile.mkdtemp(prefix="dataflow-sandbox-"))
        base.chmod(0o711)
        skeleton = base / "root"
        skeleton.mkdir(mode=0o755)
        for path in ro_binds:
            (skeleton / path.lstrip("/")).mkdir(mode=0o755, parents=True, exist_ok=True)
        for link in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
            if os.path.islink(link) and not (skeleton / link[1:]).exists():
                os.symlink(os.readlink(link), skeleton / link[1:])
        (skeleton / "dev").mkdir(mode=0o755)
        for dev in DEVICES:
            (skeleton / "dev" / dev).touch(mode=0o644)
        (skeleton / "sandbox").mkdir(mode=0o755)
        (skeleton / "oldroot").mkdir(mode=0o755)
        for folder in [skeleton, *skeleton.rglob("*")]:
            if folder.is_dir() and not folder.is_symlink():
                folder.chmod(0o755)
        return cls(base, skeleton, ro_binds)

    def work_dir(self, owner: int | None) -> Path:
        """A new empty work dir, owned by the run's uid (when we can give it one), mode 700."""
        work = Path(tempfile.mkdtemp(prefix="run-", dir=self.base))
        if owner is not None:
            os.chown(work, owner, owner)
        return work

    def remove(self) -> None:
        """Delete the base folder and everything under it."""
        shutil.rmtree(self.base, ignore_errors=True)


def run_uid() -> int | None:
    """A fresh unprivileged uid (= gid) for one run when we are root, else None (the run keeps our uid).

    Each run has its own uid, so the process-count limit (counted per uid by the kernel, and not applied to root)
    counts that run's processes only, and the run can touch no file of another run or of the host's users.
    """
    return UID_BASE + secrets.randbelow(UID_SPAN) if os.getuid() == 0 else None


def reachable_by_others(path: str) -> bool:
    """Whether an unprivileged uid could run ``path``: every folder above it searchable, the file executable."""
    parts = Path(path).parents
    return all(os.stat(p).st_mode & 0o001 for p in parts) and bool(os.stat(path).st_mode & 0o005 == 0o005)
