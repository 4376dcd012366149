"""Variable storage (VariableV2) and its in-place updates (Assign, AssignAdd, AssignSub and the
row-wise Scatter{Update,Add,Sub,Mul,Div,Max,Min} and the index-tuple ScatterNd{Update,Add}).

A VariableV2's kernel receives the session's ``Cell`` for it; ref arguments (``Ref(T)``) of the
update ops are bound to the same Cell by the executor, so updates write the variable's buffer
in place and reads hand out a read-only view of it.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _check_dtype

__all__ = ["assign", "assign_add", "assign_sub", "is_variable_initialized", "scatter_add",
           "scatter_div", "scatter_max", "scatter_min", "scatter_mul", "scatter_nd_add",
           "scatter_nd_update", "scatter_sub", "scatter_update"]


VARIABLE_V2 = register(OpDef(
    "VariableV2", attrs={"shape": req("shape"), "dtype": req("type"), "container": "",
                         "shared_name": ""},
    kernel=lambda cell, *, shape, dtype, container, shared_name: cell.get(),
    infer=lambda *, shape, dtype, container, shared_name: [TensorSpec(shape, dtype)],
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="variable",
    doc="Holds a variable's value across runs; reading an uninitialized one fails.",
))


def _assign_kernel(cell, value, *, validate_shape, use_locking):
    value = np.asarray(value)
    if validate_shape and cell.value is not None and cell.value.shape != value.shape:
        raise InvalidArgumentError(
            None, None, f"Assign requires shapes of both tensors to match. lhs shape= "
            f"{list(cell.value.shape)} rhs shape= {list(value.shape)}")
    if cell.value is not None and cell.value.shape == value.shape and \
            cell.value.dtype == value.dtype:
        np.copyto(cell.value, value)  # in place: keeps the buffer others may view
    else:
        cell.set(np.array(value, copy=True))
    return cell.read


def _merge_equal(ref: TensorShape, value: TensorShape) -> TensorShape:
    """TF's shape function of Assign (validate_shape), AssignAdd and AssignSub: the variable's
    and the value's shapes merged, with its messages (no broadcasting)."""
    from .logic_ops import _merge_equal as merge

    return merge(ref, value)


def _assign_infer(ref, value, *, validate_shape, use_locking):
    if not validate_shape:
        return [TensorSpec(value.shape, ref.dtype)]
    return [TensorSpec(_merge_equal(ref.shape, value.shape), ref.dtype)]


ASSIGN = register(OpDef(
    "Assign", inputs=["ref:Ref(T)", "value:T"],
    attrs={"validate_shape": True, "use_locking": True},
    kernel=_assign_kernel, infer=_assign_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
))


def _in_place(ufunc, name):
    def kernel(cell, value, *, use_locking):
        cur = cell.value
        if cur is None:
            cell.get()  # raises FailedPreconditionError naming the variable
        if np.shape(value) != cur.shape:  # TF's DenseUpdate: no broadcasting, even of a scalar
            raise InvalidArgumentError(None, None,
                                       "Parameters and update must be the same size")
        ufunc(cur, value, out=cur, casting="same_kind")
        return cell.read
    return kernel


def _update_infer(ref, value, *, use_locking):
    _merge_equal(ref.shape, value.shape)
    return [TensorSpec(ref.shape, ref.dtype)]


ASSIGN_ADD = register(OpDef(
    "AssignAdd", inputs=["ref:Ref(T)", "value:T"], attrs={"use_locking": False},
    kernel=_in_place(np.add, "AssignAdd"), infer=_update_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,
))
ASSIGN_SUB = register(OpDef(
    "AssignSub", inputs=["ref:Ref(T)", "value:T"], attrs={"use_locking": False},
    kernel=_in_place(np.subtract, "AssignSub"), infer=_update_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,
))

