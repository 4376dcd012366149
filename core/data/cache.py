"""``Dataset.cache(filename="")``: in memory, or in a file that later iterators (another
graph, another process) read instead of running the upstream pipeline.

The file is a tensor bundle as TF writes it (``<filename>.index`` and
``<filename>.data-00000-of-00001``; element i's component j under the key ``"%7d_%d"``), so
TF and minitf read each other's caches of dense tensors. An iterator finding no
``<filename>.index`` when it starts writes the cache: it takes ``<filename>_0.lockfile``
(created exclusively, so a second writer fails with TF's AlreadyExistsError), keeps the
elements, and only when upstream ends writes the bundle (data, then index, each renamed into
place) and drops the lock. An iterator that stops early (re-initialised, its session closed)
discards what it had and drops the lock, as TF's: a partial cache is never read. A failed
element (see dataset_ops.py) is passed on but not kept: the replay has the others only, as TF's.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np

from .. import dtypes as _dt
from ..errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from ..graph import Tensor
from ..train import tensor_bundle as tb
from . import structure as st
from .dataset_ops import Dataset, failed

_MAX_ITEMS = 10_000_000  # TF's limit: the key's element index has 7 digits
_KEY = re.compile(r"^ *(\d+)_(\d+)$")


def _key(item: int, component: int) -> str:
    return f"{item:7d}_{component}"


class Cache(Dataset):
    """Elements are remembered on the first full pass and replayed after: later epochs (and,
    with a filename, later iterators) see the same values without rerunning upstream."""

    def __init__(self, dataset, filename=""):
        if isinstance(filename, Tensor):
            if filename.dtype != _dt.string or filename.shape.rank not in (None, 0):
                raise TypeError(f"Dataset.cache(): `filename` must be a tf.string scalar, got "
                                f"{filename!r}")
        elif isinstance(filename, (str, bytes, os.PathLike)):
            filename = os.fsdecode(filename)
        else:
            raise TypeError(f"Dataset.cache(): `filename` must be a string, got {filename!r}")
        self._filename = filename
        super().__init__(dataset._structure, (dataset,),
                         [filename] if isinstance(filename, Tensor) else [])

    def _elements(self, ctx):
        name = ctx.value(self._filename)
        name = os.fsdecode(np.asarray(name, dtype=object)[()]) if not isinstance(name, str) \
            else name
        if not name:
            yield from self._in_memory(ctx)
        elif tb.is_bundle(name):
            yield from self._read(name)
        else:
            yield from self._write(name, ctx)

    def _in_memory(self, ctx):
        state = ctx.state(self)
        if "done" in state:
            yield from state["done"]
            return
        seen = []
        for element in self._inputs[0]._elements(ctx):
            if not failed(element):
                seen.append(element)
            yield element
        state["done"] = seen

    def _write(self, prefix, ctx):
        lockfile = f"{prefix}_0.lockfile"
        try:
            fd = os.open(lockfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                with open(lockfile, encoding="utf-8", errors="replace") as f:
                    contents = f.read()
            except OSError:
                contents = ""
            raise AlreadyExistsError(
                None, None, f"There appears to be a concurrent caching iterator running - "
                f"cache lockfile already exists ('{lockfile}'). If you are sure no other "
                f"running TF computations are using this cache prefix, delete the lockfile and "
                f"re-initialize the iterator. Lockfile contents: {contents}") from None
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{lockfile}; No such file or directory") from None
        with os.fdopen(fd, "w") as f:
            f.write(f"Created at: {int(time.time())}")
        try:
            arrays, i = {}, 0
            for element in self._inputs[0]._elements(ctx):
                if failed(element):
                    yield element
                    continue
                if i >= _MAX_ITEMS:
                    raise InvalidArgumentError(
                        None, None, f"Upstream iterator is producing more than {_MAX_ITEMS} "
                        "items, which is more than the cache limit.")
                for j, value in enumerate(element):
                    arrays[_key(i, j)] = value
                i += 1
                yield element
            tb.write_bundle(prefix, arrays)  # data then index, renamed into place
        finally:  # also when the iterator is dropped early: nothing partial stays behind
            try:
                os.unlink(lockfile)
            except FileNotFoundError:
                pass

    def _read(self, prefix):
        with tb.BundleReader(prefix) as reader:  # the data file opened once, not per tensor
            yield from self._cached(reader, prefix)

    def _cached(self, reader, prefix):
        items: dict[int, int] = {}
        for name in reader.entries:
            m = _KEY.match(name)
            if m is None:
                raise InvalidArgumentError(None, None, f"{prefix} is not a dataset cache: it "
                                           f"holds the tensor {name!r}")
            i, j = int(m.group(1)), int(m.group(2))
            items[i] = max(items.get(i, 0), j + 1)
        specs = st.components(self._structure)
        for i in range(len(items)):
            if items.get(i) != len(specs):
                raise InvalidArgumentError(
                    None, None, f"The cache {prefix} holds elements of {items.get(i, 0)} "
                    f"components, the dataset's have {len(specs)}")
            element = []
            for j, spec in enumerate(specs):
                value = reader.read(_key(i, j))
                got = st.string_or_numpy_dtype(value)
                if got != spec.dtype:
                    raise InvalidArgumentError(
                        None, None, f"Data type mismatch at component {j}: expected "
                        f"{spec.dtype.name} but got {got.name}.")
                element.append(value)
            yield tuple(element)
