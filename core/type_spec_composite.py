"""The specs of composite values: ``tf.SparseTensorSpec``, ``tf.RaggedTensorSpec``,
``tf.IndexedSlicesSpec``, ``tf.TensorArraySpec``, ``tf.NoneTensorSpec`` and ``tf.OptionalSpec``
(``tf.data.DatasetSpec`` is in core/data/structure.py, next to the code that runs windows).

Each is its constructor's arguments as TF's (``_serialize``); equality, the repr and the
compatibility rules come from ``TypeSpec`` (core/type_spec_base.py), with TF's exceptions
(RaggedTensorSpec of ragged_rank 0 against plain tensors; TensorArraySpec ignoring
``infer_shape``). Value types are imported on use: these modules load before ragged or data.
"""

from __future__ import annotations

from . import dtypes as _dt
from .tensor import Tensor
from .tensor_shape import TensorShape, as_shape
from .type_spec_base import TensorSpec, TypeSpec, common_shape


class SparseTensorSpec(TypeSpec):
    """``tf.SparseTensorSpec(shape=None, dtype=tf.float32)``: a SparseTensor's dense shape and
    dtype. It travels (in tf.data) as three tensors, ``parts()``."""

    __slots__ = ("_shape", "_dtype")

    def __init__(self, shape=None, dtype=_dt.float32):
        self._shape = as_shape(shape)
        self._dtype = _dt.as_dtype(dtype)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)

    @property
    def value_type(self):
        from .sparse_tensor import SparseTensor

        return SparseTensor

    def _serialize(self) -> tuple:
        return (self._shape, self._dtype)

    def parts(self) -> list[TensorSpec]:
        """The component tensors' specs: indices, values, dense_shape (TF's
        ``_component_specs``)."""
        rank = self._shape.rank
        return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], self._dtype),
                TensorSpec([rank], _dt.int64)]

    _component_specs = property(parts)

    @classmethod
    def from_value(cls, value) -> SparseTensorSpec:
        """The spec of a SparseTensor or SparseTensorValue."""
        from .graph import to_numpy
        from .sparse_tensor import SparseTensor, SparseTensorValue

        if isinstance(value, SparseTensor):
            return cls(value.shape, value.dtype)
        if isinstance(value, SparseTensorValue):
            values = to_numpy(value.values)
            dtype = _dt.string if values.dtype.kind in "USO" else _dt.from_numpy(values)
            return cls(TensorShape([int(d) for d in to_numpy(value.dense_shape).reshape(-1)]),
                       dtype)
        raise TypeError(f"Expected SparseTensor or SparseTensorValue. Received: {value} of "
                        f"type {type(value).__name__}.")

    def _batch(self, batch_size) -> SparseTensorSpec:
        return SparseTensorSpec(TensorShape([batch_size]).concatenate(self._shape), self._dtype)

    def _unbatch(self) -> SparseTensorSpec:
        if self._shape.rank == 0:
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        return SparseTensorSpec(self._shape[1:], self._dtype)


