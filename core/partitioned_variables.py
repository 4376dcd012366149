"""TF 1.x partitioned variables: the partitioners, ``PartitionedVariable`` and the
``get_variable(..., partitioner=)`` path of the variable store.

A partitioned variable ``w`` is split along one axis into ordinary Variables ``w/part_0``,
``w/part_1``... (the earlier parts take the extra rows), each knowing its place in ``w`` (its
``_save_slice_info``): the Saver writes them as one checkpoint tensor ``w`` saved in slices.
"""

from __future__ import annotations

import math

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, get_default_graph
from .ops import array_ops, concat_split_ops, slicing_ops
from .tensor_shape import TensorShape, as_shape


# -- partitioners: (shape, dtype) -> partitions per axis ---------------------------------------
def fixed_size_partitioner(num_shards: int, axis: int = 0):
    """``num_shards`` parts along ``axis`` (fewer if the axis is shorter)."""
    def _partitioner(shape, **unused_args):
        partitions = [1] * len(shape)
        partitions[axis] = min(num_shards, shape.dims[axis].value)
        return partitions
    return _partitioner


def _element_size(dtype, bytes_per_string_element: int) -> int:
    dtype = _dt.as_dtype(dtype)
    return bytes_per_string_element if dtype == _dt.string else dtype.size


def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16,
                                   max_shards=None):
    """As many parts along ``axis`` as keep each under ``max_shard_bytes`` (a part holds at
    least one slice of the axis), at most ``max_shards``."""
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError("Both max_shard_bytes and bytes_per_string_element must be positive. "
                         f"Currently, max_shard_bytes is {max_shard_bytes} and"
                         f"bytes_per_string_element is {bytes_per_string_element}")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        size = _element_size(dtype, bytes_per_string_element)
        bytes_per_slice = shape.num_elements() / shape.dims[axis].value * size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        shards = int(math.ceil(shape.dims[axis].value / slices_per_shard))
        partitions = [1] * shape.ndims
        partitions[axis] = min(max_shards, shards) if max_shards else shards
        return partitions
    return _partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10,
                                 bytes_per_string_element=16):
    """Parts of at least ``min_slice_size`` bytes along ``axis``, at most ``max_partitions``."""
    def _partitioner(shape, dtype):
        if axis >= len(shape):
            raise ValueError(f"Cannot partition variable along axis {axis} when shape is "
                             f"only {shape}")
        total = shape.num_elements() * _element_size(dtype, bytes_per_string_element)
        partitions = [1] * len(shape)
        partitions[axis] = max(1, min(shape.dims[axis].value, max_partitions,
                                      int(math.ceil(total / min_slice_size))))
        return partitions
    return _partitioner


# -- where a part sits in the whole --------------------------------------------------------------
class SaveSliceInfo:
    """``Variable.SaveSliceInfo``: the part ``var_offset``/``var_shape`` of the checkpoint
    tensor ``full_name`` of shape ``full_shape``."""

    def __init__(self, full_name=None, full_shape=None, var_offset=None, var_shape=None):
        self.full_name = full_name
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)
        self.var_shape = list(var_shape)

    @property
    def spec(self) -> str:
        """The shape-and-slice string SaveV2 takes, e.g. ``"5 2 0,3:0,2"``."""
        return " ".join(map(str, self.full_shape)) + " " + ":".join(
            f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape))

    def __repr__(self):
        return f"SaveSliceInfo({self.full_name!r}, {self.spec!r})"


class PartitionInfo:
    """What TF1 passes an initializer as ``partition_info``: the full shape and the part's
    offset (TF's ``_PartitionInfo``; a variance-scaling initializer scales by the full shape)."""

    def __init__(self, full_shape, var_offset):
        if len(var_offset) != len(full_shape):
            raise ValueError(f"Expected equal length, but `var_offset` is of length "
                             f"{len(var_offset)} while full_shape is of length {len(full_shape)}.")
        self.full_shape, self.var_offset = list(full_shape), list(var_offset)

    def single_slice_dim(self, shape):
        dims = [i for i, (s, f) in enumerate(zip(shape, self.full_shape)) if s != f]
        if len(dims) > 1:
            raise ValueError(f"Cannot use single_slice_dim() with shape={list(shape)} and "
                             f"self.full_shape={self.full_shape}")
        return dims[0] if dims else None

    def single_offset(self, shape):
        dim = self.single_slice_dim(shape)
        return 0 if dim is None else self.var_offset[dim]


def _set_save_slice_info(self, save_slice_info):
    self._save_slice_info = save_slice_info


def _get_save_slice_info(self):
    return self._save_slice_info


def attach(cls):
    """TF1's slice-info API on ``Variable`` (called by core/ref_variable.py)."""
    cls.SaveSliceInfo = SaveSliceInfo
    cls._set_save_slice_info = _set_save_slice_info
    cls._get_save_slice_info = _get_save_slice_info


