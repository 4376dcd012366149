"""The structure of a dataset's elements, as tf.data sees it.

An element is a nest of components: tuples (namedtuples too) and dicts are structure, anything
else is one component (a Python list is a tensor, as in TF). A dataset's static structure is
that nest with a public ``tf.TensorSpec`` (dtype and shape) for each component, or a
``tf.SparseTensorSpec`` for a SparseTensor component (``tf.data.DatasetSpec``, for window()'s
datasets, is defined here). At run time an element travels as a flat tuple of numpy arrays, in
``components`` order (dicts by sorted key, as TF's nest; a SparseTensor as its indices, values
and dense_shape), and is packed into the nest only for the user's functions and ``get_next``.
"""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..graph import Tensor, convert_to_tensor, to_numpy
from ..sparse_tensor import SparseTensor, SparseTensorValue
from ..tensor_shape import TensorShape, as_shape
from ..type_spec_base import TensorSpec, TypeSpec
from ..type_spec_composite import SparseTensorSpec


class DatasetSpec(TypeSpec):
    """``tf.data.DatasetSpec(element_spec, dataset_shape=())``: the spec of a dataset whose
    elements have the structure ``element_spec``. Each element of ``window()`` is a nest of
    them (one per leaf, ``dataset_shape`` ()); such a component travels as a list of its
    elements' flat tuples."""

    __slots__ = ("_element_spec", "_dataset_shape")

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = as_shape(dataset_shape)

    element_spec = property(lambda self: self._element_spec)

    @property
    def value_type(self):
        from .dataset_ops import Dataset

        return Dataset

    def _serialize(self) -> tuple:
        return (self._element_spec, self._dataset_shape)

    @classmethod
    def from_value(cls, value) -> DatasetSpec:
        return cls(value.element_spec)

    def _batch(self, batch_size) -> DatasetSpec:
        return DatasetSpec(self._element_spec,
                           TensorShape([batch_size]).concatenate(self._dataset_shape))

    # output_types / output_shapes / output_classes show the spec itself, as TF's.
    def _to_legacy_output_types(self):
        return self

    _to_legacy_output_shapes = _to_legacy_output_classes = _to_legacy_output_types

    def argument(self):
        """A Dataset standing for this component in a function, read from the context."""
        from .experimental_ops import _Window

        return _Window(self._element_spec)


def _is_tuple(x) -> bool:
    return isinstance(x, tuple) and not isinstance(x, SparseTensorValue)  # that one is a leaf


def is_nest(x) -> bool:
    return isinstance(x, dict) or _is_tuple(x)


def flatten(structure) -> list:
    """The leaves of a nest (tuples, namedtuples, dicts by sorted key)."""
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in flatten(structure[k])]
    if _is_tuple(structure):
        return [x for item in structure for x in flatten(item)]
    return [structure]


def _mapping_like(template, items):
    """A dict of ``items``, an OrderedDict when ``template`` is one (TF's nest keeps the
    mapping type: make_csv_dataset's features are an OrderedDict)."""
    return collections.OrderedDict(items) if isinstance(template, collections.OrderedDict) \
        else dict(items)


