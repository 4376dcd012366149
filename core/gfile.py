"""``tf.gfile``: TF1's file API, on the local file system (no GCS/HDFS).

Enough for the usual recipes, e.g. reading a frozen graph::

    with tf.gfile.GFile("frozen.pb", "rb") as f:
        graph_def = tf.GraphDef()
        graph_def.ParseFromString(f.read())
"""

from __future__ import annotations

import glob as _glob
import os
import shutil

from .errors import FailedPreconditionError, NotFoundError

__all__ = ["GFile", "Open", "FastGFile", "Exists", "IsDirectory", "ListDirectory", "MakeDirs",
           "MkDir", "Glob", "Remove", "Rename", "Copy", "DeleteRecursively", "Walk", "Stat",
           "FileStatistics", "exists", "isdir", "listdir", "makedirs", "mkdir", "glob", "remove",
           "rename", "copy", "rmtree", "walk", "stat", "join"]


def open_file(name, mode="rb"):
    """``open``, its failures TF's: a missing file is NotFoundError, a directory where a file
    is expected FailedPreconditionError (TF's words: "<name>; Is a directory"). The readers of
    files (gfile, TFRecords, event and meta graph files) open theirs here."""
    try:
        return open(os.fspath(name), mode)  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{name}; No such file or directory") from None
    except IsADirectoryError:
        raise FailedPreconditionError(None, None, f"{name}; Is a directory") from None


def GFile(name, mode="r"):  # noqa: N802 - TF's names
    """A file object (``open``); a missing file is NotFoundError, a directory
    FailedPreconditionError, as in TF."""
    return open_file(name, mode)


Open = FastGFile = GFile


def Exists(filename) -> bool:  # noqa: N802
    return os.path.exists(filename)


def IsDirectory(dirname) -> bool:  # noqa: N802
    return os.path.isdir(dirname)


def ListDirectory(dirname) -> list:  # noqa: N802
    if not os.path.isdir(dirname):
        raise NotFoundError(None, None, f"Could not find directory {dirname}")
    return sorted(os.listdir(dirname))


def MakeDirs(dirname):  # noqa: N802
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname):  # noqa: N802
    os.mkdir(dirname)


def Glob(pattern) -> list:  # noqa: N802
    return sorted(_glob.glob(pattern))


def Remove(filename):  # noqa: N802
    try:
        os.remove(filename)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{filename}; No such file or directory") from None


def Rename(oldname, newname, overwrite=False):  # noqa: N802
    if not overwrite and os.path.exists(newname):
        from .errors import AlreadyExistsError
        raise AlreadyExistsError(None, None, f"file already exists: {newname}")
    os.replace(oldname, newname)


def Copy(oldpath, newpath, overwrite=False):  # noqa: N802
    if not overwrite and os.path.exists(newpath):
        from .errors import AlreadyExistsError
        raise AlreadyExistsError(None, None, f"file already exists: {newpath}")
    shutil.copyfile(oldpath, newpath)


def DeleteRecursively(dirname):  # noqa: N802
    if not os.path.exists(dirname):
        raise NotFoundError(None, None, f"{dirname}; No such file or directory")
    shutil.rmtree(dirname)


def Walk(top, in_order=True):  # noqa: N802
    """(dirname, subdirs, files) for ``top`` and below, like TF's (and os.walk)."""
    yield from os.walk(top, topdown=in_order)


class FileStatistics:
    """What ``Stat`` returns: ``length`` in bytes, ``mtime_nsec``, ``is_directory``."""

    __slots__ = ("length", "mtime_nsec", "is_directory")

    def __init__(self, length=0, mtime_nsec=0, is_directory=False):
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory

    def __repr__(self):
        return (f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, "
                f"is_directory={self.is_directory})")


def Stat(filename) -> FileStatistics:  # noqa: N802
    """A file's size, modification time (ns) and kind; NotFoundError when it is missing."""
    try:
        st = os.stat(os.fspath(filename))
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{filename}; No such file or directory") from None
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(filename))


# ``tf.io.gfile``'s names for the same functions (TF 1.14+ and TF 2).
exists, isdir, listdir, makedirs, mkdir, glob, remove, rename, copy, rmtree, walk, stat = (
    Exists, IsDirectory, ListDirectory, MakeDirs, MkDir, Glob, Remove, Rename, Copy,
    DeleteRecursively, Walk, Stat)


def join(path, *paths) -> str:
    """``tf.io.gfile.join``: ``os.path.join``, or a '/' join of the path part for a URL
    ("gs://bucket/a" + "b"), as TF joins them (a pure string operation)."""
    path = os.fspath(path)
    if "://" in path[1:]:
        import posixpath
        from urllib.parse import urlparse, urlunparse

        parsed = urlparse(path)
        return urlunparse(parsed._replace(path=posixpath.join(parsed.path, *paths)))
    return os.path.join(path, *paths)
