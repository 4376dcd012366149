"""``tf.TypeSpec`` and its family (``tf.TensorSpec``, ``tf.SparseTensorSpec``,
``tf.RaggedTensorSpec``, ``tf.IndexedSlicesSpec``, ``tf.TensorArraySpec``, ``tf.OptionalSpec``,
``tf.NoneTensorSpec``; ``tf.data.DatasetSpec``) and ``tf.type_spec_from_value``.

The classes live in core/type_spec_base.py, core/type_spec_composite.py and (DatasetSpec)
core/data/structure.py. This module's ``tf.TensorSpec`` is the public one, with a name and
equality; core/__init__.py star-imports this module after the engine's internal
``opdef.TensorSpec``, so the public class is the one ``tf.TensorSpec`` names.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .data.structure import DatasetSpec
from .tensor import Tensor
from .type_spec_base import TensorSpec, TypeSpec
from .type_spec_composite import (IndexedSlicesSpec, NoneTensorSpec, OptionalSpec,
                                  RaggedTensorSpec, SparseTensorSpec, TensorArraySpec)

__all__ = ["IndexedSlicesSpec", "NoneTensorSpec", "OptionalSpec", "RaggedTensorSpec",
           "SparseTensorSpec", "TensorArraySpec", "TensorSpec", "TypeSpec",
           "type_spec_from_value"]

_BATCHABLE = (TensorSpec, SparseTensorSpec, RaggedTensorSpec)


def type_spec_from_value(value) -> TypeSpec:
    """The spec describing ``value``: a graph tensor, a SparseTensor(Value), a
    RaggedTensor(Value), an IndexedSlices, a TensorArray, a Dataset, an Optional, None, a numpy
    array, or a Python value a tensor can be made of (its spec is the tensor's, with TF's
    default dtypes). A list of tensors (or of composites) alike is their spec batched. Anything
    else is a TypeError."""
    spec = _spec_of(value)
    if spec is not None:
        return spec
    spec = _converted_spec(value)
    if spec is not None:
        return spec
    raise TypeError(f"Could not build a TypeSpec for {value} of unsupported type "
                    f"{type(value)}.")


def _spec_of(value):
    """TF's ``_type_spec_from_value``: the spec of a value that has one as it is (no
    conversion), else None."""
    from .data.dataset_ops import Dataset
    from .data.optional import Optional
    from .indexed_slices import IndexedSlices
    from .ops.tensor_array_ops import TensorArray
    from .ragged import RaggedTensor, RaggedTensorValue
    from .sparse_tensor import SparseTensor, SparseTensorValue

    if isinstance(value, Tensor):
        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, (SparseTensor, SparseTensorValue)):
        return SparseTensorSpec.from_value(value)
    if isinstance(value, (RaggedTensor, RaggedTensorValue)):
        return RaggedTensorSpec.from_value(value)
    if isinstance(value, IndexedSlices):
        return IndexedSlicesSpec.from_value(value)
    if isinstance(value, TensorArray):
        return TensorArraySpec.from_value(value)
    if isinstance(value, Dataset):
        return DatasetSpec(value.element_spec)
    if isinstance(value, Optional):
        return OptionalSpec(value.element_spec)
    if value is None:
        return NoneTensorSpec()
    if isinstance(value, list) and value:
        # A list of alike tensors (or composites) is their spec with a batch dimension, even
        # when their shapes differ (which a conversion to one tensor would refuse).
        specs = [_spec_of(v) for v in value]
        if isinstance(specs[0], _BATCHABLE):
            merged = specs[0].most_specific_common_supertype(specs[1:])
            if merged is not None:
                return merged._batch(len(specs))
    if isinstance(value, (np.ndarray, np.generic)):
        dtype = _numpy_dtype(value)
        return None if dtype is None else TensorSpec(value.shape, dtype)
    return None


def _numpy_dtype(arr):
    if arr.dtype.kind in "USO":
        return _dt.string
    try:
        return _dt.from_numpy(arr)
    except TypeError:
        return None


def _converted_spec(value):
    """The spec of the tensor ``value`` converts to (TF's fallback), or None. A variable is
    described by its value's spec; Python values are converted without adding to the graph."""
    from .graph import convert_to_tensor, to_numpy

    if hasattr(value, "_as_tensor") and hasattr(value, "initializer"):  # a Variable
        return TensorSpec(value.shape, getattr(value.dtype, "base_dtype", value.dtype))
    try:
        arr = to_numpy(value)
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is not None:
        dtype = _numpy_dtype(arr)
        return None if dtype is None else TensorSpec(arr.shape, dtype)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        try:  # tensors among Python values: packed into one tensor, as TF converts them
            return _spec_of(convert_to_tensor(value))
        except (TypeError, ValueError):
            return None
    return None