def pack(structure, leaves) -> object:
    """``leaves`` (in flatten order) in the shape of ``structure``."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, dict):
            packed = {k: build(s[k]) for k in sorted(s)}
            return _mapping_like(s, ((k, packed[k]) for k in s))
        if _is_tuple(s):
            items = [build(x) for x in s]
            return type(s)(*items) if hasattr(s, "_fields") else tuple(items)
        return next(it)

    return build(structure)


def components(structure) -> list:
    """The runtime components of a nest of specs: each SparseTensorSpec as its three parts."""
    return [p for leaf in flatten(structure) for p in
            (leaf.parts() if isinstance(leaf, SparseTensorSpec) else (leaf,))]


def component_values(value) -> list:
    """The components of a nest of values (tensors or arrays): a SparseTensor (or
    SparseTensorValue) as its indices, values and dense_shape."""
    return [p for leaf in flatten(value) for p in
            ((leaf.indices, leaf.values, leaf.dense_shape)
             if isinstance(leaf, (SparseTensor, SparseTensorValue)) else (leaf,))]


def pack_components(structure, items) -> object:
    """``items`` (in ``components`` order) in the shape of ``structure``: three of them make
    a SparseTensor (graph tensors) or a SparseTensorValue (arrays) at each SparseTensorSpec."""
    it = iter(items)
    leaves = []
    for leaf in flatten(structure):
        if isinstance(leaf, SparseTensorSpec):
            parts = [next(it), next(it), next(it)]
            if all(isinstance(x, Tensor) for x in parts):
                parts[2] = _known_dense_shape(parts[2], leaf.shape)
                sp = SparseTensor(*parts)
                sp.set_shape(leaf.shape)
                leaves.append(sp)
            else:
                leaves.append(SparseTensorValue(*parts))
        else:
            leaves.append(next(it))
    return pack(structure, leaves)


def _known_dense_shape(dense_shape: Tensor, shape: TensorShape) -> Tensor:
    """A SparseTensor component's dense_shape with the spec's known dims as constants, as TF
    rebuilds it, so ops on the element (sparse.to_dense) infer static shapes from it."""
    from ..ops.array_ops import constant
    from ..ops.concat_split_ops import stack, unstack

    if shape.rank is None or all(d is None for d in shape.as_list()):
        return dense_shape
    if shape.is_fully_defined():
        return constant(np.array(shape.as_list(), np.int64), name="shape")
    pieces = unstack(dense_shape, num=shape.rank)
    for i, d in enumerate(shape.as_list()):
        if d is not None:
            pieces[i] = constant(np.int64(d))
    return stack(pieces)


def map_structure(fn, structure):
    return pack(structure, [fn(x) for x in flatten(structure)])


def same_structure(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(same_structure(a[k], b[k]) for k in a)
    if _is_tuple(a):
        return _is_tuple(b) and len(a) == len(b) and \
            all(same_structure(x, y) for x, y in zip(a, b))
    return not is_nest(b) and isinstance(a, SparseTensorSpec) == isinstance(b, SparseTensorSpec)


def flatten_up_to(structure, value, what: str) -> list:
    """``value``'s items matching ``structure``'s leaves (a leaf of ``value`` may itself be a
    list, e.g. a padded shape). Lists in ``value`` stand for tuples where ``structure`` has one."""
    if isinstance(structure, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(structure):
            raise ValueError(f"{what} {value!r} does not match the dataset's structure "
                             f"{describe(structure)}")
        return [x for k in sorted(structure) for x in flatten_up_to(structure[k], value[k], what)]
    if _is_tuple(structure):
        if not isinstance(value, (tuple, list)) or len(value) != len(structure):
            raise ValueError(f"{what} {value!r} does not match the dataset's structure "
                             f"{describe(structure)}")
        return [x for s, v in zip(structure, value) for x in flatten_up_to(s, v, what)]
    return [value]


def describe(structure) -> str:
    """A nest of specs as text: ``(int64 (), {'a': float32 (2,)})``."""
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {describe(structure[k])}" for k in structure) + "}"
    if _is_tuple(structure):
        return "(" + ", ".join(describe(x) for x in structure) + ")"
    if isinstance(structure, TensorSpec):
        return f"{structure.dtype.name} {structure.shape}"
    if isinstance(structure, SparseTensorSpec):
        return f"SparseTensor({structure.dtype.name} {structure.shape})"
    return repr(structure)


# -- element values ------------------------------------------------------------------------------
def normalize(value, what: str):
    """A user's element value (``from_tensors``, ``from_tensor_slices``) as a nest whose leaves
    are numpy arrays or Tensors: tuples and dicts stay structure, lists and scalars become
    arrays with TF's default dtypes, Variables their value tensor."""
    if isinstance(value, dict):
        return _mapping_like(value, ((k, normalize(v, what)) for k, v in value.items()))
    if isinstance(value, SparseTensorValue):  # a leaf: its three arrays, checked
        return SparseTensorValue(np.asarray(value.indices, np.int64), to_numpy(value.values),
                                 np.asarray(value.dense_shape, np.int64))
    if isinstance(value, tuple):
        items = [normalize(v, what) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, (Tensor, SparseTensor)):
        return value
    if hasattr(value, "_as_tensor"):  # a Variable
        return value._as_tensor()
    if value is None:
        raise ValueError(f"{what}: None is not a valid dataset component")
    try:
        return to_numpy(value)
    except TypeError:
        if isinstance(value, list):  # a list holding tensors: one packed tensor, as TF's
            return convert_to_tensor(value)
        raise TypeError(f"{what}: cannot convert {value!r} of type {type(value).__name__} to a "
                        "tensor") from None