class RaggedTensorSpec(TypeSpec):
    """``tf.RaggedTensorSpec(shape=None, dtype=tf.float32, ragged_rank=None,
    row_splits_dtype=tf.int64, flat_values_spec=None)``. ``ragged_rank`` defaults to the rank
    minus one (so the shape's rank must then be known) and must be below the rank."""

    __slots__ = ("_shape", "_dtype", "_ragged_rank", "_row_splits_dtype", "_flat_values_spec")

    def __init__(self, shape=None, dtype=_dt.float32, ragged_rank=None,
                 row_splits_dtype=_dt.int64, flat_values_spec=None):
        self._shape = as_shape(shape)
        self._row_splits_dtype = _dt.as_dtype(row_splits_dtype)
        if flat_values_spec is not None:
            if dtype is None:
                dtype = flat_values_spec.dtype
            elif dtype != flat_values_spec.dtype:
                raise ValueError("dtype must be the same as flat_values_spec.dtype")
        elif dtype is None:
            raise ValueError("At least one of dtype or flat_values_spec must be provided")
        self._dtype = _dt.as_dtype(dtype)
        self._flat_values_spec = flat_values_spec
        rank = self._shape.rank
        if ragged_rank is None:
            if rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = rank - 1
        if not isinstance(ragged_rank, int) or isinstance(ragged_rank, bool):
            raise TypeError(f"Argument `ragged_rank` must be an int. Received {ragged_rank}.")
        self._ragged_rank = ragged_rank
        if rank is not None and ragged_rank >= rank:
            raise ValueError(f"Argument `ragged_rank` ({ragged_rank}) must be less than rank "
                             f"({rank}).")

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ragged_rank = property(lambda self: self._ragged_rank)
    row_splits_dtype = property(lambda self: self._row_splits_dtype)
    flat_values_spec = property(lambda self: self._flat_values_spec)

    @property
    def value_type(self):
        from .ragged import RaggedTensor

        return RaggedTensor if self._ragged_rank > 0 else Tensor

    def _serialize(self) -> tuple:
        head = (self._shape, self._dtype, self._ragged_rank, self._row_splits_dtype)
        return head if self._flat_values_spec is None else head + (self._flat_values_spec,)

    def is_compatible_with(self, spec_or_value) -> bool:
        # Of ragged_rank 0, it describes plain tensors too (TF's exception).
        from .ragged import RaggedTensor

        if self._ragged_rank == 0:
            if self._flat_values_spec is None:
                if isinstance(spec_or_value, (Tensor, TensorSpec)):
                    return TensorSpec(self._shape, self._dtype).is_compatible_with(
                        spec_or_value)
            elif not isinstance(spec_or_value, (RaggedTensor, RaggedTensorSpec)):
                return self._flat_values_spec.is_compatible_with(spec_or_value)
        return super().is_compatible_with(spec_or_value)

    @classmethod
    def from_value(cls, value) -> RaggedTensorSpec:
        """The spec of a RaggedTensor or RaggedTensorValue."""
        return cls(shape=value.shape, dtype=_dt.as_dtype(value.flat_values.dtype),
                   ragged_rank=value.ragged_rank,
                   row_splits_dtype=_dt.as_dtype(value.row_splits.dtype))

    def _batch(self, batch_size) -> RaggedTensorSpec:
        return RaggedTensorSpec(TensorShape([batch_size]).concatenate(self._shape), self._dtype,
                                self._ragged_rank + 1, self._row_splits_dtype)


class IndexedSlicesSpec(TypeSpec):
    """``tf.IndexedSlicesSpec(shape=None, dtype=tf.float32, indices_dtype=tf.int64,
    dense_shape_dtype=None, indices_shape=None)``: ``shape`` is the dense shape, and
    ``dense_shape_dtype`` None means the slices carry no dense_shape tensor. As TF's, it has no
    ``shape``/``dtype`` properties."""

    __slots__ = ("_shape", "_values_dtype", "_indices_dtype", "_dense_shape_dtype",
                 "_indices_shape")

    def __init__(self, shape=None, dtype=_dt.float32, indices_dtype=_dt.int64,
                 dense_shape_dtype=None, indices_shape=None):
        self._shape = as_shape(shape)
        self._values_dtype = _dt.as_dtype(dtype)
        self._indices_dtype = _dt.as_dtype(indices_dtype)
        self._dense_shape_dtype = None if dense_shape_dtype is None else \
            _dt.as_dtype(dense_shape_dtype)
        self._indices_shape = as_shape(indices_shape).with_rank(1)

    @property
    def value_type(self):
        from .indexed_slices import IndexedSlices

        return IndexedSlices

    def _serialize(self) -> tuple:
        return (self._shape, self._values_dtype, self._indices_dtype, self._dense_shape_dtype,
                self._indices_shape)

    @classmethod
    def from_value(cls, value) -> IndexedSlicesSpec:
        """The spec of an IndexedSlices, as TF's ``IndexedSlices._type_spec``: the dense shape
        from the values' inner dims and what is statically known of ``dense_shape``."""
        from .tensor_conversion import constant_value_as_shape

        values, indices, dense = value.values, value.indices, value.dense_shape
        indices_shape = indices.shape.merge_with(values.shape[:1])
        shape = TensorShape([None]).concatenate(values.shape[1:])
        dense_dtype = None
        if dense is not None:
            dense_dtype = dense.dtype
            shape = shape.merge_with(constant_value_as_shape(dense))
        return cls(shape, values.dtype, indices.dtype, dense_dtype, indices_shape)