# -- the container -------------------------------------------------------------------------------
class PartitionedVariable:
    """The parts of one variable; used as a tensor, it is their concatenation."""

    def __init__(self, name, shape, dtype, variable_list, partitions):
        if not isinstance(variable_list, (list, tuple)):
            raise TypeError(f"variable_list is not a list or tuple: {variable_list}")
        if not isinstance(partitions, (list, tuple)):
            raise TypeError(f"partitions is not a list or tuple: {partitions}")
        if not all(p >= 1 for p in partitions):
            raise ValueError(f"partition values must be positive: {partitions}")
        if not variable_list:
            raise ValueError("variable_list may not be empty")
        if any(v._save_slice_info is None for v in variable_list):
            raise ValueError("All variables must have a save_slice_info available: "
                             f"{[v.name for v in variable_list]}")
        if len(shape) != len(partitions):
            raise ValueError(f"len(shape) != len(partitions): {shape} vs. {partitions}")
        self._variable_list = sorted(variable_list, key=lambda v: v._save_slice_info.var_offset)
        self._name, self._shape, self._dtype = name, as_shape(shape), _dt.as_dtype(dtype)
        self._partitions = list(partitions)
        self._converted = None  # (graph version, tensor) of the last conversion

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)

    def get_shape(self) -> TensorShape:
        return self._shape

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise ValueError(f"Cannot get a length of {len(axes)} > 1 partition axes")
        return len(self._variable_list)

    def _get_variable_list(self) -> list:
        return self._variable_list

    def _get_partitions(self) -> list:
        return self._partitions

    def _partition_axes(self) -> list:
        return [i for i, p in enumerate(self._partitions) if p > 1] or [0]

    def as_tensor(self) -> Tensor:
        """The parts concatenated (``w/ConcatPartitions/concat``, then an Identity named ``w``),
        made outside any control dependency, as reading a Variable is."""
        graph = get_default_graph()
        with graph.control_dependencies(None), graph.name_scope(None):
            if len(self._variable_list) == 1:
                return array_ops.identity(self._variable_list[0], name=self._name)
            with graph.name_scope(self._name + "/ConcatPartitions/"):
                value = concat_split_ops.concat(self._variable_list, self._partition_axes()[0])
            return array_ops.identity(value, name=self._name)

    def _as_tensor(self) -> Tensor:
        # minitf's conversion hook. An op's arguments are looked at twice (dtype, then value):
        # with nothing added to the graph in between, the same conversion serves both, so
        # tf.matmul(x, w) makes one concat as in TF.
        graph = get_default_graph()
        if self._converted is not None and self._converted[0] == (graph, graph.version):
            return self._converted[1]
        tensor = self.as_tensor()
        self._converted = ((graph, graph.version), tensor)
        return tensor

    def __repr__(self):
        return (f"<tf.PartitionedVariable '{self._name}' shape={self._shape} "
                f"dtype={self._dtype.name} partitions={self._partitions}>")

    # -- updates: one per part, the value split as the parts are ---------------------------------
    def _apply(self, method, value, read_value, **kwargs):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise NotImplementedError(f"Cannot do assign action along more than one dimension: "
                                      f"{axes}.  Multi-axis partition assign action is not "
                                      "supported ")
        if isinstance(value, (list, PartitionedVariable)):
            values = list(value)
            if len(values) != len(self._variable_list):
                raise ValueError(f"{self._name}: {len(values)} values for "
                                 f"{len(self._variable_list)} parts")
        else:
            sizes = [v.shape[axes[0]].value for v in self._variable_list]
            values = concat_split_ops.split(value, sizes, axis=axes[0])
        outs = [getattr(v, method)(x, read_value=read_value, **kwargs)
                for v, x in zip(self._variable_list, values)]
        return outs if read_value else [getattr(o, "op", o) for o in outs]

    def assign(self, value, use_locking=False, name=None, read_value=True):
        return self._apply("assign", value, read_value, use_locking=use_locking, name=name)

    def assign_add(self, value, use_locking=False, name=None, read_value=True):
        return self._apply("assign_add", value, read_value, use_locking=use_locking, name=name)

    def assign_sub(self, value, use_locking=False, name=None, read_value=True):
        return self._apply("assign_sub", value, read_value, use_locking=use_locking, name=name)


