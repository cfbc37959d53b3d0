"""The Python test harness run inside the sandbox (``python -I -S -c HARNESS solution.py test.py ENTRY``).

It runs the solution, then the test code, then ``check(<entry point>)`` when one is named, in one namespace, and
reports success by writing the run's token (taken out of the environment before any solution code runs) to fd 3.
So a program that exits early with status 0 (``sys.exit(0)``, ``os._exit(0)``) is not taken for a pass, and the
tests are compiled before the solution runs, so rewriting ``test.py`` changes nothing. Exit
status 3 means a resource limit stopped it (MemoryError, file too large, no more processes or files).
"""

HARNESS = r"""
import os, sys
token = os.environ.pop("SANDBOX_DONE_TOKEN", "").encode()
def read(path):
    with open(path, encoding="utf-8") as f:
        return compile(f.read(), path, "exec")
def main():
    ns = {"__name__": "__sandbox__", "__builtins__": __builtins__}
    solution, test, entry = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        tests = read(test) if test else None  # read before the solution runs: it may rewrite test.py
        exec(read(solution), ns)
        if tests is not None:
            exec(tests, ns)
        if entry:
            if entry not in ns or "check" not in ns:
                missing = entry if entry not in ns else "check"
                print(f"sandbox: {missing!r} is not defined after the code and its tests ran", file=sys.stderr)
                flushed(1)
            ns["check"](ns[entry])
    except SystemExit as exc:
        print(f"sandbox: the program called sys.exit({exc.code!r}) before its tests finished", file=sys.stderr)
        flushed(1)
    except MemoryError:
        print("sandbox: MemoryError (address-space limit)", file=sys.stderr)
        flushed(3)
    except BaseException as exc:
        import traceback
        traceback.print_exc()
        flushed(3 if isinstance(exc, OSError) and exc.errno in (27, 11, 24) else 1)  # EFBIG, EAGAIN, EMFILE
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.write(3, token)
    os._exit(0)
def flushed(code):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)
main()
"""
