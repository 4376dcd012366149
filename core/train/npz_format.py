"""The .npz checkpoint format's pieces (described in saver.py): its manifest keys, string
tensors without pickles, and reading a checkpoint of either format whole. (Split from
saver.py.)"""

from __future__ import annotations

import json
import math
import os
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from . import tensor_bundle

_MANIFEST = "__minitf__"
_STRING = "string"  # the manifest's dtype of a string tensor
_OFFSETS = "__minitf_offsets__/"  # + name: a string tensor's element offsets
_SUFFIX = ".npz"


def _is_npz(prefix) -> bool:
    return os.path.exists(str(prefix) + _SUFFIX)


def _read(prefix, names=None) -> dict:
    """All arrays of a checkpoint, validated (its manifest, or TF's checksums). ``names``: for a
    TF checkpoint, read only those of them it holds (the rest may be unreadable:
    bfloat16...); an npz checkpoint is always read whole."""
    path = str(prefix) + _SUFFIX
    if not os.path.exists(path):
        if tensor_bundle.is_bundle(prefix):
            reader = tensor_bundle.BundleReader(prefix)
            wanted = reader.entries if names is None else \
                [n for n in names if n in reader.entries]
            return {n: reader.read(n) for n in wanted}
        raise NotFoundError(None, None, f"Failed to find any matching files for {prefix} "
                            f"(no file {path} or {tensor_bundle.index_filename(prefix)})")
    return _read_npz(path)[0]


def _read_npz(path) -> tuple[dict, dict]:
    """(arrays, {name: [(offset, shape)] of the parts it was saved from}) of an .npz
    checkpoint, checked against its manifest."""
    _check_members(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise DataLossError(None, None, f"Unable to read checkpoint {path}: {e}") from None
    meta = _manifest(arrays.pop(_MANIFEST, None), path)
    for name, (dtype, shape) in meta["variables"].items():
        if dtype == _STRING:
            arrays[name] = _decode_strings(arrays.get(name), arrays.pop(_OFFSETS + name, None),
                                           shape, path, name)
            continue
        arr = arrays.get(name)
        if arr is None or arr.dtype.str != dtype or list(arr.shape) != shape:
            raise DataLossError(None, None, f"Checkpoint {path} is corrupt: entry {name} does "
                                "not match its manifest")
    return arrays, {n: [(tuple(o), tuple(s)) for o, s in blocks]
                    for n, blocks in meta.get("slices", {}).items()}


# Deflate's most: 1032 bytes out per byte in (numpy.savez stores, savez_compressed deflates).
_MAX_DEFLATE_RATIO = 1032


def _check_members(path):
    """Each member of the archive is a .npy array whose header's shape and dtype ask for as
    many bytes as the member holds, checked before numpy allocates the array: a header may
    declare 2^33 floats over 16 bytes, and a zip directory any member size."""
    def bad(name, why):
        return DataLossError(None, None, f"Checkpoint {path} is corrupt: member {name} {why}")
    try:
        archive = os.path.getsize(path)
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                name = info.filename
                if info.compress_size > archive or \
                        (info.compress_type == zipfile.ZIP_STORED and
                         info.compress_size != info.file_size) or \
                        (info.compress_type == zipfile.ZIP_DEFLATED and
                         info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024):
                    raise bad(name, f"claims {info.file_size} bytes stored in "
                              f"{info.compress_size} of a {archive}-byte archive")
                with z.open(info) as f:
                    try:
                        version = npy_format.read_magic(f)
                        if version not in ((1, 0), (2, 0), (3, 0)):  # 3.0: utf-8 field names
                            raise ValueError(f"unknown .npy format version {version}")
                        read = npy_format.read_array_header_1_0 if version == (1, 0) else \
                            npy_format.read_array_header_2_0
                        shape, _, dtype = read(f)
                    except ValueError as e:
                        raise bad(name, f"is not a .npy array ({e})") from None
                    held = info.file_size - f.tell()
                if dtype.hasobject:  # pickled: np.load refuses it (allow_pickle=False)
                    continue
                declared = math.prod(shape) * dtype.itemsize
                if declared != held:
                    raise bad(name, f"declares {dtype} {list(shape)} ({declared} bytes) but "
                              f"holds {held} bytes of data")
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataLossError(None, None, f"Unable to read checkpoint {path}: {e}") from None


def _manifest(raw, path) -> dict:
    """The checkpoint's manifest (see saver.py), checked: ``variables`` {name: [dtype,
    shape]}, and ``slices`` {name: [[offset, shape], ...]} of those variables, inside them."""
    try:
        meta = json.loads(bytes(raw).decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != "minitf-checkpoint":
        raise DataLossError(None, None, f"{path} is not a minitf checkpoint (no valid manifest)")

    def bad(why):
        return DataLossError(None, None, f"Checkpoint {path} is corrupt: its manifest's {why}")
    variables = meta.get("variables")
    if not isinstance(variables, dict):
        raise bad(f'"variables" is {_brief(variables)}, not {{name: [dtype, shape]}}')
    for name, spec in variables.items():
        if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str) and
                _is_shape(spec[1])):
            raise bad(f"entry of variable {name!r} is {_brief(spec)}, not [dtype, shape]")
    slices = meta.get("slices", {})
    if not isinstance(slices, dict):
        raise bad(f'"slices" is {_brief(slices)}, not {{name: [[offset, shape], ...]}}')
    for name, blocks in slices.items():
        full = variables[name][1] if name in variables else None
        if full is None or not isinstance(blocks, list) or \
                not all(_is_block(b, full) for b in blocks):
            raise bad(f"slices of {name!r} are {_brief(blocks)}, not [[offset, shape], ...] "
                      f"inside a variable of the manifest (its shape: {full})")
    return meta


def _is_shape(x) -> bool:
    return isinstance(x, list) and all(type(d) is int and 0 <= d < 1 << 63 for d in x)


def _is_block(block, full) -> bool:
    return isinstance(block, list) and len(block) == 2 and \
        all(_is_shape(x) and len(x) == len(full) for x in block) and \
        all(o + n <= f for o, n, f in zip(*block, full))


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _encode_strings(name, arr) -> tuple:
    """A string array as (uint8 blob of its elements' bytes, int64 offsets: element i is
    blob[offsets[i]:offsets[i + 1]]), the .npz's pickle-free form."""
    items = []
    for x in arr.reshape(-1):
        if isinstance(x, str):
            x = x.encode()
        if not isinstance(x, bytes):
            raise InvalidArgumentError(None, None, f"Cannot checkpoint {name}: a string tensor "
                                       f"holds {type(x).__name__}")
        items.append(x)
    offsets = np.zeros(len(items) + 1, np.int64)
    np.cumsum([len(x) for x in items], out=offsets[1:])
    return np.frombuffer(b"".join(items), np.uint8), offsets


def _decode_strings(blob, offsets, shape, path, name) -> np.ndarray:
    size = math.prod(shape)  # (the manifest's dims, checked: Python ints do not overflow)
    ok = blob is not None and offsets is not None and blob.dtype == np.uint8 and \
        blob.ndim == 1 and offsets.dtype == np.int64 and offsets.shape == (size + 1,) and \
        offsets[0] == 0 and offsets[-1] == blob.size and bool(np.all(np.diff(offsets) >= 0))
    if not ok:
        raise DataLossError(None, None, f"Checkpoint {path} is corrupt: string entry {name} "
                            "does not match its manifest")
    raw = blob.tobytes()
    out = np.empty(size, object)
    out[:] = [raw[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return out.reshape(shape)
