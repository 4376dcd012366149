"""tf.data's optional values (OptionalFromValue, OptionalNone, OptionalHasValue,
OptionalGetValue, IteratorGetNextAsOptional): an element that may be missing, so a graph can
read an iterator to its end without an OutOfRangeError.

TF keeps an optional in a scalar ``variant`` tensor; here that tensor's value is a 0-d object
array holding an ``OptionalValue``, a Python object with the components' arrays (or none). It
never leaves the process: like a resource handle it has no TensorProto encoding. A
SparseTensor component travels as its three arrays, as in the iterator ops (TF packs it into
one variant instead).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OutOfRangeError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape
from .iterator_ops import _get_next_infer


class OptionalValue:
    """The value of a variant tensor holding an optional: ``components`` is a tuple of
    arrays, or None when the optional is empty."""

    __slots__ = ("components",)

    def __init__(self, components):
        self.components = None if components is None else tuple(components)

    @property
    def has_value(self) -> bool:
        return self.components is not None

    def __repr__(self):
        return "Optional(empty)" if self.components is None else \
            f"Optional({len(self.components)} components)"


def _scalar(optional: OptionalValue) -> np.ndarray:
    """The scalar variant tensor holding ``optional`` (as constant folding stores it too)."""
    out = np.empty((), dtype=object)
    out[()] = optional
    return out


_NONE = OptionalValue(None)


def _variant_infer(*_, **__):
    return [TensorSpec(TensorShape([]), _dt.variant)]


OPTIONAL_FROM_VALUE = register(OpDef(
    "OptionalFromValue", inputs=["components:list(Toutput_types)"],
    kernel=lambda components: _scalar(OptionalValue(np.asarray(c) for c in components)),
    infer=_variant_infer, grad=NOT_DIFFERENTIABLE,
    doc="an optional holding the given components",
))

OPTIONAL_NONE = register(OpDef(
    "OptionalNone", kernel=lambda: _scalar(_NONE), infer=_variant_infer, grad=NOT_DIFFERENTIABLE,
    doc="an empty optional",
))


def _optional_of(value, what: str) -> OptionalValue:
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype == object:
        value = value[()]
    if not isinstance(value, OptionalValue):
        raise InvalidArgumentError(None, None, f"{what}: input must be a variant tensor "
                                   f"holding an optional, got {type(value).__name__}")
    return value


def _check_variant(optional: TensorSpec, what: str):
    if optional.dtype != _dt.variant:
        raise InvalidArgumentError(None, None, f"{what}: input 'optional' must be a variant "
                                   f"tensor (an Optional), got {optional.dtype.name}")
    if not optional.shape.is_compatible_with(TensorShape([])):
        raise InvalidArgumentError(None, None, f"{what}: input 'optional' must be a scalar, "
                                   f"got shape {optional.shape}")


def _has_value_infer(optional):
    _check_variant(optional, "OptionalHasValue")
    return [TensorSpec(TensorShape([]), _dt.bool)]


OPTIONAL_HAS_VALUE = register(OpDef(
    "OptionalHasValue", inputs=["optional:variant"],
    kernel=lambda optional: np.bool_(_optional_of(optional, "OptionalHasValue").has_value),
    infer=_has_value_infer, grad=NOT_DIFFERENTIABLE,
    doc="whether the optional holds a value",
))


def _get_value_kernel(optional, *, output_types, output_shapes):
    components = _optional_of(optional, "OptionalGetValue").components
    if components is None:
        raise InvalidArgumentError(None, None, "The given optional does not have a value.")
    if len(components) != len(output_types):
        raise InvalidArgumentError(None, None, f"The given optional has {len(components)} "
                                   f"components, expected {len(output_types)}")
    for i, (c, t, s) in enumerate(zip(components, output_types, output_shapes)):
        if c.dtype != np.dtype(t.as_numpy_dtype):  # strings are object arrays, as t's
            raise InvalidArgumentError(None, None, f"Component {i} of the optional is type "
                                       f"{c.dtype} but expected type {t.name}")
        if not s.is_compatible_with(TensorShape(c.shape)):
            raise InvalidArgumentError(None, None, f"Component {i} of the optional has shape "
                                       f"{TensorShape(c.shape)} but expected shape {s}")
    return components[0] if len(components) == 1 else components


def _get_value_infer(optional, *, output_types, output_shapes):
    _check_variant(optional, "OptionalGetValue")
    if not output_types:  # TF's attr has minimum 1
        raise InvalidArgumentError(None, None, "OptionalGetValue: output_types must name at "
                                   "least one component")
    return _get_next_infer(optional, output_types=output_types, output_shapes=output_shapes)


_ELEMENT_ATTRS = {"output_types": req("list(type)"), "output_shapes": req("list(shape)")}

OPTIONAL_GET_VALUE = register(OpDef(
    "OptionalGetValue", inputs=["optional:variant"], attrs=_ELEMENT_ATTRS,
    kernel=_get_value_kernel, infer=_get_value_infer, grad=NOT_DIFFERENTIABLE,
    doc="the optional's components; InvalidArgumentError when it is empty",
))


def _get_next_as_optional_kernel(handle, *, output_types, output_shapes):
    try:
        element = handle.get_next()
    except OutOfRangeError:  # the end of the data is an empty optional, not an error
        return _scalar(_NONE)
    return _scalar(OptionalValue(np.asarray(c) for c in element))


def _get_next_as_optional_infer(handle, *, output_types, output_shapes):
    _get_next_infer(handle, output_types=output_types, output_shapes=output_shapes)
    return _variant_infer()


GET_NEXT_AS_OPTIONAL = register(OpDef(
    "IteratorGetNextAsOptional", inputs=["iterator:resource"], attrs=_ELEMENT_ATTRS,
    kernel=_get_next_as_optional_kernel, infer=_get_next_as_optional_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="the next element as an optional, empty at the end of the data",
))
