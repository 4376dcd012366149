"""Writing bundles: write_bundle (one shard, tensors whole or in slices, files renamed into
place so no reader sees half a bundle), merge_bundles (TF's MergeV2Checkpoints: a sharded
Saver's bundles become one) and temp_file, the temporary files both write first.

The entries and the table they go in are encoded by tensor_bundle_entry.py and
tensor_bundle_table.py; merging reads indexes with tensor_bundle_reader.py. The format is
described in tensor_bundle.py. (Split from tensor_bundle.py, which re-exports these names.)"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..tfrecord import crc32c
from .tensor_bundle_entry import (DT_STRING, BundleEntry, _dtype_enum, _encode_strings,
                                  _entry_proto, _header_proto, _sliced_entry_proto, _unmask,
                                  data_filename, dtype_name, index_filename, is_bundle,
                                  raw_dtype)
from .tensor_bundle_reader import read_index
from .tensor_bundle_slices import slice_key
from .tensor_bundle_table import encode_table


# -- writing -------------------------------------------------------------------------------------
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # (read once, at import: the process's umask, restored at once)


def temp_file(directory: str, prefix: str, suffix: str = "") -> tuple[int, str]:
    """mkstemp with the mode a plain open() would give (mkstemp's is 0600): checkpoints are
    read by other users too, a model server say."""
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    os.fchmod(fd, 0o666 & ~_UMASK)
    return fd, path


class _DataWriter:
    """Appends tensors to a data file; ``add`` returns the entry pointing at the bytes."""

    def __init__(self, f):
        self.f, self.offset = f, 0

    def add(self, name, arr, dtype) -> bytes:
        if dtype == DT_STRING:
            data, crc = _encode_strings(name, arr)
            self.f.write(data)
            size = len(data)
        else:
            raw = np.ascontiguousarray(_dt.storage_view(arr), dtype=raw_dtype(dtype))
            raw = raw.reshape(-1).view(np.uint8)
            self.f.write(raw.data)
            size, crc = raw.size, crc32c(raw)
        entry = _entry_proto(dtype, arr.shape, self.offset, size, crc)
        self.offset += size
        return entry


def write_bundle(prefix, arrays: dict, slices: dict | None = None,
                 name_order: bool = True) -> None:
    """Writes ``arrays`` ({name: array-like}) as the one-shard bundle ``prefix.index`` +
    ``prefix.data-00000-of-00001``, readable by TensorFlow's ``tf.train.load_checkpoint`` and
    ``Saver.restore``. ``slices`` ({name: [(offset, shape), ...]}) saves those tensors as TF
    saves a partitioned variable: only those blocks of ``arrays[name]`` (the whole tensor), each
    under its slice key (a length of -1: the whole dimension, kept so as TF keeps it). Both
    files go to temporary names first and are renamed (data, then index), so a reader never
    sees half a bundle. The data follow the names' order (as TF's Saver sorts them), or with
    ``name_order=False`` that of ``arrays`` (as TF's SaveV2 takes its inputs)."""
    prefix = str(prefix)
    directory = os.path.dirname(prefix) or "."
    os.makedirs(directory, exist_ok=True)
    slices = slices or {}
    named = []
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(None, None, f"Checkpoint tensor names must be non-empty "
                                       f"strings, got {name!r}")
        arr = np.asarray(value)
        named.append((name.encode(), name, arr, _dtype_enum(name, arr)))
    if name_order:
        named.sort(key=lambda t: t[0])  # data in name order, a tensor's slices in turn (as TF)
    entries, tmp_paths = [], []
    try:
        fd, tmp_data = temp_file(directory, ".tmp-bundle-data-")
        tmp_paths.append(tmp_data)
        with os.fdopen(fd, "wb") as f:
            data = _DataWriter(f)
            for key, name, arr, dtype in named:
                blocks = [(tuple(o), tuple(n)) for o, n in slices.get(name, ())]
                if not blocks or (len(blocks) == 1 and all(
                        n < 0 or (o, n) == (0, d) for o, n, d in zip(*blocks[0], arr.shape))):
                    entries.append((key, data.add(name, arr, dtype)))  # a whole one: plain (TF)
                    continue
                entries.append((key, _sliced_entry_proto(dtype, arr.shape, blocks)))
                for offset, shape in blocks:
                    piece = arr[tuple(slice(o, o + n if n >= 0 else None)
                                      for o, n in zip(offset, shape))]
                    entries.append((slice_key(name, list(zip(offset, shape))),
                                    data.add(name, piece, dtype)))
        table = encode_table([(b"", _header_proto())] + sorted(entries))
        fd, tmp_index = temp_file(directory, ".tmp-bundle-index-")
        tmp_paths.append(tmp_index)
        with os.fdopen(fd, "wb") as f:
            f.write(table)
        os.replace(tmp_data, data_filename(prefix, 0, 1))
        os.replace(tmp_index, index_filename(prefix))
    except BaseException:
        for p in tmp_paths:
            if os.path.exists(p):
                os.unlink(p)
        raise


# -- merging (MergeV2Checkpoints) ----------------------------------------------------------------
def merge_bundles(prefixes, destination, allow_missing_files: bool = False) -> None:
    """TF's MergeBundles: the bundles ``prefixes`` (a sharded Saver's one per device) become the
    one bundle ``destination``. Their data files are renamed to its shards in turn and one index
    lists every entry with its new shard (the slices of one tensor from several bundles under
    one entry); the old index files are deleted."""
    found = []
    for p in map(str, prefixes):
        if is_bundle(p):
            found.append(p)
        elif not allow_missing_files:
            raise InvalidArgumentError(None, None, f"allow_missing_files was set to false and "
                                       f"{p} did not exist ({index_filename(p)} not found)")
    if not found:
        raise InvalidArgumentError(None, None, "At least one prefix checkpoint file must exist, "
                                   "but none existed.")
    entries: dict = {}
    shards: list = []  # data files in their new order
    for p in found:
        num_shards, index = read_index(p)
        for name, entry in index.items():
            _merge_entry(entries, name, entry, len(shards), p)
        shards += [data_filename(p, i, num_shards) for i in range(num_shards)]
    destination = str(destination)
    directory = os.path.dirname(destination) or "."
    os.makedirs(directory, exist_ok=True)
    for k, path in enumerate(shards):
        try:
            os.replace(path, data_filename(destination, k, len(shards)))
        except FileNotFoundError:
            raise NotFoundError(None, None, f"Merging checkpoints into {destination}: data file "
                                f"{path} not found") from None
    fd, tmp = temp_file(directory, ".tmp-bundle-index-")
    with os.fdopen(fd, "wb") as f:
        f.write(encode_table(_index_items(entries, len(shards))))
    os.replace(tmp, index_filename(destination))
    for p in found:
        if index_filename(p) != index_filename(destination):
            os.unlink(index_filename(p))


def _merge_entry(entries: dict, name: str, entry: BundleEntry, first_shard: int, prefix) -> None:
    """Adds one tensor of the bundle ``prefix``, its shards counted from ``first_shard``."""
    def dup(what):
        return InvalidArgumentError(None, None, f"Duplicate tensor keyed by {what} encountered, "
                                    f"when merging prefix: {prefix}")
    old = entries.get(name)
    if not entry.slices:
        if old is not None:
            raise dup(name)
        entries[name] = entry._replace(shard_id=entry.shard_id + first_shard)
        return
    pieces = tuple((ext, piece._replace(shard_id=piece.shard_id + first_shard))
                   for ext, piece in entry.slices)
    if old is None:
        entries[name] = entry._replace(slices=pieces)
        return
    if not old.slices or (old.dtype, old.shape) != (entry.dtype, entry.shape):
        raise InvalidArgumentError(None, None, f"Merging prefix {prefix}: tensor {name!r} "
                                   f"({dtype_name(entry.dtype)} {list(entry.shape)}, in slices) "
                                   f"is already there as {dtype_name(old.dtype)} "
                                   f"{list(old.shape)}{', in slices' if old.slices else ''}")
    again = {ext for ext, _ in old.slices} & {ext for ext, _ in pieces}
    if again:
        raise dup(f"{name} slice {list(min(again))}")
    entries[name] = old._replace(slices=old.slices + pieces)


def _index_items(entries: dict, num_shards: int) -> list:
    """The sorted (key, value) items of an index holding ``entries`` ({name: BundleEntry})."""
    items = [(b"", _header_proto(num_shards))]
    for name, e in entries.items():
        if not e.slices:
            items.append((name.encode(), _entry_proto(e.dtype, e.shape, e.offset, e.size,
                                                      _unmask(e.crc32c), e.shard_id)))
            continue
        blocks = [tuple(zip(*ext)) if ext else ((), ()) for ext, _ in e.slices]
        items.append((name.encode(), _sliced_entry_proto(e.dtype, e.shape, blocks)))
        items += [(slice_key(name, ext), _entry_proto(p.dtype, p.shape, p.offset, p.size,
                                                     _unmask(p.crc32c), p.shard_id))
                  for ext, p in e.slices]
    return sorted(items)
