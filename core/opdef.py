"""One op, one declaration: the OpDef registry.

An OpDef holds everything about an op type side by side: its TensorFlow name and attrs (the
GraphDef contract), the numpy kernel, static inference, the symbolic gradient and whether it is
stateful. Graph construction (``graph.apply_op``), the executor (``plan``), autodiff and the
GraphDef codec all read the same declaration.

Input signatures use TensorFlow's argument notation:

- ``"x:T"``          one tensor whose dtype sets the derived attr ``T``;
- ``"values:N*T"``   a list of N tensors of one dtype (derives ``N`` and ``T``);
- ``"data:list(U)"`` a list of tensors of any dtypes (derives ``U``, their dtypes);
- ``"axis:Tidx=int32"`` a derived type attr with the dtype used to convert Python values;
- ``"depth:int32"``  a fixed dtype;
- ``"ref:Ref(T)"``   a reference to a variable: the kernel receives the variable's ``Cell``.

Derived attrs (``T``, ``N``, ``Tidx``...) are recorded on the Operation (so GraphDefs carry them)
but not passed to ``kernel``/``infer``; those receive only the declared ``attrs``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .tensor_shape import Dimension, TensorShape, as_shape


class _NotDifferentiable:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


#: ``grad=NOT_DIFFERENTIABLE`` declares that an op has no gradient (its inputs get None).
NOT_DIFFERENTIABLE = _NotDifferentiable("NOT_DIFFERENTIABLE")
#: ``grad=NO_GRADIENT``: TensorFlow defines no gradient for a float op, so asking for one
#: raises LookupError (as TF's) rather than giving None, which would silently cut the path.
NO_GRADIENT = _NotDifferentiable("NO_GRADIENT")

ATTR_KINDS = ("string", "int", "float", "bool", "type", "shape", "tensor",
              "list(int)", "list(float)", "list(string)", "list(type)", "list(shape)",
              "list(bool)")


@dataclass(frozen=True)
class req:  # noqa: N801 - reads as a marker in declarations: attrs={"dtype": req("type")}
    """A required attr (no default) of the given kind."""

    kind: str

    def __post_init__(self):
        if self.kind not in ATTR_KINDS:
            raise ValueError(f"unknown attr kind {self.kind!r}")


@dataclass(frozen=True)
class kinded:  # noqa: N801 - a marker in declarations: attrs={"unigrams": kinded([], ...)}
    """A default whose value does not tell its kind (an empty list reads as list(int)):
    ``kinded([], "list(float)")``. The OpDef keeps the value as the default."""

    value: Any
    kind: str

    def __post_init__(self):
        if self.kind not in ATTR_KINDS:
            raise ValueError(f"unknown attr kind {self.kind!r}")


def attr_kind(default) -> str:
    """The attr kind implied by a default value."""
    if isinstance(default, (req, kinded)):
        return default.kind
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, (str, bytes)):
        return "string"
    if isinstance(default, _dt.DType):
        return "type"
    if isinstance(default, TensorShape):
        return "shape"
    if isinstance(default, np.ndarray):
        return "tensor"
    if isinstance(default, (list, tuple)):
        if all(isinstance(v, bool) for v in default) and default:
            return "list(bool)"
        if all(isinstance(v, int) for v in default):
            return "list(int)"  # the empty list is list(int): squeeze_dims, explicit_paddings
        if all(isinstance(v, float) for v in default):
            return "list(float)"
        if all(isinstance(v, str) for v in default):
            return "list(string)"
    raise TypeError(f"cannot infer an attr kind from default {default!r}")


def _float32(value) -> float:
    return float(np.float32(float(value)))


def coerce_attr(kind: str, value, name: str, op_type: str):
    """Converts a user value to the canonical Python form of an attr kind."""
    try:
        if kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError
            return bool(value)
        if kind == "int":
            if isinstance(value, Dimension):  # a static shape's dimension, e.g. x.shape[0]
                value = value.value
            if isinstance(value, (str, bytes)):  # TF's _MakeInt: whatever int() takes else
                raise TypeError  # (2.7 -> 2, True -> 1, as TF)
            return int(value)
        if kind == "float":  # TF's float attrs are float32: kernels see the rounded value
            return _float32(value)
        if kind == "string":
            return value.decode() if isinstance(value, bytes) else str(value)
        if kind == "type":
            return _dt.as_dtype(value)
        if kind == "shape":
            return as_shape(value)
        if kind == "tensor":
            return np.asarray(value)
        if kind == "list(int)":
            return [coerce_attr("int", v, name, op_type) for v in value]
        if kind == "list(float)":
            return [_float32(v) for v in value]
        if kind == "list(bool)":
            return [coerce_attr("bool", v, name, op_type) for v in value]
        if kind == "list(string)":
            return [coerce_attr("string", v, name, op_type) for v in value]
        if kind == "list(type)":
            return [_dt.as_dtype(v) for v in value]
        if kind == "list(shape)":
            return [as_shape(v) for v in value]
    except (TypeError, ValueError):
        pass
    raise TypeError(f"Attr '{name}' of '{op_type}' Op expects {kind}, got {value!r}")


_ARG_RE = re.compile(r"^(\w+):(?:(\w+)\*)?(Ref\()?(\w+)\)?(?:=(\w+))?$")
_TYPE_LIST_RE = re.compile(r"^(\w+):list\((\w+)\)$")


@dataclass(frozen=True)
class ArgSpec:
    name: str
    type_attr: str | None  # derived type attr name, or None for a fixed dtype
    fixed_dtype: _dt.DType | None
    number_attr: str | None  # "N" for list args
    is_ref: bool
    default_dtype: _dt.DType | None  # dtype used to convert Python values
    type_list_attr: str | None = None  # "U" for a list of tensors of any dtypes

    @property
    def is_list(self) -> bool:
        return bool(self.number_attr or self.type_list_attr)

    def length(self, attrs) -> int:
        """How many tensors this list argument has: its N, or the length of its U (a count
        given in U's place is taken as is)."""
        value = attrs[self.number_attr or self.type_list_attr]
        return value if isinstance(value, int) else len(value)


def parse_arg(text: str) -> ArgSpec:
    m = _TYPE_LIST_RE.match(text.replace(" ", ""))
    if m:  # "data:list(U)": tensors of any dtypes; U is their dtypes, as TF's list(type)
        return ArgSpec(m.group(1), None, None, None, False, None, m.group(2))
    m = _ARG_RE.match(text.replace(" ", ""))
    if not m:
        raise ValueError(f"bad argument spec {text!r}")
    name, number, ref, typ, default = m.groups()
    fixed = None
    try:
        fixed = _dt.as_dtype(typ) if typ[0].islower() else None
    except TypeError:
        pass
    return ArgSpec(name, None if fixed else typ, fixed, number, bool(ref),
                   _dt.as_dtype(default) if default else fixed)


class TensorSpec:
    """Static dtype/shape of a tensor; ``value`` is its constant value when statically known.

    Input specs handed to ``infer`` compute ``value`` lazily (only shape-like arguments ask).
    """

    __slots__ = ("dtype", "shape", "_value", "_value_fn", "_shape_fn")

    def __init__(self, shape, dtype, value=None, value_fn=None, shape_fn=None):
        self.shape = as_shape(shape)
        self.dtype = _dt.as_dtype(dtype)
        self._value = value
        self._value_fn = value_fn
        self._shape_fn = shape_fn

    @property
    def value(self):
        if self._value_fn is not None:
            self._value, self._value_fn = self._value_fn(), None
        return self._value

    @property
    def shape_value(self):
        """What a 1-D shape tensor is known to hold when ``value`` is not: a partial
        TensorShape (``[tf.shape(x)[0], 2]`` holds ``(?, 2)``); None without a graph tensor."""
        return None if self._shape_fn is None else self._shape_fn()

    def __repr__(self):
        return f"TensorSpec({self.shape}, {self.dtype!r})"


@dataclass(eq=False)
class OpDef:
    """The single declaration of an op type. See the module docstring for ``inputs``."""

    type: str
    kernel: Callable[..., Any]
    infer: Callable[..., Sequence[TensorSpec]]
    grad: Callable[..., Sequence[Any]] | _NotDifferentiable
    inputs: Sequence[str] = ()
    attrs: dict = field(default_factory=dict)
    stateful: bool = False
    # The kernel's first argument, bound per op by the executor: "variable" (the op's Cell),
    # "rng" (its seeded numpy Generator), "name" (the node name, for errors that name it) or
    # "state" (a dict it keeps from run to run within a session, e.g. Print's count).
    resource: str | None = None
    # The gradient rule takes a sparse output gradient (IndexedSlices) as it is, as TF1's
    # Identity, Cast and ConcatV2 rules do; every other rule is handed it dense.
    sparse_grad: bool = False
    # TF1 control flow's dead values (see DEAD): "makes" for an op whose outputs may be dead
    # although its inputs are live (Switch), "takes" for one that runs with dead inputs and is
    # live when any input is (Merge). The executor never folds either.
    dead: str | None = None
    doc: str = ""

    def __post_init__(self):
        self.args = tuple(parse_arg(a) for a in self.inputs)
        self.attr_kinds = {k: attr_kind(v) for k, v in self.attrs.items()}
        self.attrs = {k: v.value if isinstance(v, kinded) else v for k, v in self.attrs.items()}
        self.attr_defaults = {k: v for k, v in self.attrs.items() if not isinstance(v, req)}
        for k, v in self.attr_defaults.items():  # float32, as coerce_attr gives
            if self.attr_kinds[k] == "float":
                self.attr_defaults[k] = self.attrs[k] = _float32(v)
            elif self.attr_kinds[k] == "list(float)":
                self.attr_defaults[k] = self.attrs[k] = [_float32(x) for x in v]
        derived = []
        for a in self.args:
            for n in (a.type_attr, a.number_attr, a.type_list_attr):
                if n and n not in derived and n not in self.attrs:
                    derived.append(n)
        self.derived_attrs = tuple(derived)
        self.ref_args = tuple(i for i, a in enumerate(self.args) if a.is_ref)

    @property
    def differentiable(self) -> bool:
        return not isinstance(self.grad, _NotDifferentiable)

    def __call__(self, *inputs, name=None, **attrs):
        """Adds this op to the default graph; returns its output Tensor(s) or the Operation."""
        from .graph import apply_op  # graph imports this module

        op = apply_op(self, inputs, attrs, name)
        outs = op.outputs
        if not outs:
            return op
        return outs[0] if len(outs) == 1 else list(outs)

    def __repr__(self):
        return f"OpDef({self.type})"


class _Dead:
    """The value of a tensor on the branch of a Switch that was not taken (TF's dead tensor).
    An op with a dead input (data or control) does not run and its outputs are dead, except a
    Merge, which forwards the live one; so the branch tf.cond did not take never runs."""

    __slots__ = ()

    def __repr__(self):
        return "<dead>"


DEAD = _Dead()


def identity_kernel(x, **_):
    """The kernel of pure forwarding ops (Identity, StopGradient...): the plan aliases their
    output to their input instead of running a step."""
    return x


_REGISTRY: dict[str, OpDef] = {}


def register(opdef: OpDef) -> OpDef:
    """Adds an OpDef to the registry; refuses incomplete declarations and duplicate types."""
    missing = [n for n in ("kernel", "infer") if not callable(getattr(opdef, n))]
    if not (callable(opdef.grad) or isinstance(opdef.grad, _NotDifferentiable)):
        missing.append("grad (a function, NOT_DIFFERENTIABLE or NO_GRADIENT)")
    # (TF's internal ops, such as _SwitchN, start with an underscore)
    if not opdef.type or not re.match(r"^_?[A-Z][A-Za-z0-9_]*$", opdef.type):
        missing.append("type (a TensorFlow op name)")
    if opdef.resource not in (None, "variable", "rng", "name", "state"):
        missing.append("resource (None, 'variable', 'rng', 'name' or 'state')")
    if missing:
        raise ValueError(f"OpDef {opdef.type!r} is incomplete: {', '.join(missing)}")
    if opdef.type in _REGISTRY:
        raise ValueError(f"OpDef {opdef.type!r} is already registered")
    _REGISTRY[opdef.type] = opdef
    return opdef


def lookup(op_type: str) -> OpDef | None:
    return _REGISTRY.get(op_type)


def registered() -> dict[str, OpDef]:
    """All registered OpDefs by type (a copy)."""
    return dict(_REGISTRY)


def shape_error(message: str) -> InvalidArgumentError:
    """The error ``infer`` raises; graph construction adds the op name and input shapes."""
    return InvalidArgumentError(None, None, message)
