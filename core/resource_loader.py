"""``tf.resource_loader``: TF1's helpers for finding data files next to code.

TF resolves a resource path under Bazel's runfiles first; minitf is not built with Bazel, so
only TF's fallback applies: paths are relative to the calling file's directory, and
``load_resource`` reads paths relative to the minitf package (TF's: relative to tensorflow/).
"""

from __future__ import annotations

import inspect
import os
import sys

__all__ = ["get_data_files_path", "get_path_to_datafile", "get_root_dir_with_all_resources",
           "load_resource", "readahead_file_path"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def load_resource(path) -> bytes:
    """The bytes of ``path``, relative to the minitf package directory."""
    with open(os.path.join(_PACKAGE_DIR, path), "rb") as f:
        return f.read()


def get_data_files_path() -> str:
    """The directory of the calling file."""
    return os.path.dirname(inspect.getfile(sys._getframe(1)))


def get_root_dir_with_all_resources() -> str:
    """The runfiles root holding the library (the directory just under a ``*.runfiles`` one
    above it), else the library's own directory: TF starts from its resource_loader module's
    directory, so minitf starts from its package directory."""
    return _root_dir_from(_PACKAGE_DIR)


def _root_dir_from(start: str) -> str:
    directories = [start]
    data_files_dir = ""
    while True:
        candidate = directories[-1]
        if ".runfiles" in os.path.basename(candidate):
            if len(directories) > 1:
                data_files_dir = directories[-2]
            break
        parent = os.path.dirname(candidate)
        if parent == candidate:
            break
        directories.append(parent)
    return data_files_dir or directories[0]


def get_path_to_datafile(path) -> str:
    """``path`` joined to the calling file's directory."""
    return os.path.join(os.path.dirname(inspect.getfile(sys._getframe(1))), path)


def readahead_file_path(path, readahead="128M"):
    """``path`` itself (TF's readahead is a no-op too)."""
    return path
