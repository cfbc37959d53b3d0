"""The sandbox launcher: a standalone script run by ``SandboxRunner`` (``python -I -S launcher.py CONFIG``, the
config a hex-encoded ``marshal`` dict).

It imports nothing from the project (it runs under ``-I -S``). Steps, each one optional by the config:

1. ``unshare`` new mount, network, PID, IPC and UTS namespaces (plus a user namespace when not run as root).
2. A new root: an empty read-only skeleton with read-only binds of the interpreter's folders and four device nodes,
   the empty work dir bound read-write at ``/sandbox``; ``pivot_root`` into it and detach the old root.
3. ``fork``: the child is PID 1 of the new PID namespace (when it dies the kernel kills everything in it). It drops
   to the run's own unprivileged uid/gid (no groups), sets the rlimits, ``no_new_privs``, a seccomp filter that
   refuses non-Unix sockets and io_uring, and runs the program: a Python program in this interpreter (itself started
   ``-I -S``: one interpreter start per run instead of two), anything else by ``exec``.
4. The launcher waits with a wall-clock limit (pidfd), kills on timeout, and reports on the status fd:
   ``S`` (program started), ``E:<why>`` (could not start), ``T`` (wall timeout), ``X:<code>`` / ``K:<signal>``
   and ``C:<cpu seconds>``.
"""

import ctypes
import marshal
import os
import resource
import select
import signal
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 38, 22
SECCOMP_MODE_FILTER = 2
# per architecture: (AUDIT_ARCH, pivot_root, socket, io_uring_setup)
ARCH = {"x86_64": (0xC000003E, 155, 41, 425), "aarch64": (0xC00000B7, 41, 198, 425)}
LIBC = ctypes.CDLL(None, use_errno=True)


def fail(status_fd, why):
    """Report that the program could not start, and stop."""
    os.write(status_fd, ("E:" + why.replace(";", ",")[:2000] + ";").encode())
    os._exit(125)