# -- the variable store's partitioned path (TF's _get_partitioned_variable) ----------------------
def call_partitioner(partitioner, shape: TensorShape, dtype) -> list:
    if not shape.is_fully_defined():
        raise ValueError("Shape of a new partitioned variable must be fully defined, but "
                         f"instead was {shape}.")
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, (list, tuple)):
        raise ValueError(f"Partitioner must return a sequence, but saw: {slicing}")
    if len(slicing) != shape.ndims:
        raise ValueError("Partitioner returned a partition list that does not match the "
                         f"Variable's rank: {slicing} vs. {shape}")
    if any(p < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError("Can only slice a variable along one dimension: shape: "
                         f"{shape}, partitioning: {slicing}")
    return list(slicing)


def iter_slices(full_shape: list, num_slices: int, slice_dim: int):
    """(offset, shape) of each part: the first ``full % num_slices`` parts one row longer."""
    extra, base = full_shape[slice_dim] % num_slices, full_shape[slice_dim] // num_slices
    offset = [0] * len(full_shape)
    for i in range(num_slices):
        shape = list(full_shape)
        shape[slice_dim] = base + (i < extra)
        yield list(offset), shape
        offset[slice_dim] += shape[slice_dim]


def get_partitioned_variable(store, name, partitioner, shape, dtype, initializer, reuse, **kw):
    """The PartitionedVariable ``name`` of ``store`` (a ``_VariableStore``): found (reuse) or
    made part by part with ``store.get``; ``kw`` are store.get's other arguments."""
    if name in store.vars:
        raise ValueError("A partitioner was provided, but an unpartitioned version of the "
                         f"variable was found: {name}.  Perhaps a variable of the same name "
                         "was already created without partitioning?")
    shape = as_shape(shape)
    if isinstance(initializer, Tensor):
        shape = shape.merge_with(initializer.shape)
    partitions = call_partitioner(partitioner, shape, dtype) if not reuse or partitioner \
        else None
    found = store.partitioned.get(name)
    if found is not None:
        _check_reuse(name, found, shape, dtype, partitions, reuse)
        return found
    if reuse is True:
        raise ValueError(f"PartitionedVariable {name} does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=False or "
                         "reuse=tf.AUTO_REUSE in VarScope?")
    axis = next((i for i, p in enumerate(partitions) if p > 1), 0)
    count = partitions[axis]
    _check_existing_parts(store, name, count)
    if initializer is None:
        from .variables import _default_initializer  # (variables.py imports this module)

        initializer = _default_initializer(name, _dt.as_dtype(dtype))
    graph, full = get_default_graph(), shape.as_list()
    parts = []
    for i, (offset, part_shape) in enumerate(iter_slices(full, count, axis)):
        part = f"{name}/part_{i}"
        with graph.name_scope(part + "/PartitionedInitializer"):
            if callable(initializer):
                init, init_shape = initializer, part_shape
            else:  # a value for the whole variable: each part takes its slice
                value = initializer if isinstance(initializer, Tensor) else \
                    convert_to_tensor(initializer, dtype=dtype)
                init, init_shape = slicing_ops.slice_(value, offset, part_shape), None
                dtype = init.dtype
        with graph.name_scope(None):
            v = store.get(part, init_shape, dtype, init, reuse=reuse,
                          partition_info=PartitionInfo(full, offset), **kw)
        v._save_slice_info = SaveSliceInfo(name, full, offset, part_shape)
        parts.append(v)
    pv = PartitionedVariable(name, shape, dtype, parts, partitions)
    store.partitioned[name] = pv
    return pv


def _check_reuse(name, found, shape, dtype, partitions, reuse):
    if reuse is False:
        raise ValueError(f"Partitioned variable with name {name} already exists. Did you mean "
                         "to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
    if not shape.is_compatible_with(found.get_shape()):
        raise ValueError(f"Trying to reuse partitioned variable {name}, but specified shape "
                         f"{shape} and found shape {found.get_shape()}.")
    if _dt.as_dtype(dtype) != found.dtype:
        raise ValueError(f"Trying to reuse partitioned variable {name}, but specified dtype "
                         f"{_dt.as_dtype(dtype).name} and found dtype {found.dtype.name}.")
    if partitions is not None and found._get_partitions() != partitions:
        raise ValueError(f"Trying to reuse partitioned variable {name}, but specified "
                         f"partitions {partitions} and found partitions "
                         f"{found._get_partitions()}.")


def _check_existing_parts(store, name, count):
    """Parts left in the store (made by another partitioner) must match this partitioning."""
    if f"{name}/part_0" not in store.vars:
        return
    if f"{name}/part_{count - 1}" not in store.vars:
        raise ValueError("Partitioner returned a different partitioning than what was already "
                         f"found.  Partitioner returned {count} shards, and shard {name}/part_0 "
                         f"was found, but {name}/part_{count - 1} was not.")
    if f"{name}/part_{count}" in store.vars:
        raise ValueError("Partitioner returned a different partitioning than what was already "
                         f"found.  Partitioner returned {count} shards, and shard {name}/part_0 "
                         f"was found, but so was the extra shard {name}/part_{count}.")