def spec_of(leaf) -> TensorSpec | SparseTensorSpec:
    if isinstance(leaf, Tensor):
        return TensorSpec(leaf.shape, leaf.dtype)
    if isinstance(leaf, SparseTensor):
        return SparseTensorSpec(leaf.shape, leaf.dtype)
    if isinstance(leaf, SparseTensorValue):
        return SparseTensorSpec(TensorShape([int(d) for d in leaf.dense_shape]),
                          string_or_numpy_dtype(leaf.values))
    return TensorSpec(TensorShape(leaf.shape), string_or_numpy_dtype(leaf))


def string_or_numpy_dtype(arr: np.ndarray) -> _dt.DType:
    return _dt.string if arr.dtype.kind in "USO" else _dt.from_numpy(arr)


def as_component(value, spec: TensorSpec) -> np.ndarray:
    """A value (a numpy array from the pipeline) as an array of the spec's dtype; strings as
    object arrays of bytes, as every string tensor."""
    if spec.dtype is _dt.string:
        arr = np.asarray(value, dtype=object)
        if arr.size and not all(isinstance(v, bytes) for v in arr.reshape(-1)):
            arr = to_numpy(arr.tolist() if arr.ndim else arr[()], _dt.string)
        return arr
    return np.asarray(value, dtype=spec.dtype.as_numpy_dtype)


# -- static shapes -------------------------------------------------------------------------------
def most_specific_compatible(a: TensorShape, b: TensorShape) -> TensorShape:
    """The shape both conform to: equal dims kept, others unknown (TF's rule for the elements
    of concatenate and of a from_structure iterator)."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def batched(spec, batch):
    return type(spec)(TensorShape([batch]).concatenate(spec.shape), spec.dtype)


def unbatched(spec, what: str):
    if spec.shape.rank is None:
        return type(spec)(TensorShape(None), spec.dtype)
    if spec.shape.rank == 0:
        raise ValueError(f"{what}: cannot split a scalar component ({spec.dtype.name} ()) into "
                         "elements; every component must have rank >= 1")
    return type(spec)(TensorShape(spec.shape.as_list()[1:]), spec.dtype)


def shape_arg(value, what: str) -> TensorShape:
    """A user's shape (TensorShape, list with None or -1 for unknown dims, None)."""
    if value is None:
        return TensorShape(None)
    if isinstance(value, TensorShape):
        return value
    if isinstance(value, Tensor):
        raise TypeError(f"{what}: shapes must be static (lists or TensorShapes), got tensor "
                        f"{value.name}")
    dims = list(np.asarray(value).reshape(-1)) if isinstance(value, np.ndarray) else list(value)
    return as_shape([None if d is None or int(d) < 0 else int(d) for d in dims])


class Structured:
    """The element structure a Dataset or an Iterator gives, from its ``_structure`` (a nest of
    TensorSpecs)."""

    _structure = None

    @property
    def output_types(self):
        return legacy_types(self._structure)

    @property
    def output_shapes(self):
        return legacy_shapes(self._structure)

    @property
    def output_classes(self):
        return legacy_classes(self._structure)

    @property
    def element_spec(self):
        return self._structure


def legacy_types(structure):
    """TF1's ``output_types`` of a nest of specs: dtypes (a DatasetSpec stands for itself)."""
    return map_structure(lambda s: s._to_legacy_output_types(), structure)


def legacy_shapes(structure):
    return map_structure(lambda s: s._to_legacy_output_shapes(), structure)


def legacy_classes(structure):
    return map_structure(lambda s: s._to_legacy_output_classes(), structure)
