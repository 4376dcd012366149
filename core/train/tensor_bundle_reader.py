"""Reading a bundle: its index (read_index, list_bundle: the entries, no tensor data) and its
tensors (BundleReader, read_bundle: checksums verified, a tensor saved in slices put together
into any block asked of it).

Every malformed input is a DataLossError, NotFoundError or UnimplementedError naming the file
and the tensor (see tensor_bundle.py, which describes the format and re-exports these names;
split from it); as in TF, slices that overlap or lie outside their tensor are an InternalError
and a directory for a data file a FailedPreconditionError."""

from __future__ import annotations

import math
import os

import numpy as np

from .. import _wire
from ..errors import (DataLossError, FailedPreconditionError, NotFoundError,
                      UnimplementedError)
from ..tfrecord import masked_crc32c
from .tensor_bundle_entry import (_BUNDLE_VERSION, DT_STRING, BundleEntry, _decode_strings,
                                  _entry, _message, _scalar, _signed, data_filename,
                                  index_filename, numpy_dtype, raw_dtype)
from .tensor_bundle_slices import SlicesNotCoveredError, _check_no_overlap, slice_key
from .tensor_bundle_table import _loss, _table


# -- reading the index ---------------------------------------------------------------------------
def read_index(prefix) -> tuple[int, dict]:
    """(num_shards, {name: BundleEntry}) of the bundle ``prefix``, reading no tensor data.

    Raises NotFoundError without ``prefix.index``, DataLossError for a corrupt one and
    UnimplementedError for big-endian bundles or a newer format version."""
    path = index_filename(prefix)
    entries = _table(path)
    if not entries or entries[0][0] != b"":
        raise _loss(path, "no bundle header entry")
    header = _message(entries[0][1], path, "bundle header")
    num_shards = _signed(_scalar(header, 1, _wire.VARINT, path, "bundle header"))
    if _scalar(header, 2, _wire.VARINT, path, "bundle header") != 0:
        raise UnimplementedError(None, None, f"Checkpoint {prefix} was written on a big-endian "
                                 "machine; minitf reads only little-endian bundles")
    version = _message(_scalar(header, 3, _wire.LEN, path, "bundle header", b""), path,
                       "bundle version")
    min_consumer = _scalar(version, 2, _wire.VARINT, path, "bundle version")
    bad = [v for wt, v in version.get(3, []) if wt == _wire.VARINT]
    if min_consumer > _BUNDLE_VERSION or _BUNDLE_VERSION in bad:
        raise UnimplementedError(None, None, f"Checkpoint {prefix} needs a newer reader (bundle "
                                 f"format min_consumer {min_consumer}; minitf reads version "
                                 f"{_BUNDLE_VERSION})")
    if num_shards < 1 and len(entries) > 1:
        raise _loss(path, f"bundle header says {num_shards} data shards")
    out, pieces = {}, {}
    for key, value in entries[1:]:
        if key.startswith(b"\x00"):  # a slice (EncodeTensorNameSlice keys begin with 0)
            pieces[key] = _entry(value, path, repr(key), num_shards)
            continue
        try:
            name = key.decode()
        except UnicodeDecodeError:
            raise _loss(path, f"tensor name {key!r} is not UTF-8") from None
        out[name] = _entry(value, path, name, num_shards)
    for name, entry in out.items():
        if entry.slices:
            out[name] = entry._replace(slices=tuple(
                (extents, _piece(pieces, name, extents, path)) for extents in entry.slices))
    return num_shards, out


def _piece(pieces, name, extents, path) -> BundleEntry:
    piece = pieces.get(slice_key(name, extents))
    if piece is None:
        raise _loss(path, f"tensor {name!r} lists slice {list(extents)} but the index has no "
                    "entry for it")
    return piece


def list_bundle(prefix) -> dict:
    """{name: (numpy dtype, shape)} without reading data (object dtype for strings)."""
    _, entries = read_index(prefix)
    return {name: (numpy_dtype(e.dtype, name), e.shape) for name, e in entries.items()}