IS_VARIABLE_INITIALIZED = register(OpDef(
    "IsVariableInitialized", inputs=["ref:Ref(dtype)"],  # dtype: the variable's, derived
    kernel=lambda cell: np.array(cell.initialized()),
    infer=lambda ref: [TensorSpec(TensorShape([]), _dt.bool)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))


def _not_a_ref(ref) -> bool:
    """Anything but a variable, its storage or an update's result (TF1's Assign, Scatter...
    output is a reference to the same variable: see apply_op._forwards_ref). TF 1.x's state_ops
    hands anything else to its own ``assign*`` method (a partitioned variable updates each
    part; a plain Tensor gives the error users know, "'Tensor' object has no attribute
    'assign'"). A resource variable is
    updated here as a reference one (TF hands it to its methods): the result is the update's
    output, whose op is the update, as the op of TF's result is (library code takes ``.op``),
    and a distribution strategy's variable keeps the update TF 1.x's reference ops give it."""
    from ..apply_op import _is_reference
    from ..tensor import Tensor

    if isinstance(ref, Tensor):
        return not _is_reference(ref)
    return not hasattr(ref, "_ref")


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    if _not_a_ref(ref):
        return ref.assign(value, name=name)
    return ASSIGN(ref, value, validate_shape=True if validate_shape is None else validate_shape,
                  use_locking=True if use_locking is None else use_locking,
                  name=name or "Assign")


def assign_add(ref, value, use_locking=None, name=None):
    if _not_a_ref(ref):
        return ref.assign_add(value)
    return ASSIGN_ADD(ref, value, use_locking=bool(use_locking), name=name or "AssignAdd")


def assign_sub(ref, value, use_locking=None, name=None):
    if _not_a_ref(ref):
        return ref.assign_sub(value)
    return ASSIGN_SUB(ref, value, use_locking=bool(use_locking), name=name or "AssignSub")


def is_variable_initialized(variable, name=None):
    # Colocated with the variable, as TF colocates an op with its reference input.
    graph = getattr(variable, "graph", None)
    if graph is None:
        return IS_VARIABLE_INITIALIZED(variable, name=name)  # dtype derived from the variable
    with graph.colocate_with(variable):
        return IS_VARIABLE_INITIALIZED(variable, name=name)


# -- Scatter*: updates of the rows ``indices`` of a variable -------------------------------------
def _scatter_infer(ref, indices, updates, *, use_locking):
    _check_dtype(indices, ("int32", "int64"), "indices")
    want = indices.shape.concatenate(ref.shape[1:]) if ref.shape.rank else TensorShape(None)
    if updates.shape.rank != 0 and not updates.shape.is_compatible_with(want):
        raise shape_error(f"Shapes must be equal: updates has shape {updates.shape}, but "
                          f"indices.shape + params.shape[1:] is {want}")
    return [TensorSpec(ref.shape, ref.dtype)]


def _scatter(name: str, apply):
    """The kernel of a Scatter op: ``apply(var, indices, updates)`` changes ``var`` in place;
    repeated indices all apply (Add, Sub...) or one of them wins (Update)."""
    def kernel(cell, indices, updates, *, use_locking):
        var = cell.value
        if var is None:
            cell.get()  # raises FailedPreconditionError naming the variable
        idx, upd = np.asarray(indices), np.asarray(updates)
        if var.ndim == 0:
            raise InvalidArgumentError(None, None, f"{name}: params must be at least 1-D, "
                                       "got shape []")
        want = idx.shape + var.shape[1:]
        if upd.shape != want and upd.ndim != 0:
            raise InvalidArgumentError(
                None, None, f"{name}: Must have updates.shape = indices.shape + "
                f"params.shape[1:] or updates.shape = [], got updates.shape "
                f"{list(upd.shape)}, indices.shape {list(idx.shape)}, params.shape "
                f"{list(var.shape)}")
        n = var.shape[0]
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            where = "[" + ",".join(map(str, pos)) + "]" if pos else ""
            raise InvalidArgumentError(None, None, f"indices{where} = {idx[pos]} is not in "
                                       f"[0, {n})")
        apply(var, idx, upd.astype(var.dtype, copy=False))
        return cell.read
    return kernel


def _divide_at(var, idx, upd):
    if var.dtype.kind in "fc":
        np.divide.at(var, idx, upd)
        return
    # Integers: C's division (toward zero), one index at a time as repeats must apply in turn.
    upd = np.broadcast_to(upd, idx.shape + var.shape[1:])
    for i, u in zip(idx.reshape(-1), upd.reshape((-1,) + var.shape[1:])):
        if np.any(u == 0):
            raise InvalidArgumentError(None, None, "ScatterDiv: integer division by zero")
        q = np.abs(var[i]) // np.abs(u)
        var[i] = np.where((var[i] < 0) != (u < 0), -q, q)


def _set_rows(var, idx, upd):
    var[idx] = upd


def _scatter_op(op_type, apply, locking, make_kernel=None, infer=None):
    """A Scatter* (or, given its kernel maker and inference, ScatterNd*) update op."""
    attrs = {"use_locking": locking}
    if make_kernel is not None:  # the ScatterNd* forms (their own kernel), as TF's
        attrs["bad_indices_policy"] = ""
    return register(OpDef(
        op_type, inputs=["ref:Ref(T)", "indices:Tindices", "updates:T"],
        attrs=attrs, kernel=(make_kernel or _scatter)(op_type, apply),
        infer=infer or _scatter_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    ))


SCATTER_UPDATE = _scatter_op("ScatterUpdate", _set_rows, True)
SCATTER_ADD = _scatter_op("ScatterAdd", np.add.at, False)
SCATTER_SUB = _scatter_op("ScatterSub", np.subtract.at, False)
SCATTER_MUL = _scatter_op("ScatterMul", np.multiply.at, False)
SCATTER_DIV = _scatter_op("ScatterDiv", _divide_at, False)
SCATTER_MAX = _scatter_op("ScatterMax", np.maximum.at, False)
SCATTER_MIN = _scatter_op("ScatterMin", np.minimum.at, False)


def _scatter_fn(opdef, locking):
    def fn(ref, indices, updates, use_locking=locking, name=None):
        return opdef(ref, indices, updates, use_locking=bool(use_locking),
                     name=name or opdef.type)
    fn.__name__ = fn.__qualname__ = "scatter_" + opdef.type[len("Scatter"):].lower()
    fn.__doc__ = (f"TF1's ``tf.{fn.__name__}``: {opdef.type} on the rows ``indices`` of the "
                  "variable ``ref``; returns its value after the update.")
    return fn


scatter_update = _scatter_fn(SCATTER_UPDATE, True)
scatter_add = _scatter_fn(SCATTER_ADD, False)
scatter_sub = _scatter_fn(SCATTER_SUB, False)
scatter_mul = _scatter_fn(SCATTER_MUL, False)
scatter_div = _scatter_fn(SCATTER_DIV, False)
scatter_max = _scatter_fn(SCATTER_MAX, False)
scatter_min = _scatter_fn(SCATTER_MIN, False)


# -- ScatterNd{Update,Add}: updates of slices of a variable at index tuples ------------------------


def _scatter_nd_infer(ref, indices, updates, *, use_locking, bad_indices_policy):
    from .tensor_scatter_ops import scatter_nd_infer

    return scatter_nd_infer(ref, indices, updates)


def _scatter_nd(name: str, apply):
    def kernel(cell, indices, updates, *, use_locking, bad_indices_policy):
        from .tensor_scatter_ops import nd_update_rows

        var = cell.value
        if var is None:
            cell.get()  # raises FailedPreconditionError naming the variable
        rows, n, size, upd = nd_update_rows(name, var.shape, indices, updates,
                                            bad_indices_policy)
        flat = var.reshape(n, size)
        apply(flat, rows, upd.astype(var.dtype, copy=False))
        if not np.shares_memory(flat, var):  # reshape copied: write back into the buffer
            var[...] = flat.reshape(var.shape)
        return cell.read
    return kernel


SCATTER_ND_UPDATE = _scatter_op("ScatterNdUpdate", _set_rows, True, _scatter_nd,
                                _scatter_nd_infer)
SCATTER_ND_ADD = _scatter_op("ScatterNdAdd", np.add.at, False, _scatter_nd, _scatter_nd_infer)


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """TF1's ``tf.scatter_nd_update``: the slices of the variable ``ref`` at the index tuples
    ``indices`` set to ``updates``; returns its value after the update."""
    return SCATTER_ND_UPDATE(ref, indices, updates, use_locking=bool(use_locking),
                             name=name or "ScatterNdUpdate")


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """TF1's ``tf.scatter_nd_add``: ``updates`` added to the variable's slices at ``indices``
    (repeats add up); returns its value after the update."""
    return SCATTER_ND_ADD(ref, indices, updates, use_locking=bool(use_locking),
                          name=name or "ScatterNdAdd")


# -- StridedSliceAssign: ``variable[spec].assign(value)`` ----------------------------------------
def _ss_assign_kernel(cell, begin, end, strides, value, *, begin_mask, end_mask, ellipsis_mask,
                      new_axis_mask, shrink_axis_mask):
    from .slicing_ops import _plan_for, _shape_str

    cur = cell.value
    if cur is None:
        cell.get()  # raises FailedPreconditionError naming the variable
    masks = (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    _, index, want, region = _plan_for(cur.shape, begin, end, strides, masks)
    value = np.asarray(value)
    if not np.prod(want, dtype=np.int64):  # an empty slice: TF checks (and writes) nothing
        return cell.read
    if value.shape != want:
        shape = _assign_bcast_shape(value.shape, want)
        if shape is None:
            raise InvalidArgumentError(None, None, f"Cannot broadcast input shape "
                                       f"{_shape_str(value.shape)} into final shape "
                                       f"{_shape_str(want)}")
        value = np.broadcast_to(value.reshape(shape), want)
    cur[index] = value.reshape(region)  # in place: the variable's buffer
    return cell.read


def _assign_bcast_shape(value_shape, final) -> tuple | None:
    """TF's StridedSliceAssignBCast: the value's shape brought to the rank of the slice (ones
    prepended, or leading ones dropped) if it then broadcasts to it; None if it does not."""
    extra = len(value_shape) - len(final)
    if extra > 0:
        if any(d != 1 for d in value_shape[:extra]):
            return None
        value_shape = value_shape[extra:]
    shape = (1,) * (len(final) - len(value_shape)) + tuple(value_shape)
    return shape if all(v in (f, 1) for v, f in zip(shape, final)) else None


def _ss_assign_infer(ref, begin, end, strides, value, **masks):
    # TF's shape function is UnchangedShape: a value that does not fit the slice fails when
    # the op runs (the kernel), never at graph construction.
    return [TensorSpec(ref.shape, ref.dtype)]


STRIDED_SLICE_ASSIGN = register(OpDef(
    "StridedSliceAssign", inputs=["ref:Ref(T)", "begin:Index=int32", "end:Index=int32",
                                  "strides:Index=int32", "value:T"],
    attrs={"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0,
           "shrink_axis_mask": 0},
    kernel=_ss_assign_kernel, infer=_ss_assign_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="ref[begin:end:strides] = value (StridedSlice's masks); the variable's new value.",
))
