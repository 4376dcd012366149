"""Print and Assert: TF1's ``tf.Print``, an identity that writes a message and some tensors'
values to stderr each time it runs, and ``tf.Assert`` with the ``tf.assert_*`` checks built on
it, which fail the run with InvalidArgumentError when their condition is false."""

from __future__ import annotations

import sys
import threading

import numpy as np

from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ..string_extra import element_text

__all__ = ["Assert", "Print", "assert_equal", "assert_greater", "assert_greater_equal",
           "assert_less", "assert_less_equal", "assert_negative", "assert_non_negative",
           "assert_non_positive", "assert_positive"]

_count_lock = threading.Lock()  # the per-session count of a Print run by several threads


def _summarize(value, limit: int) -> str:
    """TF's legacy Tensor::SummarizeValue: at most ``limit`` elements (all if negative), rows
    of a matrix bracketed, ``...`` where elements were left out (``[1 2][3...]...``); each
    element as PrintOneElement(print_v2=false) writes it (float32 "%.6g", else "%.9g" when
    that does not read back; float64 "%.15g"/"%.17g"; strings C-escaped, unquoted)."""
    arr = np.asarray(value)
    flat = arr.reshape(-1)
    limit = flat.size if limit < 0 else min(limit, flat.size)

    def _scalar(x) -> str:
        return element_text(x, arr.dtype, print_v2=False)

    if arr.ndim <= 1:
        text = " ".join(_scalar(x) for x in flat[:limit])
        return text + ("..." if limit < flat.size else "")
    out, index = [], [0]

    def one_dim(dim):  # TF's PrintOneDim, element for element
        if index[0] >= limit:
            return
        if dim == arr.ndim - 1:
            for i in range(arr.shape[dim]):
                if index[0] >= limit:
                    out.append("...")
                    return
                if i:
                    out.append(" ")
                out.append(_scalar(flat[index[0]]))
                index[0] += 1
            return
        for _ in range(arr.shape[dim]):
            opened = index[0] < limit
            if opened:
                out.append("[")
            one_dim(dim + 1)
            if index[0] < limit or opened:
                out.append("]")
    one_dim(0)
    return "".join(out) + ("..." if limit < flat.size else "")


def _print_kernel(state, value, data, *, message, first_n, summarize):
    with _count_lock:  # first_n counts this op's prints in this session, as TF's kernel does
        count = state.get("printed", 0)
        if first_n >= 0 and count >= first_n:
            return value
        state["printed"] = count + 1
    sys.stderr.write(message + "".join(f"[{_summarize(d, summarize)}]" for d in data) + "\n")
    sys.stderr.flush()
    return value


PRINT = register(OpDef(
    "Print", inputs=["input:T", "data:list(U)"],
    attrs={"message": "", "first_n": -1, "summarize": 3},
    kernel=_print_kernel, resource="state",
    infer=lambda x, data, **a: [TensorSpec(x.shape, x.dtype)],
    grad=lambda op, dy: [dy] + [None] * (len(op.inputs) - 1),
    stateful=True,  # it writes: never folded or skipped
    doc="input, after writing message and the data tensors' values to stderr",
))


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """``tf.Print``: ``input_`` again; each run writes ``message`` and the values of ``data``
    (at most ``summarize`` elements each, 3 by default) to stderr, the first ``first_n`` runs
    only if given."""
    return PRINT(input_, list(data), message=message or "",
                 first_n=-1 if first_n is None else first_n,
                 summarize=3 if summarize is None else summarize, name=name or "Print")


# -- Assert ---------------------------------------------------------------------------------------
def _assert_kernel(condition, data, *, summarize):
    if not np.all(condition):
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, "assertion failed: " + " ".join(
            f"[{_summarize(d, summarize)}]" for d in data))
    return ()


ASSERT = register(OpDef(
    "Assert", inputs=["condition:bool", "data:list(T)"], attrs={"summarize": 3},
    kernel=_assert_kernel, infer=lambda condition, data, **a: [],
    grad=NOT_DIFFERENTIABLE,
    stateful=True,  # its effect is the failure: never folded or skipped
    doc="fails the run with InvalidArgumentError naming data when condition is false",
))