# -- reading tensors -----------------------------------------------------------------------------
class BundleReader:
    """Reads tensors of one bundle on demand (the index is read once, at construction). Used
    as a context manager it reads each data file into memory once, for the rest of the block:
    a dataset cache reads every element's components in turn, and a file access per tensor
    made reading the cache slower than recomputing it."""

    def __init__(self, prefix):
        self.prefix = str(prefix)
        self.num_shards, self.entries = read_index(self.prefix)
        self._loaded: dict | None = None  # path -> the file's bytes, inside ``with`` only
        self._checked: dict = {}  # name -> its slices' boxes, see _boxes

    def __enter__(self):
        self._loaded = {}
        return self

    def __exit__(self, *exc):
        self._loaded = None

    def read(self, name: str, offset=None, shape=None) -> np.ndarray:
        """Tensor ``name``, or its block at ``offset`` of ``shape``; a tensor saved in slices
        is put together from those that overlap the block (TF reads it into any partitioning)."""
        entry = self.entries.get(name)
        if entry is None:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint {self.prefix}")
        full = entry.shape
        offset = tuple(offset) if offset is not None else (0,) * len(full)
        shape = tuple(shape) if shape is not None else full
        if not entry.slices:
            value = self._read_entry(name, entry)
            return value if shape == full else \
                value[tuple(slice(o, o + n) for o, n in zip(offset, shape))]
        lo, hi = self._boxes(name, entry)
        top = [o + n for o, n in zip(offset, shape)]
        a = np.maximum(lo, np.array(offset, np.int64))  # each slice's part of the block
        b = np.minimum(hi, np.array(top, np.int64))
        hits = np.flatnonzero(np.all(a < b, axis=1)).tolist()
        # The slices do not overlap (checked once), so their parts cover the block iff their
        # sizes add up to its own; checked before the block is allocated, as an index may
        # declare any full shape (2^40 x 2, one slice of 1 x 2) and list few slices of it.
        covered = sum(math.prod((b[i] - a[i]).tolist()) for i in hits)
        if covered != math.prod(shape):
            spec = ":".join("-" if o == 0 and n == f else f"{o},{n}"
                            for o, n, f in zip(offset, shape, full))
            raise SlicesNotCoveredError(None, None, f"Does not have sufficient slices for "
                                        f"partitioned tensor {name} to restore in slice_spec: "
                                        f"{spec} (checkpoint {self.prefix}: the slices saved "
                                        f"of it do not cover offset {list(offset)}, shape "
                                        f"{list(shape)})")
        dtype, sizes = raw_dtype(entry.dtype, name), {}
        for i in hits:  # and each slice's data is there, before allocating what it fills
            extents, piece = entry.slices[i]
            if piece.shape != tuple((hi[i] - lo[i]).tolist()):
                raise DataLossError(None, None, f"Checkpoint {self.prefix}: a slice of tensor "
                                    f"{name!r} has shape {list(piece.shape)}, its extents "
                                    f"{list(extents)} say otherwise")
            self._check_size(name, piece, dtype)
            self._check_in_file(name, piece, sizes)
        out = np.empty(shape, dtype)
        for i in hits:
            data = self._read_entry(name, entry.slices[i][1])
            out[tuple(slice(x - o, y - o) for x, y, o in zip(a[i], b[i], offset))] = \
                data[tuple(slice(x - s, y - s) for x, y, s in zip(a[i], b[i], lo[i]))]
        return out

    def _boxes(self, name: str, entry: BundleEntry) -> tuple:
        """(starts, ends) of the tensor's slices, checked (in bounds, no overlaps) on its first
        read only: a restore reads one block per part, each from the same slices."""
        boxes = self._checked.get(name)
        if boxes is None:
            boxes = self._checked[name] = _check_no_overlap(
                name, entry.shape, [extents for extents, _ in entry.slices])
        return boxes

    def _read_entry(self, name: str, entry: BundleEntry) -> np.ndarray:
        dtype = raw_dtype(entry.dtype, name)  # a quantized type's storage integers
        path = data_filename(self.prefix, entry.shard_id, self.num_shards)
        count = self._check_size(name, entry, dtype)
        raw = self._bytes(path, entry, name)
        strings = entry.dtype == DT_STRING
        if not strings and masked_crc32c(raw) != entry.crc32c:
            raise DataLossError(None, None, f"Checksum does not match for tensor {name!r} in "
                                f"{path} (corrupt checkpoint data)")
        if strings:
            return _decode_strings(raw, count, entry, name, path).reshape(entry.shape)
        return raw.view(dtype).reshape(entry.shape)

    def _check_size(self, name: str, entry: BundleEntry, dtype) -> int:
        """The entry's element count, checked against the bytes it says it stores."""
        count = int(np.prod(entry.shape, dtype=object))
        strings = entry.dtype == DT_STRING
        if not strings and entry.size != count * dtype.itemsize:
            raise DataLossError(None, None, f"Checkpoint {self.prefix}: invalid size in the "
                                f"entry of tensor {name!r}: {entry.size} bytes stored, "
                                f"{count * dtype.itemsize} expected for {dtype.name} "
                                f"{list(entry.shape)}")
        if strings and count and entry.size < count + 4:  # >= 1 varint byte per element
            raise DataLossError(None, None, f"Checkpoint {self.prefix}: invalid size in the "
                                f"entry of string tensor {name!r}: {entry.size} bytes stored "
                                f"for {count} elements")
        return count

    def _check_in_file(self, name: str, entry: BundleEntry, sizes: dict):
        """The entry's bytes are inside its data file, without reading them (``sizes``: the
        files' sizes so far, each file looked at once)."""
        path = data_filename(self.prefix, entry.shard_id, self.num_shards)
        size = sizes.get(path)
        if size is None:
            if self._loaded is not None:
                size = self._loaded_file(path, name).size
            else:
                with self._open_data(path, name, open) as f:
                    size = os.fstat(f.fileno()).st_size
            sizes[path] = size
        if size < entry.offset + entry.size:
            raise _truncated(path, name, entry)

    def _loaded_file(self, path, name) -> np.ndarray:
        data = self._loaded.get(path)
        if data is None:
            data = self._loaded[path] = self._open_data(path, name, np.fromfile)
        return data

    def _bytes(self, path, entry, name) -> np.ndarray:
        if self._loaded is not None:
            raw = self._loaded_file(path, name)[entry.offset:entry.offset + entry.size].copy()
            got = raw.size
        else:
            with self._open_data(path, name, open) as f:
                # Checked before allocating: a corrupt index must not ask for terabytes.
                if os.fstat(f.fileno()).st_size < entry.offset + entry.size:
                    got = -1
                else:
                    f.seek(entry.offset)
                    raw = np.empty(entry.size, dtype=np.uint8)  # read into the array's memory
                    got = f.readinto(memoryview(raw)) if entry.size else 0
        if got != entry.size:
            raise _truncated(path, name, entry)
        return raw

    def _open_data(self, path, name, how):
        try:
            return how(path, "rb") if how is open else how(path, dtype=np.uint8)
        except FileNotFoundError:
            raise NotFoundError(None, None, f"Checkpoint {self.prefix}: data file {path} of "
                                f"tensor {name!r} not found") from None
        except IsADirectoryError:  # TF's status for reading a directory (EISDIR)
            raise FailedPreconditionError(None, None, f"{path}; Is a directory (the data file "
                                          f"of tensor {name!r} of checkpoint {self.prefix})"
                                          ) from None

    def read_all(self) -> dict:
        return {name: self.read(name) for name in self.entries}


def _truncated(path, name, entry) -> DataLossError:
    return DataLossError(None, None, f"Checkpoint data file {path} is truncated: tensor {name!r} "
                         f"needs bytes [{entry.offset}, {entry.offset + entry.size}), the file "
                         "ends first")


def read_bundle(prefix, names=None) -> dict:
    """{name: array} of every tensor (or of ``names``) in the bundle ``prefix``; strings come
    back as object arrays of bytes. Checksums are verified."""
    reader = BundleReader(prefix)
    if names is None:
        return reader.read_all()
    return {n: reader.read(n) for n in names}
