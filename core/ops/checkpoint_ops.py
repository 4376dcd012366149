"""The checkpoint ops of TF1's ``tf.train.Saver``, which it builds into every graph (and so into
every ``.meta`` it writes): SaveV2, RestoreV2, and for a sharded Saver ShardedFilename and
MergeV2Checkpoints (ShardedFilespec: a V1 sharded Saver's). They read and write TensorFlow's own
bundle format (core/train/tensor_bundle.py), so TF reads what they save and the other way
round. A ``shape_and_slices`` entry (``"4 2 0,2:0,2"``) saves or restores one block of a tensor,
as TF saves the parts of a partitioned variable; ``""`` means the whole tensor."""

from __future__ import annotations

import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from .io_ops import _path


def _bundle():
    # Imported when first used: core.train imports the ops (optimizers), so not at load time.
    from ..train import tensor_bundle

    return tensor_bundle


def _strings(value, what: str) -> list[str]:
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 1:
        raise InvalidArgumentError(None, None, f"{what} must be a vector, got shape "
                                   f"{list(arr.shape)}")
    return [v.decode() if isinstance(v, bytes) else str(v) for v in arr]


def _names_and_specs(tensor_names, shape_and_slices, count: int) -> tuple[list, list]:
    names = _strings(tensor_names, "tensor_names")
    specs = _strings(shape_and_slices, "shape_and_slices")
    if not len(names) == len(specs) == count:
        raise InvalidArgumentError(None, None, f"Expected {count} tensor_names and "
                                   f"shape_and_slices, got {len(names)} and {len(specs)}")
    return names, specs


def _check_rank(spec: TensorSpec, rank: int, what: str) -> None:
    if spec.shape.rank not in (None, rank):
        raise shape_error(f"{what} must be rank {rank} but is rank {spec.shape.rank}")


def _check_count(spec: TensorSpec, count: int, what: str) -> None:
    """``spec`` (a vector of names or specs) must hold ``count`` entries (TF's message)."""
    _check_rank(spec, 1, what)
    n = spec.shape[0].value if spec.shape.rank == 1 else None
    if n is not None and n != count:
        raise shape_error(f"Dimension must be {count} but is {n} for {what}")


# -- SaveV2 --------------------------------------------------------------------------------------
def _save_v2_kernel(prefix, tensor_names, shape_and_slices, tensors):
    tb = _bundle()
    names, specs = _names_and_specs(tensor_names, shape_and_slices, len(tensors))
    whole, parts = {}, {}  # whole: in the order given, which TF's data file follows
    for name, spec, value in zip(names, specs, tensors):
        value = np.asarray(value)
        block = tb.parse_shape_and_slice(spec)
        if (name in whole and name not in parts) or (block is None and name in parts):
            raise InvalidArgumentError(None, None, f"Adding duplicate key: {name}")
        whole[name] = value
        if block is None:
            continue
        if block.var_shape != value.shape:
            raise InvalidArgumentError(None, None, "Slice in shape_and_slice specification does "
                                       f"not match the shape of the tensor to save: {spec}, "
                                       f"tensor: {list(value.shape)}")
        parts.setdefault(name, []).append((block, value))
    slices = {}
    for name, got in parts.items():
        whole[name] = _whole(name, got)
        slices[name] = [(b.var_offset, b.lengths) for b, _ in got]  # '-' kept, as TF keeps it
    tb.write_bundle(_path(prefix), whole, slices, name_order=False)
    return ()


def _whole(name, parts) -> np.ndarray:
    """Tensor ``name`` put together from the [(SliceSpec, value)] saved of it (where no slice
    lies is never written)."""
    from ..train.saver import _assemble  # the Saver's, for the parts of a variable

    if len({(b.full_shape, v.dtype) for b, v in parts}) > 1:
        raise InvalidArgumentError(None, None, f"The slices of tensor {name} disagree on its "
                                   f"shape or dtype: {[(b, v.dtype.name) for b, v in parts]}")
    blocks = [(b.var_offset, b.var_shape) for b, _ in parts]
    if len(set(blocks)) < len(blocks):
        raise InvalidArgumentError(None, None, f"Adding duplicate key: {name} (a slice given "
                                   "twice)")
    return _assemble(parts)[0]


def _save_v2_infer(prefix, tensor_names, shape_and_slices, tensors):
    _check_rank(prefix, 0, "prefix")
    _check_count(tensor_names, len(tensors), "tensor_names")
    _check_count(shape_and_slices, len(tensors), "shape_and_slices")
    return []


SAVE_V2 = register(OpDef(
    "SaveV2", inputs=["prefix:string", "tensor_names:string", "shape_and_slices:string",
                      "tensors:list(dtypes)"],
    kernel=_save_v2_kernel, infer=_save_v2_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Writes the tensors as a TensorFlow checkpoint bundle (prefix.index + data).",
))


# -- RestoreV2 -----------------------------------------------------------------------------------
def _restore_v2_kernel(prefix, tensor_names, shape_and_slices, *, dtypes):
    tb = _bundle()
    names, specs = _names_and_specs(tensor_names, shape_and_slices, len(dtypes))
    reader = tb.BundleReader(_path(prefix))
    out = [_restore_one(tb, reader, *args) for args in zip(names, specs, dtypes)]
    return out[0] if len(out) == 1 else out


