"""``tf.sysconfig``: build facts, as far as they are true of minitf.

minitf is pure Python over numpy: it ships no C++ headers, no shared library and no C++ API, so
the flags for compiling and linking a custom op against it do not exist. ``get_include``,
``get_lib``, ``get_compile_flags`` and ``get_link_flags`` refuse (UnimplementedError) instead of
naming paths a compiler could not use. The constants say "no C++ build": ``CXX11_ABI_FLAG`` and
``MONOLITHIC_BUILD`` 0 (as ``tf.CXX11_ABI_FLAG``...), ``CXX_VERSION`` 0 (TF gives the
``__cplusplus`` value it was built with, e.g. 201703).
"""

from __future__ import annotations

import collections

from .errors import UnimplementedError
from .tf1_extras import CXX11_ABI_FLAG, MONOLITHIC_BUILD

__all__ = ["CXX11_ABI_FLAG", "CXX_VERSION", "MONOLITHIC_BUILD", "get_build_info",
           "get_compile_flags", "get_include", "get_lib", "get_link_flags"]

CXX_VERSION = 0  # no C++ is compiled (TF: the __cplusplus of its build, 201703 for TF 2.21)


def get_build_info() -> collections.OrderedDict:
    """The build facts TF reports for a CPU-only build: no CUDA, no ROCm, no TensorRT. (TF also
    names its C++ compiler, ``cpu_compiler``; minitf compiles nothing, so it is left out.)"""
    return collections.OrderedDict([("is_cuda_build", False), ("is_rocm_build", False),
                                    ("is_tensorrt_build", False)])


def _refuse(what):
    raise UnimplementedError(None, None, f"tf.sysconfig.{what}(): minitf has no C++ API (no "
                             "headers, no libtensorflow_framework to link): its kernels are "
                             "numpy, and custom ops are Python (tf.py_func or an OpDef)")


def get_include():
    """Refused: minitf ships no C++ headers."""
    _refuse("get_include")


def get_lib():
    """Refused: minitf has no framework library to link against."""
    _refuse("get_lib")


def get_compile_flags():
    """Refused: there is nothing to compile against."""
    _refuse("get_compile_flags")


def get_link_flags():
    """Refused: there is nothing to link against."""
    _refuse("get_link_flags")