def check(result, what):
    """Raise OSError with errno when a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags):
    """mount(2)."""
    check(LIBC.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                     ctypes.c_ulong(flags), None), f"mount {source} {target}")


def mount_flags(path):
    """The MS_* flags of the mount holding path that a bind remount must keep (locked in a user namespace)."""
    st = os.statvfs(path)
    return st.f_flag & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def map_own_ids():
    """Unprivileged: map our own uid/gid to themselves inside the new user namespace."""
    uid, gid = os.getuid(), os.getgid()
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def new_root(cfg):
    """Bind the read-only folders and the work dir into the skeleton and pivot into it."""
    root, arch = cfg["skeleton"], ARCH[os.uname().machine]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount(root, root, None, MS_BIND)
    for path in cfg["ro_binds"]:
        target = root + path
        mount(path, target, None, MS_BIND | MS_REC)
    for dev in ("null", "zero", "random", "urandom"):
        mount("/dev/" + dev, f"{root}/dev/{dev}", None, MS_BIND)
    mount(cfg["work"], root + "/sandbox", None, MS_BIND)
    mount(None, root + "/sandbox", None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV
          | mount_flags(root + "/sandbox"))
    # every mount under the new root except the work dir becomes read-only (submounts of the binds included)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in points:
        if (point == root or point.startswith(root + "/")) and point != root + "/sandbox":
            extra = 0 if point.startswith(root + "/dev/") else MS_NODEV
            mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | extra | mount_flags(point))
    os.chdir(root)
    check(LIBC.syscall(arch[1], b".", b"oldroot"), "pivot_root")
    os.chdir("/")
    check(LIBC.umount2(b"/oldroot", MNT_DETACH), "umount old root")


def seccomp_no_sockets():
    """A seccomp filter: socket() of any family but AF_UNIX and io_uring_setup fail with EPERM."""
    audit_arch, _, nr_socket, nr_uring = ARCH[os.uname().machine]
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    allow, eperm, kill = 0x7FFF0000, 0x00050001, 0x80000000
    jge = 0x35  # BPF_JMP|JGE|K: x32 system calls (nr >= 0x40000000) are refused too
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, audit_arch), (ret, 0, 0, kill),
            (ld, 0, 0, 0), (jge, 0, 1, 0x40000000), (ret, 0, 0, eperm),
            (jeq, 0, 1, nr_uring), (ret, 0, 0, eperm),
            (jeq, 0, 3, nr_socket), (ld, 0, 0, 16), (jeq, 1, 0, 1), (ret, 0, 0, eperm),
            (ret, 0, 0, allow)]
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog)
    check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_ulong(ctypes.addressof(fbuf)), 0, 0), "seccomp")


def become_program(cfg, status_fd):
    """In the child: drop privileges, set limits, exec the program (never returns)."""
    try:
        uid, gid = cfg["uid"], cfg["gid"]
        if os.getuid() == 0:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        check(LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")  # after the uid change
        limits = cfg["limits"]
        for name, value in (("RLIMIT_CPU", limits["cpu_s"]), ("RLIMIT_AS", limits["address_space"]),
                            ("RLIMIT_NPROC", limits["processes"]), ("RLIMIT_FSIZE", limits["file_size"]),
                            ("RLIMIT_NOFILE", limits["open_files"]), ("RLIMIT_CORE", 0)):
            hard = value + 1 if name == "RLIMIT_CPU" else value
            resource.setrlimit(getattr(resource, name), (value, hard))
        check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        if cfg["seccomp"]:
            seccomp_no_sockets()
        os.chdir(cfg["cwd"])
        if cfg.get("done_fd") is not None:
            os.dup2(201, 3)  # inheritable: the program's harness reports that its tests finished on fd 3
            os.close(201)
        if cfg["inline"]:
            os.write(status_fd, b"S")
            os.close(status_fd)
            run_inline(cfg)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        os.write(status_fd, b"S")
        os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
    except BaseException as exc:  # anything before exec: the run could not start
        fail(status_fd, f"{type(exc).__name__}: {exc}")


def run_inline(cfg):
    """Run the Python program in this (``-I -S``) interpreter instead of exec'ing a second one; never returns.

    ``argv`` is ``[python, -I, -S, -c, CODE, args…]`` or ``[python, -I, -S, FILE, args…]``; the program gets the
    same ``sys.argv``, environment and exit status as under a fresh interpreter.
    """
    import builtins

    argv = cfg["argv"]
    os.environ.clear()
    os.environ.update(cfg["env"])
    cfg.clear()  # the run's token stays only in os.environ, for the harness to take
    if argv[3] == "-c":
        source, name, sys.argv = argv[4], "<string>", ["-c", *argv[5:]]
    else:
        with open(argv[3], encoding="utf-8") as f:
            source = f.read()
        name, sys.argv = argv[3], argv[3:]
    sys.orig_argv = list(argv)
    code = 0
    try:
        exec(compile(source, name, "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code & 0xFF)


def kill_all(pid, cfg):
    """Kill the program: its PID namespace dies with it; without one, its process group and everything of its uid."""
    for action in (lambda: os.kill(pid, signal.SIGKILL), lambda: os.killpg(pid, signal.SIGKILL)):
        try:
            action()
        except OSError:
            pass
    if not cfg["namespaces"] and os.getuid() == 0 and os.fork() == 0:
        os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
        try:
            os.kill(-1, signal.SIGKILL)  # as the run's own uid: every process of that uid, nothing else
        finally:
            os._exit(0)


def main():
    """Set up the sandbox, run the program, report."""
    cfg = marshal.loads(bytes.fromhex(sys.argv[1]))  # marshal: no import cost, unlike json
    status_fd = os.dup2(cfg["status_fd"], 200, inheritable=False)  # away from 3, where the done fd goes
    os.close(cfg["status_fd"])
    if cfg.get("done_fd") is not None:
        os.dup2(cfg["done_fd"], 201, inheritable=False)
        os.close(cfg["done_fd"])
    try:
        if cfg["namespaces"]:
            flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
            root = os.getuid() == 0
            check(LIBC.unshare(flags if root else flags | CLONE_NEWUSER), "unshare")
            if not root:
                map_own_ids()
            new_root(cfg)
    except BaseException as exc:
        fail(status_fd, f"{type(exc).__name__}: {exc}")
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        become_program(cfg, status_fd)
    signal.signal(signal.SIGTERM, lambda *_: kill_all(pid, cfg))  # the runner ends a run: kill, then reap below
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], cfg["wall_s"])
    if not ready:
        kill_all(pid, cfg)
        os.write(status_fd, b"T")
    _, status, usage = os.wait4(pid, 0)
    kill_all(pid, cfg)
    report = f"C:{usage.ru_utime + usage.ru_stime:.3f}"
    if os.WIFSIGNALED(status):
        report = f"K:{os.WTERMSIG(status)};" + report
    else:
        report = f"X:{os.WEXITSTATUS(status)};" + report
    os.write(status_fd, report.encode())
    os._exit(0)


if __name__ == "__main__":
    main()
