"""The execution sandbox (key ``sandbox``, ``ctx.sandbox``): the resource, its runner, the launcher script that
sets up namespaces, a read-only root, an unprivileged uid, rlimits and seccomp, and the Python test harness."""

from resources.sandbox.resource import SandboxResource, SandboxSession, sandbox_from_env

__all__ = ["SandboxResource", "SandboxSession", "sandbox_from_env"]