class TensorArraySpec(TypeSpec):
    """``tf.TensorArraySpec(element_shape=None, dtype=tf.float32, dynamic_size=False,
    infer_shape=True)``. Compatibility ignores ``infer_shape``; as TF's, the spec has no
    ``shape``/``dtype`` properties."""

    __slots__ = ("_element_shape", "_dtype", "_dynamic_size", "_infer_shape")

    def __init__(self, element_shape=None, dtype=_dt.float32, dynamic_size=False,
                 infer_shape=True):
        self._element_shape = as_shape(element_shape)
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic_size = dynamic_size
        self._infer_shape = infer_shape

    @property
    def value_type(self):
        from .ops.tensor_array_ops import TensorArray

        return TensorArray

    def _serialize(self) -> tuple:
        return (self._element_shape, self._dtype, self._dynamic_size, self._infer_shape)

    def is_compatible_with(self, other) -> bool:
        if not isinstance(other, TypeSpec):
            from .type_spec import type_spec_from_value

            other = type_spec_from_value(other)
        return isinstance(other, TensorArraySpec) and \
            self._dtype.is_compatible_with(other._dtype) and \
            self._element_shape.is_compatible_with(other._element_shape) and \
            self._dynamic_size == other._dynamic_size

    def _common_supertype(self, other):
        if not isinstance(other, TensorArraySpec) or self._dtype != other._dtype or \
                self._dynamic_size != other._dynamic_size:
            return None
        return TensorArraySpec(common_shape(self._element_shape, other._element_shape),
                               self._dtype, self._dynamic_size,
                               self._infer_shape and other._infer_shape)

    @classmethod
    def from_value(cls, value) -> TensorArraySpec:
        from .ops.tensor_array_ops import TensorArray

        if not isinstance(value, TensorArray):
            raise ValueError(f"Expected value to be a TensorArray, but saw: {value!r} of type "
                             f"{type(value).__name__}")
        return cls(dtype=value.dtype, element_shape=value.element_shape,
                   dynamic_size=value.dynamic_size, infer_shape=value._infer_shape)


class NoneTensorSpec(TypeSpec):
    """``tf.NoneTensorSpec()``: the spec of None (a missing value in a structure)."""

    __slots__ = ()

    def __init__(self):
        pass

    value_type = property(lambda self: type(None))

    def _serialize(self) -> tuple:
        return ()

    @classmethod
    def from_value(cls, value) -> NoneTensorSpec:
        return cls()


class OptionalSpec(TypeSpec):
    """``tf.OptionalSpec(element_spec)``: the spec of a tf.data Optional whose value would
    have the structure ``element_spec`` (a nest of specs)."""

    __slots__ = ("_element_spec",)

    def __init__(self, element_spec):
        self._element_spec = element_spec

    @property
    def value_type(self):
        from .data.optional import Optional

        return Optional

    def _serialize(self) -> tuple:
        return (self._element_spec,)

    @classmethod
    def from_value(cls, value) -> OptionalSpec:
        return cls(value.element_spec)

    def _to_legacy_output_types(self):
        return self

    _to_legacy_output_shapes = _to_legacy_output_classes = _to_legacy_output_types