def Assert(condition, data, summarize=None, name=None):  # noqa: N802
    """``tf.Assert``: an op that fails its run when ``condition`` (a bool scalar) is false,
    the message made of ``data``'s values; run it, or depend on it."""
    return ASSERT(condition, list(data), summarize=3 if summarize is None else summarize,
                  name=name or "Assert")


def _binary_assert(symbol, compare, x, y, data, summarize, message, name, default_name):
    """TF1's assert_<comparison>: x <symbol> y element-wise, an Assert op; known to fail at
    graph construction, it raises at once (as TF1's static check). The comparison op is built
    first, as TF1 does: shapes that cannot broadcast fail there (ValueError, "Dimensions must be
    equal ..."), constants or not."""
    from ..errors import InvalidArgumentError
    from ..graph import constant_value, convert_to_tensor, name_scope
    from . import logic_ops, reduction_ops

    with name_scope(name, default_name, [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        if data is None:
            data = [f"Condition x {symbol} y did not hold element-wise:", f"x ({x.name}) = ", x,
                    f"y ({y.name}) = ", y]
        if message is not None:  # first, whether data was given or not (TF1)
            data = [message] + list(data)
        ops = {"==": logic_ops.equal, "<": logic_ops.less, "<=": logic_ops.less_equal,
               ">": logic_ops.greater, ">=": logic_ops.greater_equal}
        condition = reduction_ops.reduce_all(ops[symbol](x, y))
        xv, yv = constant_value(x), constant_value(y)
        if xv is not None and yv is not None and not np.all(compare(xv, yv)):
            raise InvalidArgumentError(None, None, "\n".join(_static_text(d) for d in data))
        return Assert(condition, data, summarize=summarize)


def _static_text(item) -> str:
    """A data item in a failure found at graph construction: TF's str() of a constant value,
    the tensor itself when its value is not known."""
    from ..graph import Tensor, constant_value

    if not isinstance(item, Tensor):
        return str(item)
    value = constant_value(item)
    return str(value) if value is not None else repr(item)


def _binary(symbol, compare, default_name):
    def check(x, y, data=None, summarize=None, message=None, name=None):
        return _binary_assert(symbol, compare, x, y, data, summarize, message, name,
                              default_name)
    check.__name__ = default_name
    check.__doc__ = f"Fails the run unless x {symbol} y element-wise (TF1's {default_name})."
    return check


assert_equal = _binary("==", np.equal, "assert_equal")
assert_less = _binary("<", np.less, "assert_less")
assert_less_equal = _binary("<=", np.less_equal, "assert_less_equal")
assert_greater = _binary(">", np.greater, "assert_greater")
assert_greater_equal = _binary(">=", np.greater_equal, "assert_greater_equal")


def _against_zero(symbol, compare, default_name, zero_first, shown):
    def check(x, data=None, summarize=None, message=None, name=None):
        from ..graph import convert_to_tensor, name_scope

        with name_scope(name, default_name, [x]):
            x = convert_to_tensor(x, name="x")
            if data is None:  # TF1's: the message (with its ".  ") only in the default data
                data = [f"{message}.  " if message else "",
                        f"Condition x {shown} 0 did not hold element-wise:", f"x ({x.name}) = ", x]
            zero = np.zeros([], x.dtype.as_numpy_dtype)
            a, b = (zero, x) if zero_first else (x, zero)
            return _binary_assert(symbol, compare, a, b, data, summarize, None, None,
                                  "assert_less" if symbol == "<" else "assert_less_equal")
    check.__name__ = default_name
    check.__doc__ = f"Fails the run unless x {shown} 0 element-wise (TF1's {default_name})."
    return check


assert_positive = _against_zero("<", np.less, "assert_positive", True, ">")
assert_negative = _against_zero("<", np.less, "assert_negative", False, "<")
assert_non_negative = _against_zero("<=", np.less_equal, "assert_non_negative", True, ">=")
assert_non_positive = _against_zero("<=", np.less_equal, "assert_non_positive", False, "<=")
