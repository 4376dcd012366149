"""The .npz checkpoint format's pieces (described in saver.py): its manifest keys, string
tensors without pickles, and reading a checkpoint of either format whole. (Split from
saver.py.)"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

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
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise DataLossError(None, None, f"Unable to read checkpoint {path}: {e}") from None
    raw = arrays.pop(_MANIFEST, None)
    try:
        meta = json.loads(bytes(raw).decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        meta = None
    if not meta or meta.get("format") != "minitf-checkpoint":
        raise DataLossError(None, None, f"{path} is not a minitf checkpoint (no valid manifest)")
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
    size = int(np.prod(shape))
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
