"""TF1's remaining checks (``tf.assert_rank`` and its kin, ``assert_type``, ``assert_scalar``,
``assert_integer``, ``assert_near``, ``assert_none_equal``, ``assert_proper_iterable``,
``assert_same_float_dtype``, ``is_numeric_tensor``) and the numerics helpers
(``verify_tensor_all_finite``, ``add_check_numerics_ops``, ``assert_variables_initialized``).

As in TF1, whatever is known at graph construction is checked there (ValueError or TypeError at
once, and a NoOp when the check passed); the rest becomes an Assert op that fails its run with
InvalidArgumentError, its message made of ``data``."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, constant_value, control_dependencies, convert_to_tensor, \
    get_default_graph, name_scope
from .ops import array_ops, logic_ops, math_ops, reduction_ops, unary_ops
from .ops.concat_split_ops import stack
from .ops.logging_ops import Assert
from .sparse_tensor import SparseTensor

__all__ = ["add_check_numerics_ops", "assert_integer", "assert_near", "assert_none_equal",
           "assert_proper_iterable", "assert_rank", "assert_rank_at_least", "assert_rank_in",
           "assert_same_float_dtype", "assert_scalar", "assert_type",
           "assert_variables_initialized", "is_numeric_tensor", "verify_tensor_all_finite"]


def _prefix(message):
    return f"{message}.  " if message else ""


def _shown(dtype):
    return f"<dtype: '{dtype.name}'>"  # as TF's messages print a dtype


def _rank_check(x, ranks, label, name, default_name, data, summarize, message, static_ok,
                dynamic):
    """The body of assert_rank, _at_least and _in. ``ranks`` are int32 tensors; ``label`` says
    what is wanted ("rank", "rank at least", "rank in"); ``static_ok(rank, wanted)`` decides at
    construction, ``dynamic(rank_tensor, ranks)`` builds the runtime condition."""
    with name_scope(name, default_name, [x] + list(ranks)):
        x = x if isinstance(x, SparseTensor) else convert_to_tensor(x, name="x")
        shown = "" if isinstance(x, SparseTensor) else x.name
        values = [constant_value(r) for r in ranks]
        for r, v in zip(ranks, values):
            if v is not None and np.ndim(v) != 0:
                raise ValueError(f"Rank must be a scalar, got {r.name} of shape {np.shape(v)}")
        static = x.shape.rank
        if static is not None and None not in values:
            wanted = [int(v) for v in values]
            if not static_ok(static, wanted):
                told = wanted[0] if label != "rank in" else tuple(wanted)
                raise ValueError(f"{_prefix(message)}Tensor {shown} must have {label} {told}.  "
                                 f"Received rank {static}, shape {x.shape}")
            # Passed at construction: still an op to depend on, as TF1 gives.
            return array_ops.no_op(name="static_checks_determined_all_ok")
        sparse = isinstance(x, SparseTensor)
        actual = array_ops.size(x.dense_shape) if sparse else array_ops.rank(x)
        if data is None:
            data = [_prefix(message), f"Tensor {shown} must have {label}", *ranks,
                    "Received shape: ", x.dense_shape if sparse else array_ops.shape(x)]
        return Assert(dynamic(actual, ranks), data, summarize=summarize)


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that ``x`` has rank ``rank``."""
    return _rank_check(x, [convert_to_tensor(rank, dtype=_dt.int32, name="rank")], "rank",
                       name, "assert_rank", data, summarize, message,
                       lambda a, w: a == w[0], lambda a, rs: logic_ops.equal(a, rs[0]))


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that ``x`` has rank ``rank`` or more."""
    return _rank_check(x, [convert_to_tensor(rank, dtype=_dt.int32, name="rank")],
                       "rank at least", name, "assert_rank_at_least", data, summarize, message,
                       lambda a, w: a >= w[0], lambda a, rs: logic_ops.greater_equal(a, rs[0]))


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """Checks that the rank of ``x`` is one of ``ranks``."""
    rank_ts = [convert_to_tensor(r, dtype=_dt.int32, name="ranks") for r in ranks]

    def any_equal(actual, rs):
        return reduction_ops.reduce_any(stack([logic_ops.equal(actual, r) for r in rs]))
    return _rank_check(x, rank_ts, "rank in", name, "assert_rank_in", data, summarize, message,
                       lambda a, w: a in w, any_equal)


def assert_type(tensor, tf_type, message=None, name=None):
    """TypeError at once unless ``tensor``'s dtype is ``tf_type``; else a NoOp."""
    tf_type = _dt.as_dtype(tf_type)
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError(f"{_prefix(message)}{tensor.name} must be of type {tf_type!r}; "
                            f"got {tensor.dtype!r}")
        return array_ops.no_op(name="statically_determined_correct_type")


def assert_integer(x, message=None, name=None):
    """TypeError at once unless ``x`` has an integer dtype; else a NoOp."""
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(f'{_prefix(message)}Expected "x" to be integer type.  Found: '
                            f"{x.name} of dtype {_shown(x.dtype)}")
        return array_ops.no_op(name="statically_determined_was_integer")


