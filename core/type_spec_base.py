"""``tf.TypeSpec`` and the public ``tf.TensorSpec``: descriptions of values (their type, shape
and structure) rather than values, as TF's type specs.

Every spec is defined by its ``_serialize()`` tuple (TF's convention): equality, hashing, the
repr, ``is_compatible_with`` and ``most_specific_compatible_type`` all walk it, comparing
TensorShapes by compatibility, DTypes by equality and nested specs recursively. The public
TensorSpec subclasses the engine's internal ``opdef.TensorSpec`` (what shape inference passes
around on hot paths) and only adds a ``name`` slot, so the internal class keeps its cost.
"""

from __future__ import annotations

from . import dtypes as _dt
from . import opdef as _opdef
from .tensor import Tensor
from .tensor_shape import TensorShape


def _same_types(a, b) -> bool:
    """TF's rule: the same type, or namedtuples of the same name and fields."""
    if type(a) is type(b):
        return True
    fields = getattr(type(a), "_fields", None)
    return fields is not None and getattr(type(b), "_fields", None) == fields and \
        type(a).__name__ == type(b).__name__


def _compatible(a, b) -> bool:
    """Whether two serializations (or parts of them) are compatible."""
    if isinstance(a, TypeSpec):
        return a.is_compatible_with(b)
    if not _same_types(a, b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_compatible(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return sorted(a) == sorted(b) and all(_compatible(a[k], b[k]) for k in a)
    if isinstance(a, (TensorShape, _dt.DType)):
        return a.is_compatible_with(b)
    return a == b


class _NoSupertypeError(Exception):
    pass


def common_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape both are (TF's TensorShape supertype): dims kept where equal;
    unknown rank when a rank is unknown or the ranks differ."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def _supertype(a, b):
    """The most specific value covering serialization parts ``a`` and ``b`` (TF's default
    ``most_specific_common_supertype``: shapes relax, dtypes and other values must agree,
    nested specs recurse)."""
    if isinstance(a, TypeSpec):
        if not isinstance(b, TypeSpec):
            raise _NoSupertypeError
        out = a._common_supertype(b)
        if out is None:
            raise _NoSupertypeError
        return out
    if isinstance(a, TensorShape):
        if not isinstance(b, TensorShape):
            raise _NoSupertypeError
        return common_shape(a, b)
    if isinstance(a, (list, tuple)):
        if not _same_types(a, b) or len(a) != len(b):
            raise _NoSupertypeError
        items = [_supertype(x, y) for x, y in zip(a, b)]
        return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
    if isinstance(a, dict):
        if not isinstance(b, dict) or sorted(a) != sorted(b):
            raise _NoSupertypeError
        return {k: _supertype(a[k], b[k]) for k in a}
    if type(a) is not type(b) or a != b:
        raise _NoSupertypeError
    return a


def _cmp_key(value):
    """A hashable key for a serialization: lists as tuples, dicts as sorted item tuples."""
    if isinstance(value, dict):
        return tuple((_cmp_key(k), _cmp_key(value[k])) for k in sorted(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_cmp_key(v) for v in value))
    return value


class TypeSpec:
    """``tf.TypeSpec``: the base of the specs. A subclass defines ``_serialize()`` (the tuple
    of its constructor arguments) and ``value_type``; the rest follows from them."""

    __slots__ = ()

    def __init__(self):
        if type(self) is TypeSpec:
            raise TypeError("Can't instantiate abstract class TypeSpec with abstract methods "
                            "_component_specs, _from_components, _serialize, _to_components, "
                            "value_type")

    def _serialize(self) -> tuple:
        raise NotImplementedError(f"{type(self).__name__}._serialize()")

    @property
    def value_type(self):
        raise NotImplementedError(f"{type(self).__name__}.value_type")

    @classmethod
    def _deserialize(cls, serialization):
        return cls(*serialization)

    # -- comparison -------------------------------------------------------------------------
    def __eq__(self, other) -> bool:
        return type(other) is type(self) and \
            _cmp_key(self._serialize()) == _cmp_key(other._serialize())

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((type(self), _cmp_key(self._serialize())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._serialize()!r}"

    def __reduce__(self):
        return type(self), self._serialize()

    def is_compatible_with(self, spec_or_value) -> bool:
        """Whether ``spec_or_value`` (a spec, or a value described with
        ``tf.type_spec_from_value``) could be described by this spec."""
        if not isinstance(spec_or_value, TypeSpec):
            from .type_spec import type_spec_from_value

            spec_or_value = type_spec_from_value(spec_or_value)
        if type(self) is not type(spec_or_value):
            return False
        return _compatible(self._serialize(), spec_or_value._serialize())

    def _common_supertype(self, other):
        """The most specific spec describing both, or None (TF's
        ``most_specific_common_supertype`` for one other spec)."""
        if type(self) is not type(other):
            return None
        try:
            return self._deserialize(_supertype(self._serialize(), other._serialize()))
        except _NoSupertypeError:
            return None

    def most_specific_common_supertype(self, others):
        out = self
        for other in others:
            out = out._common_supertype(other)
            if out is None:
                return None
        return out

    def most_specific_compatible_type(self, other) -> TypeSpec:
        """The most specific spec compatible with both (dims that differ become unknown);
        ValueError when there is none (different kinds, dtypes or structures)."""
        result = self._common_supertype(other) if isinstance(other, TypeSpec) else None
        if result is None:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        return result

    # -- tf.data's legacy output_types / output_shapes / output_classes ---------------------
    def _to_legacy_output_types(self):
        return self.dtype

    def _to_legacy_output_shapes(self):
        return self.shape

    def _to_legacy_output_classes(self):
        return self.value_type


class TensorSpec(_opdef.TensorSpec, TypeSpec):
    """``tf.TensorSpec(shape, dtype=tf.float32, name=None)``: the type of a tf.Tensor. Equal
    specs have equal shapes, dtypes and names; compatibility ignores the name."""

    __slots__ = ("name",)

    def __init__(self, shape, dtype=_dt.float32, name=None):
        _opdef.TensorSpec.__init__(self, TensorShape(shape), dtype)
        self.name = name

    value_type = property(lambda self: Tensor)

    def _serialize(self) -> tuple:
        return (self.shape, self.dtype, self.name)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.shape == other.shape and \
            self.dtype == other.dtype and self.name == other.name

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"

    def is_compatible_with(self, spec_or_tensor) -> bool:
        """True for a TensorSpec or a graph Tensor of a compatible dtype and shape (TF's rule:
        other values, numpy arrays included, are not tensors and give False)."""
        return isinstance(spec_or_tensor, (TensorSpec, Tensor)) and \
            self.dtype.is_compatible_with(spec_or_tensor.dtype) and \
            self.shape.is_compatible_with(spec_or_tensor.shape)

    @classmethod
    def from_spec(cls, spec, name=None) -> TensorSpec:
        """A TensorSpec with ``spec``'s shape and dtype, and ``name`` (default: its name)."""
        return cls(spec.shape, spec.dtype, name or spec.name)

    @classmethod
    def from_tensor(cls, tensor, name=None) -> TensorSpec:
        """The spec of graph tensor ``tensor``, named ``name`` or after its op (as TF's graph
        mode)."""
        if not isinstance(tensor, Tensor):
            raise ValueError(f"`tensor` should be a tf.Tensor, but got type {type(tensor)}.")
        return TensorSpec(tensor.shape, tensor.dtype, name or tensor.op.name)

    def _batch(self, batch_size) -> TensorSpec:
        return TensorSpec(TensorShape([batch_size]).concatenate(self.shape), self.dtype)

    def _unbatch(self) -> TensorSpec:
        if self.shape.rank == 0:
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        return TensorSpec(self.shape[1:], self.dtype)
