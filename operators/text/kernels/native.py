"""The compiled text kernels: C in ``operators/text/kernels/``, built with the package, called through ctypes.

``pip install -e .`` (``make venv``) compiles each ``kernels/<name>.c`` into the extension file
``operators/text/_<name>`` (setuptools ``ext-modules`` in pyproject.toml). A ctypes call releases the GIL, so the
operators' pool threads run kernels side by side, and loading a library costs a ``dlopen``: no compiler or JIT
at run time (numba's import and cache loading took ~0.4 s of each run's CPU, on its critical path).
"""

from __future__ import annotations

import ctypes
import importlib.util
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

pointer, i64, u64, f64 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double


@cache
def library(name: str) -> ctypes.CDLL:
    """The compiled extension ``operators.text.kernels._<name>``, loaded once."""
    spec = importlib.util.find_spec(f"operators.text.kernels._{name}")
    if spec is None or spec.origin is None or not spec.origin.endswith(".so"):
        raise ImportError(f"the compiled kernels operators.text.kernels._{name} are not built: install the project "
                          f"(`make venv`, or `pip install -e .`), which compiles operators/text/kernels/{name}.c")
    return ctypes.CDLL(spec.origin)


def kernel(name: str, function: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
    """The C function ``function`` of library ``name``, typed."""
    found = getattr(library(name), function)
    found.restype, found.argtypes = restype, list(argtypes)
    return found


def as_uint8(array: np.ndarray) -> np.ndarray:
    """``array`` as a C-contiguous uint8 array (a bool array: its uint8 view), copied only when it must be."""
    array = np.asarray(array)
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
    return np.ascontiguousarray(array, dtype=np.uint8)


def as_int64(array: np.ndarray) -> np.ndarray:
    """``array`` as a C-contiguous int64 array, copied only when it must be."""
    return np.ascontiguousarray(array, dtype=np.int64)


def address(array: np.ndarray) -> int:
    """The data pointer of a C-contiguous array, for a kernel argument."""
    if not array.flags.c_contiguous:
        raise ValueError("a kernel argument must be a C-contiguous array")
    return array.ctypes.data
