"""Reading checkpoints of either format (minitf's .npz, TensorFlow's bundle) by name:
``tf.train.list_variables``, ``load_variable``, ``NewCheckpointReader`` / ``load_checkpoint``
and the lazy mapping freezing reads variables from. (Split from saver.py, which re-exports
these names; the format is described there.)"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import numpy as np

from ..errors import NotFoundError, UnimplementedError
from . import tensor_bundle
from .npz_format import _SUFFIX, _is_npz, _read, _read_npz
from .saver import _region, latest_checkpoint


def list_variables(ckpt_dir_or_file) -> list:
    """[(name, shape)] of a checkpoint (a prefix or a directory with a ``checkpoint`` file);
    a TF checkpoint's data is not read."""
    return sorted(CheckpointReader(ckpt_dir_or_file).get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name) -> np.ndarray:
    """A variable's value; ``name`` may be a tensor name (``v.name``: the ``:0`` is dropped, as
    TF does). A scalar comes back as a numpy scalar."""
    prefix = _resolve(ckpt_dir_or_file)
    if name.endswith(":0"):
        name = name[:-2]
    arrays = _read(prefix, names=[name])
    if name not in arrays:
        raise NotFoundError(None, None, f"Key {name} not found in checkpoint {ckpt_dir_or_file}")
    value = arrays[name]
    return value[()] if value.ndim == 0 else value


class CheckpointReader:
    """TF1's ``tf.train.NewCheckpointReader`` / ``load_checkpoint`` over a minitf or TensorFlow
    checkpoint (a prefix, or a directory with a ``checkpoint`` file). A TF checkpoint's index is
    read here and each tensor's data when asked for (as TF's reader does)."""

    def __init__(self, ckpt_dir_or_file):
        prefix = _resolve(str(ckpt_dir_or_file))
        self._bundle = None
        if not _is_npz(prefix) and tensor_bundle.is_bundle(prefix):
            self._bundle = tensor_bundle.BundleReader(prefix)
            self._arrays = _LazyTensors(self._bundle)
        else:
            self._arrays = _read(prefix)

    def _specs(self) -> dict:
        """{name: (dtype enum or numpy dtype, shape)} without reading data."""
        if self._bundle is not None:
            return {n: (e.dtype, e.shape) for n, e in self._bundle.entries.items()}
        return {n: (a.dtype, a.shape) for n, a in self._arrays.items()}

    def get_variable_to_shape_map(self) -> dict:
        return {name: list(shape) for name, (_, shape) in self._specs().items()}

    def get_variable_to_dtype_map(self) -> dict:
        """{name: tf.DType}; a type minitf has no DType for (complex, bfloat16...) comes back as
        its numpy dtype, or as TensorFlow's name when numpy has none."""
        return {name: _dtype(d) for name, (d, _) in self._specs().items()}

    def has_tensor(self, name) -> bool:
        return name in self._arrays

    def get_tensor(self, name):
        """The variable's value (a numpy scalar for a scalar, as TF's reader gives)."""
        if name not in self._arrays:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        value = self._arrays[name]
        return value[()] if value.ndim == 0 else value.copy()

    def debug_string(self) -> bytes:
        lines = [f"{n} ({getattr(_dtype(d), 'name', d)}) {list(shape)}"
                 for n, (d, shape) in sorted(self._specs().items())]
        return ("\n".join(lines) + "\n").encode()


def _dtype(d):
    from .. import dtypes

    try:
        return dtypes.as_dtype(d)
    except TypeError:
        pass
    if isinstance(d, np.dtype):
        return d
    try:
        return tensor_bundle.numpy_dtype(d)
    except UnimplementedError:
        return tensor_bundle.dtype_name(d)


class _LazyTensors(Mapping):
    """A TF checkpoint's tensors by name, each read (and checksummed) on first access."""

    def __init__(self, reader: tensor_bundle.BundleReader):
        self._reader = reader
        self._cache: dict = {}

    def __getitem__(self, name):
        if name not in self._reader.entries:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = self._reader.read(name)
        return self._cache[name]

    def __contains__(self, name):  # without reading the tensor (Mapping's would)
        return name in self._reader.entries

    def __iter__(self):
        return iter(self._reader.entries)

    def __len__(self):
        return len(self._reader.entries)


NewCheckpointReader = CheckpointReader


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    return CheckpointReader(ckpt_dir_or_file)


def load_checkpoint_arrays(ckpt_dir_or_file) -> Mapping:
    """Every variable of a checkpoint by name (used by freezing). For a TF checkpoint, a
    read-only mapping that reads each tensor when it is looked up, so a freeze needs only the
    variables it uses to be readable."""
    prefix = _resolve(ckpt_dir_or_file)
    if _is_npz(prefix):
        return _WithParts(*_read_npz(prefix + _SUFFIX))
    if not tensor_bundle.is_bundle(prefix):
        return _read(prefix)  # (raises the NotFoundError naming both formats' files)
    reader = tensor_bundle.BundleReader(prefix)
    layout = {name: [(tuple(s for s, _ in extents),
                      tuple(n if n >= 0 else d for (_, n), d in zip(extents, entry.shape)))
                     for extents, _ in entry.slices]
              for name, entry in reader.entries.items() if entry.slices}
    return _WithParts(_LazyTensors(reader), layout)


class _WithParts(Mapping):
    """A checkpoint's tensors by name, where ``X/part_K`` (``X/part_K/slot``), not itself in
    it, is the K-th part by offset of ``X`` (``X/slot``) saved in slices: TF's names for the
    parts, which a GraphDef to freeze refers to without saying where they lie."""

    _PART = re.compile(r"(.+)/part_(\d+)(/.+)?")

    def __init__(self, arrays: Mapping, layout: dict):
        self._arrays, self._layout = arrays, layout

    def _part(self, name):
        m = self._PART.fullmatch(name)
        if m is None or name in self._arrays:
            return None
        whole = m[1] + (m[3] or "")
        blocks = sorted(self._layout.get(whole, ()))
        k = int(m[2])
        return (whole, blocks[k]) if k < len(blocks) else None

    def __getitem__(self, name):
        if name in self._arrays:
            return self._arrays[name]
        part = self._part(name)
        if part is None:
            raise KeyError(name)
        return self._arrays[part[0]][_region(*part[1])]

    def __contains__(self, name):
        return name in self._arrays or self._part(name) is not None

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self):
        return len(self._arrays)


def _resolve(ckpt_dir_or_file):
    if os.path.isdir(ckpt_dir_or_file):
        latest = latest_checkpoint(ckpt_dir_or_file)
        if latest is None:  # TF's class and words (checkpoint_utils.load_checkpoint)
            raise ValueError("Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {ckpt_dir_or_file}")
        return latest
    p = str(ckpt_dir_or_file)
    if p.endswith(_SUFFIX):
        return p[:-len(_SUFFIX)]
    # A TF checkpoint named by its index file (``model.ckpt.index``) means its prefix.
    if p.endswith(tensor_bundle.INDEX_SUFFIX) and os.path.isfile(p) and not _is_npz(p) \
            and not tensor_bundle.is_bundle(p):
        return p[:-len(tensor_bundle.INDEX_SUFFIX)]
    return p
