"""``tf.data.experimental.Optional``: a value that may be missing, held in a scalar variant
tensor (the ops are in core/ops/optional_ops.py). ``iterator.get_next_as_optional()`` gives
the next element as one, so a graph reads an iterator to its end without an OutOfRangeError::

    opt = iterator.get_next_as_optional()
    x = tf.cond(opt.has_value(), lambda: opt.get_value(), lambda: default)
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import Tensor, convert_to_tensor, name_scope
from ..type_spec_base import TensorSpec
from ..ops import optional_ops as ops
from . import structure as st


class Optional:
    """An optional value of a known structure (``element_spec``): ``has_value()`` says
    whether it holds one, ``get_value()`` gives it (InvalidArgumentError when empty)."""

    def __init__(self, variant_tensor: Tensor, element_spec):
        if not isinstance(variant_tensor, Tensor) or variant_tensor.dtype != _dt.variant:
            raise TypeError(f"An Optional is held in a variant tensor, got {variant_tensor!r}")
        self._variant_tensor = variant_tensor
        self._element_spec = element_spec

    # -- construction ----------------------------------------------------------------------------
    @staticmethod
    def from_value(value) -> Optional:
        """An optional holding ``value`` (a nest of tensors, arrays or SparseTensors)."""
        with name_scope("optional") as scope:
            with name_scope("value"):
                value = st.normalize(value, "Optional.from_value")
                spec = st.map_structure(st.spec_of, value)
                parts = [convert_to_tensor(c) for c in st.component_values(value)]
            return Optional(ops.OPTIONAL_FROM_VALUE(parts, name=scope), spec)

    @staticmethod
    def empty(element_spec) -> Optional:
        """An empty optional whose value would have the structure ``element_spec`` (a nest of
        ``tf.TensorSpec``s, or SparseTensor specs from a dataset's element_spec)."""
        for leaf in st.flatten(element_spec):
            if not isinstance(leaf, (TensorSpec, st.SparseTensorSpec)):
                raise TypeError(f"Optional.empty: the structure must hold tf.TensorSpec values "
                                f"(or tf.SparseTensorSpec ones), got {leaf!r}")
        return Optional(ops.OPTIONAL_NONE(name="OptionalNone"), element_spec)

    none_from_structure = empty  # TF1's name

    # -- use --------------------------------------------------------------------------------------
    def has_value(self, name=None) -> Tensor:
        """A bool scalar: whether this optional holds a value."""
        return ops.OPTIONAL_HAS_VALUE(self._variant_tensor, name=name or "OptionalHasValue")

    def get_value(self, name=None):
        """The value's tensors, in ``element_spec``'s structure; running them fails with
        InvalidArgumentError when the optional is empty."""
        specs = st.components(self._element_spec)
        if not specs:  # nothing to read: TF's op needs at least one component
            return st.pack_components(self._element_spec, [])
        with name_scope(name, "OptionalGetValue") as scope:
            outs = ops.OPTIONAL_GET_VALUE(self._variant_tensor,
                                          output_types=[s.dtype for s in specs],
                                          output_shapes=[s.shape for s in specs], name=scope)
        outs = outs if isinstance(outs, list) else [outs]
        return st.pack_components(self._element_spec, outs)

    @property
    def element_spec(self):
        """The structure of the value: a nest of tf.TensorSpecs (tf.SparseTensorSpecs for
        SparseTensors); ``tf.type_spec_from_value(optional)`` is ``tf.OptionalSpec`` of it."""
        return self._element_spec

    value_structure = element_spec  # TF 1.15's name

    def __repr__(self):
        return f"<Optional {self._variant_tensor.name} of {st.describe(self._element_spec)}>"


def get_next_as_optional(iterator) -> Optional:
    """``tf.data.experimental.get_next_as_optional(iterator)``: the iterator's next element as
    an Optional, empty once the data ends (instead of an OutOfRangeError)."""
    from .iterators import Iterator

    if not isinstance(iterator, Iterator):
        raise TypeError(f"get_next_as_optional() expects a tf.data Iterator, got "
                        f"{type(iterator).__name__}")
    structure = iterator.element_spec
    specs = st.components(structure)
    variant = ops.GET_NEXT_AS_OPTIONAL(iterator._handle, output_types=[s.dtype for s in specs],
                                       output_shapes=[s.shape for s in specs],
                                       name="IteratorGetNextAsOptional")
    return Optional(variant, structure)