def _restore_one(tb, reader, name: str, spec: str, dtype) -> np.ndarray:
    entry = reader.entries.get(name)
    if entry is None:
        raise NotFoundError(None, None, f"Key {name} not found in checkpoint {reader.prefix}")
    if entry.dtype != dtype.as_datatype_enum:
        raise InvalidArgumentError(None, None, f"tensor_name = {name}; expected dtype "
                                   f"{_tf_type_name(dtype.as_datatype_enum, tb)} does not "
                                   "equal original dtype "
                                   f"{_tf_type_name(entry.dtype, tb)} (checkpoint "
                                   f"{reader.prefix})")
    block = tb.parse_shape_and_slice(spec) or tb.SliceSpec(entry.shape, (0,) * len(entry.shape),
                                                           entry.shape, entry.shape)
    if block.full_shape != entry.shape:
        raise InvalidArgumentError(None, None, f"tensor_name = {name}; shape in shape_and_slice "
                                   f"spec {list(block.full_shape)} does not match the shape "
                                   f"stored in checkpoint: {list(entry.shape)}")
    try:
        return reader.read(name, block.var_offset, block.var_shape)
    except tb.SlicesNotCoveredError as e:  # TF's class for it; the reader's words are TF's
        raise InvalidArgumentError(None, None, e.message) from None


# TensorFlow's DataTypeString where it differs from the numpy-style name (its messages use it).
_TF_TYPE_NAMES = {1: "float", 2: "double", 19: "half", 8: "complex64", 18: "complex128"}


def _tf_type_name(enum: int, tb) -> str:
    return _TF_TYPE_NAMES.get(enum) or tb.dtype_name(enum)


def _restore_v2_infer(prefix, tensor_names, shape_and_slices, *, dtypes):
    if not dtypes:
        raise shape_error("RestoreV2: dtypes must name at least 1 tensor")
    _check_rank(prefix, 0, "prefix")
    _check_count(tensor_names, len(dtypes), "tensor_names")
    _check_count(shape_and_slices, len(dtypes), "shape_and_slices")
    shapes = [TensorShape(None)] * len(dtypes)
    specs = shape_and_slices.value
    if specs is not None:  # a constant (as the Saver's): a block's shape is known
        specs = np.asarray(specs, dtype=object).reshape(-1)
        blocks = [_bundle().parse_shape_and_slice(s) for s in specs]
        shapes = [TensorShape(None) if b is None else TensorShape(b.var_shape) for b in blocks]
    return [TensorSpec(s, t) for s, t in zip(shapes, dtypes)]


RESTORE_V2 = register(OpDef(
    "RestoreV2", inputs=["prefix:string", "tensor_names:string", "shape_and_slices:string"],
    attrs={"dtypes": req("list(type)")},
    kernel=_restore_v2_kernel, infer=_restore_v2_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Reads tensors (or blocks of them) from a TensorFlow checkpoint bundle.",
))


# -- MergeV2Checkpoints --------------------------------------------------------------------------
def _merge_kernel(checkpoint_prefixes, destination_prefix, *, delete_old_dirs,
                  allow_missing_files):
    sources = [_path(p) for p in np.asarray(checkpoint_prefixes, dtype=object).reshape(-1)]
    destination = _path(destination_prefix)
    _bundle().merge_bundles(sources, destination, allow_missing_files)
    if delete_old_dirs:  # as TF: each source's folder, when now empty (the Saver's _temp one)
        keep = os.path.dirname(destination)
        for d in {os.path.dirname(p) for p in sources} - {keep}:
            try:
                os.rmdir(d or ".")
            except OSError:
                pass
    return ()


def _merge_infer(checkpoint_prefixes, destination_prefix, *, delete_old_dirs,
                 allow_missing_files):
    _check_rank(checkpoint_prefixes, 1, "checkpoint_prefixes")
    _check_rank(destination_prefix, 0, "destination_prefix")
    return []


MERGE_V2_CHECKPOINTS = register(OpDef(
    "MergeV2Checkpoints", inputs=["checkpoint_prefixes:string", "destination_prefix:string"],
    attrs={"delete_old_dirs": True, "allow_missing_files": False},
    kernel=_merge_kernel, infer=_merge_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Merges checkpoint bundles (a sharded Saver's, one per device) into one.",
))


# -- ShardedFilename, ShardedFilespec ------------------------------------------------------------
def _scalar_int(value, what: str) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise InvalidArgumentError(None, None, f"{what} must be a scalar, got shape "
                                   f"{list(arr.shape)}")
    return int(arr)


def _sharded_filename_kernel(basename, shard, num_shards):
    name = f"{_path(basename)}-{_scalar_int(shard, 'shard'):05d}-of-" \
           f"{_scalar_int(num_shards, 'num_shards'):05d}"
    return np.array(name.encode(), dtype=object)


def _sharded_filespec_kernel(basename, num_shards):
    name = f"{_path(basename)}-?????-of-{_scalar_int(num_shards, 'num_shards'):05d}"
    return np.array(name.encode(), dtype=object)


def _scalars_infer(**inputs):
    for what, spec in inputs.items():
        _check_rank(spec, 0, what)
    return [TensorSpec(TensorShape([]), _dt.string)]


SHARDED_FILENAME = register(OpDef(
    "ShardedFilename", inputs=["basename:string", "shard:int32", "num_shards:int32"],
    kernel=_sharded_filename_kernel,
    infer=lambda basename, shard, num_shards: _scalars_infer(
        basename=basename, shard=shard, num_shards=num_shards), grad=NOT_DIFFERENTIABLE,
    doc="The file name of one shard: basename-SSSSS-of-NNNNN.",
))

SHARDED_FILESPEC = register(OpDef(
    "ShardedFilespec", inputs=["basename:string", "num_shards:int32"],
    kernel=_sharded_filespec_kernel,
    infer=lambda basename, num_shards: _scalars_infer(basename=basename,
                                                       num_shards=num_shards),
    grad=NOT_DIFFERENTIABLE,
    doc="The glob of all shards' names: basename-?????-of-NNNNN.",
))
