"""The graph's sources and pass-throughs: Const, Placeholder, PlaceholderWithDefault, Identity,
StopGradient, PreventGradient and NoOp, with ``tf.group`` and ``tf.tuple`` built on the last two.

These ops compute nothing from their inputs (a value given at graph construction or at feed time,
or the input unchanged), and almost every other op module builds on ``constant`` or ``identity``,
so they sit apart from the shape ops (shape_ops) and the value generators (fill_ops). All three
are re-exported by array_ops, TF1's namespace for them.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, get_default_graph, to_numpy
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, identity_kernel, register, req
from ..tensor_shape import TensorShape, as_shape
from ._util import same_as, shape_error

__all__ = [
    "constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient",
    "no_op", "group",
]


# -- Const ---------------------------------------------------------------------------------------


def _const_infer(*, value, dtype):
    if _dt.from_numpy(value) != dtype and dtype is not _dt.string:
        raise shape_error(f"Const value has dtype {value.dtype}, attr dtype is {dtype.name}")
    return [TensorSpec(value.shape, dtype, value=value)]


CONST = register(OpDef(
    "Const", attrs={"value": req("tensor"), "dtype": req("type")},
    # A quantized value attr is TF's structured array; at run time it is its storage integers
    # (as TF's Session.run returns them).
    kernel=lambda *, value, dtype: value.view(dtype._np) if value.dtype.names else value,
    infer=_const_infer,
    grad=NOT_DIFFERENTIABLE,
))


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """``tf.constant``: a Const node; with ``shape``, a scalar or short list fills it (TF1)."""
    dtype = _dt.as_dtype(dtype) if dtype is not None else None
    arr = to_numpy(value, dtype)
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        n = int(np.prod(shape, dtype=np.int64))
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
            flat = arr.reshape(-1)
            if flat.size == n:
                arr = flat.reshape(shape)
            elif flat.size and flat.size < n:  # TF1 repeats the last value
                arr = np.concatenate([flat, np.repeat(flat[-1:], n - flat.size)]).reshape(shape)
            else:
                raise ValueError(f"Too many elements provided. Needed at most {n}, but received "
                                 f"{flat.size}")  # TF1's type and words (constant_op_test)
    if isinstance(value, np.ndarray) and np.may_share_memory(arr, value):
        arr = arr.copy()  # the graph keeps its own copy, as TF does; the caller's stays writable
    arr.flags.writeable = False
    return CONST(value=arr, dtype=_dt.from_numpy(arr) if dtype is None else dtype, name=name)


# -- Placeholders -------------------------------------------------------------------------------


def _placeholder_kernel(op_name, *, dtype, shape):
    # Runs only when the placeholder is needed and was not fed.
    msg = (f"You must feed a value for placeholder tensor '{op_name}' with dtype "
           f"{_dt.dtype_string(dtype)}")
    if shape.rank:  # TF omits the shape for scalars and unknown rank
        msg += f" and shape {shape.debug_string()}"
    raise InvalidArgumentError(None, None, msg)


PLACEHOLDER = register(OpDef(
    "Placeholder", attrs={"dtype": req("type"), "shape": TensorShape(None)},
    kernel=_placeholder_kernel, resource="name",
    infer=lambda *, dtype, shape: [TensorSpec(shape, dtype)],
    grad=NOT_DIFFERENTIABLE,
))


def placeholder(dtype, shape=None, name=None):
    """``tf.placeholder``: a value that must be fed (shape None = any shape)."""
    if dtype is None:
        raise TypeError("Expected DataType for argument 'dtype' not None.")
    return PLACEHOLDER(dtype=_dt.as_dtype(dtype), shape=as_shape(shape), name=name)


def _pwd_infer(inp, *, shape):
    if not inp.shape.is_compatible_with(shape):
        raise shape_error(f"default value of shape {inp.shape} is not compatible with shape "
                          f"{shape}")
    return [TensorSpec(shape, inp.dtype)]


PLACEHOLDER_WITH_DEFAULT = register(OpDef(
    "PlaceholderWithDefault", inputs=["input:dtype"],  # dtype: the default value's, derived
    attrs={"shape": req("shape")},
    kernel=lambda x, *, shape: x,
    infer=_pwd_infer,
    grad=lambda op, dy: [dy],
))


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TF's argument name
    x = convert_to_tensor(input)
    return PLACEHOLDER_WITH_DEFAULT(x, shape=as_shape(shape), name=name)


# -- Identity and friends -----------------------------------------------------------------------

IDENTITY = register(OpDef(
    "Identity", inputs=["input:T"],
    kernel=identity_kernel,
    infer=lambda x: same_as(x),
    grad=lambda op, dy: [dy],
    sparse_grad=True,  # a variable's read passes a gather's IndexedSlices on unchanged
))

STOP_GRADIENT = register(OpDef(
    "StopGradient", inputs=["input:T"],
    kernel=identity_kernel,
    infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))



def _prevent_gradient_grad(op, dy):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op._get_attr('message')}")


# Forwards its input; asking for its gradient raises (TF's guard on a fused op's gradient
# output, e.g. CTCLoss's: second derivatives are refused).
PREVENT_GRADIENT = register(OpDef(
    "PreventGradient", inputs=["input:T"], attrs={"message": ""},
    kernel=identity_kernel, infer=lambda x, *, message: same_as(x),
    grad=_prevent_gradient_grad,
))

NO_OP = register(OpDef(
    "NoOp",
    kernel=lambda: (),
    infer=lambda: [],
    grad=NOT_DIFFERENTIABLE,
))


def identity(input, name=None):  # noqa: A002
    """``input`` again; an IndexedSlices stays one (its values passed through Identity), and
    a SparseTensor too: as TF maps identity over its components, each gets an unnamed
    Identity ("Identity", "Identity_1", "Identity_2"; TF drops ``name``)."""
    from ..indexed_slices import IndexedSlices
    from ..sparse_tensor import SparseTensor

    if isinstance(input, IndexedSlices):
        return input._with_values(IDENTITY(input.values, name=name))
    if isinstance(input, SparseTensor):
        out = SparseTensor(IDENTITY(input.indices), IDENTITY(input.values),
                           IDENTITY(input.dense_shape))
        out.set_shape(input.shape)  # TF rebuilds it from the input's spec
        return out
    return IDENTITY(input, name=name)


def stop_gradient(input, name=None):  # noqa: A002
    return STOP_GRADIENT(input, name=name)


def no_op(name=None):
    return NO_OP(name=name)


def tuple_(tensors, name=None, control_inputs=None):
    """``tf.tuple``: the tensors again (None kept), each available only once all of them and
    ``control_inputs`` have been computed. As TF1 builds it: a ``group_deps`` NoOp on the
    producing ops, and behind it one ``control_dependency`` Identity per tensor, colocated with
    that tensor (an IndexedSlices gates its values; an Operation becomes a group behind the
    gate)."""
    from ..graph import Operation
    from ..indexed_slices import IndexedSlices

    tensors = [t if t is None or isinstance(t, Operation) or hasattr(t, "op") else
               convert_to_tensor(t) for t in tensors]
    gating = [t if isinstance(t, Operation) else t.op for t in tensors if t is not None]
    for c in control_inputs or ():
        gating.append(getattr(c, "op", c))
    if not gating:
        raise ValueError("Must have at least one Tensor: []")
    gating = sorted(set(gating), key=lambda op: op._id)
    graph = gating[0].graph
    with graph.as_default(), graph.name_scope(name or "tuple"):
        gate = group(*gating)
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
            elif isinstance(t, Operation):
                with graph.control_dependencies([gate]):
                    out.append(group(t))
            else:  # TF1's with_dependencies: the Identity runs where its input is
                with graph.colocate_with(t.values if isinstance(t, IndexedSlices) else t), \
                        graph.control_dependencies([gate]):
                    out.append(identity(t, name="control_dependency"))
        return out


def group(*inputs, name=None):
    """A NoOp that runs after all ``inputs``: ops, tensors or variables in any nesting of
    lists, tuples and dicts (TF flattens them, so ``group([train_op, update_ops])`` works).
    Placed as TF1 places it: inputs all on one device give a NoOp on that device (merged into
    the device scopes around); inputs on several devices give one ``NoOp`` per device (sorted
    by device string, named in the group's scope) and the group's NoOp runs after those."""
    from ..graph import Operation
    from ..nest_util import flatten

    on_device: dict = {}  # device -> its input ops, in the order given
    for x in flatten(list(inputs)):
        conv = getattr(x, "_as_graph_element", None)
        y = conv() if conv is not None else x
        y = getattr(y, "op", y)
        if not isinstance(y, Operation):
            raise TypeError(f"'inputs' should be zero or more (nested) Tensors. Received "
                            f"'{x}' with type '{type(x)}'.")
        on_device.setdefault(y.device, []).append(y)
    g = next(iter(on_device.values()))[0].graph if on_device else get_default_graph()
    with g.as_default(), g.name_scope(name or "group_deps") as scope:
        if not on_device:
            return NO_OP(name=scope)
        if len(on_device) == 1:
            ((device, ops),) = on_device.items()
            return _group_on_device(g, device, ops, scope)
        deps = [_group_on_device(g, device, on_device[device], "NoOp")
                for device in sorted(on_device)]
        with g.control_dependencies(deps):
            return NO_OP(name=scope)


def _group_on_device(graph, device, ops, name):
    """TF1's _GroupControlDeps: a NoOp after ``ops``, on ``device`` ("" keeps the scopes')."""
    with graph.control_dependencies(ops), graph.device(device):
        return NO_OP(name=name)