def assert_scalar(tensor, name=None, message=None):
    """``tensor`` itself when its static shape is a scalar's; ValueError otherwise."""
    with name_scope(name, "assert_scalar", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.shape.rank != 0:
            raise ValueError(f"{_prefix(message)}Expected scalar shape for {tensor.name}, saw "
                             f"shape: {tensor.shape}.")
        return tensor


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """Fails the run unless ``|x - y| <= atol + rtol * |y|`` element-wise (both tolerances
    10 epsilons of the dtype by default)."""
    with name_scope(name, "assert_near", [x, y, rtol, atol]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        eps = np.finfo(x.dtype.as_numpy_dtype).eps
        rtol = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol",
                                 dtype=x.dtype)
        atol = convert_to_tensor(10 * eps if atol is None else atol, name="atol",
                                 dtype=x.dtype)
        if data is None:
            data = [_prefix(message), "x and y not equal to tolerance rtol = ", rtol,
                    ", atol = ", atol, f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        close = logic_ops.less_equal(unary_ops.abs(math_ops.subtract(x, y)),
                                     math_ops.add(atol, math_ops.multiply(rtol,
                                                                          unary_ops.abs(y))))
        return Assert(reduction_ops.reduce_all(close), data, summarize=summarize)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Fails the run if any element of ``x`` equals the matching one of ``y``."""
    with name_scope(name, "assert_none_equal", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        if data is None:
            data = [_prefix(message), "Condition x != y did not hold for every single element:",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        return Assert(reduction_ops.reduce_all(logic_ops.not_equal(x, y)), data,
                      summarize=summarize)


def assert_proper_iterable(values):
    """TypeError unless ``values`` is an iterable of items (not a tensor, array or string)."""
    if isinstance(values, (Tensor, SparseTensor, np.ndarray, str, bytes)) or \
            not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be a "proper" iterable.  Found: '
                        f"{type(values)}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """The one floating dtype of ``tensors`` (and ``dtype``), float32 if none; ValueError if
    they differ or it is not floating."""
    first = None
    for t in tensors or []:
        if first is None:
            first = t
        elif t.dtype != first.dtype:
            raise ValueError(f"{t.name}, type={_shown(t.dtype)}, must be of the same type "
                             f"({_shown(first.dtype)}) as {first.name}.")
    found = first.dtype if first is not None else None
    if dtype is not None:
        dtype = _dt.as_dtype(dtype)
        if found is not None and found != dtype:
            raise ValueError(f"{first.name}, type={_shown(found)}, must be of the same type "
                             f"({_shown(dtype)}).")
        found = dtype
    found = found or _dt.float32
    if not found.is_floating:
        raise ValueError(f"Expected floating point type, got {_shown(found)}.")
    return found


def is_numeric_tensor(tensor):
    """True for a tensor of a number type (not bool, string or resource)."""
    return isinstance(tensor, Tensor) and (tensor.dtype.is_floating or tensor.dtype.is_integer
                                           or tensor.dtype.is_complex)


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """``t`` passed through once CheckNumerics found no NaN or Inf in it."""
    t, msg = (x if t is None else t), (message if msg is None else msg)
    with name_scope(name, "VerifyFinite", [t]) as scope:
        t = convert_to_tensor(t, name="t")
        with control_dependencies([logic_ops.check_numerics(t, message=msg)]):
            return array_ops.identity(t, name=scope)


def add_check_numerics_ops():
    """One op that runs CheckNumerics on every floating output of every op in the default
    graph (chained, as TF1 chains them); not for graphs with conds or while loops."""
    graph = get_default_graph()
    check = []
    inside = [op for op in graph.get_operations() if op in graph._control_flow_ops]
    if inside:  # ops made in a tf.cond branch or a tf.while_loop
        raise ValueError("tf.add_check_numerics_ops() is not compatible with TensorFlow "
                         "control flow operations such as tf.cond() or tf.while_loop(): "
                         f"op '{inside[0].name}' is inside one")
    for op in graph.get_operations():
        for out in op.outputs:
            if out.dtype in (_dt.float16, _dt.float32, _dt.float64):
                with control_dependencies(check):
                    check = [logic_ops.check_numerics(out, message=f"{op.name}:{out.value_index}")]
    return array_ops.group(*check)


def assert_variables_initialized(var_list=None):
    """An op whose run fails with FailedPreconditionError if a variable of ``var_list`` (every
    global and local variable) is uninitialized; None without variables."""
    from .variables import global_variables, local_variables

    var_list = global_variables() + local_variables() if var_list is None else list(var_list)
    if not var_list:
        return None
    # The reads, not the ranks (known statically, so never computed), meet an uninitialized
    # variable; a Reshape reads (an Identity of a variable would only alias it).
    with name_scope(None, "assert_variables_initialized"):
        with control_dependencies([array_ops.reshape(v.value(), [-1]) for v in var_list]):
            ranks = [array_ops.identity(array_ops.rank(v.value())) for v in var_list]
        return ranks[0] if len(ranks) == 1 else stack(ranks)
