"""Static float-operation counts per op type, as TensorFlow's profiler computes them.

TensorFlow registers one "flops" statistic per op type in Python
(``tensorflow/python/profiler/internal/flops_registry.py`` and ``python/ops/nn_ops.py``) and
``tfprof_logger`` evaluates it for every op of the graph before handing the graph to the C++
analyser. The numbers below follow those rules exactly, including their simplifications (a
BiasAdd costs one flop per input element, MatMul ``2*k`` per output element, pooling the kernel
area per output element...). Every rule needs fully defined static shapes: a rule that meets an
unknown dimension raises ``ValueError`` and the op is counted as "no flops stats due to
incomplete shapes", as in TensorFlow. Op types without a rule cost 0.

``logged_ops`` is ``tfprof_logger._get_logged_ops`` / ``merge_default_with_oplog``: the per-op
float_ops and extra ``types`` (``_trainable_variables``) handed to the views.
"""

from __future__ import annotations

import math
import sys

from .graph import GraphKeys

__all__ = ["IMPLEMENTED_OPS", "TRAINABLE_VARIABLES", "float_ops", "logged_ops"]

TRAINABLE_VARIABLES = "_trainable_variables"


def _shape(tensor):
    shape = tensor.shape
    shape.assert_is_fully_defined()  # ValueError: TF skips the op
    return shape.as_list()


def _count(dims) -> int:
    return math.prod(dims)


def _in(op, i=0):
    return _shape(op.inputs[i])  # NodeDef.input[i]: data inputs come before "^control" ones


def _out(op):
    return _shape(op.outputs[0])


def _unary(per_element=1):
    return lambda op: _count(_in(op)) * per_element


def _binary(per_element=1):
    return lambda op: _count(_out(op)) * per_element


def _reduction(reduce_flops=1, finalize_flops=0):
    def rule(op):
        return (_count(_in(op)) * reduce_flops
                + _count(_out(op)) * (finalize_flops - reduce_flops))
    return rule


def _nhwc(op):
    data_format = op._get_attr("data_format") if "data_format" in op.attrs else ""
    if isinstance(data_format, bytes):
        data_format = data_format.decode()
    if data_format != "NHWC":
        raise ValueError("Only NHWC format is supported in flops computations")


def _pool(op):
    _nhwc(op)
    return _count(op._get_attr("ksize")) * _count(_out(op))


def _avg_pool_grad(op):
    _nhwc(op)
    return _count(op._get_attr("ksize")) * _count(_in(op, 1)) * 2


def _max_pool_grad(op):
    _nhwc(op)
    orig_out = _count(_in(op, 1))
    return _count(op._get_attr("ksize")) * orig_out + orig_out


def _conv2d_backprop_input(op):
    _nhwc(op)
    out, kernel = _out(op), _in(op, 1)
    strides = op._get_attr("strides")
    # TF divides in floating point and truncates with int().
    return int(2 * _count(out) * _count(kernel) / (out[-1] * strides[1] * strides[2]))


def _conv2d_backprop_filter(op):
    _nhwc(op)
    image, kernel = _in(op, 0), _out(op)
    strides = op._get_attr("strides")
    return int(2 * _count(image) * _count(kernel) / (image[-1] * strides[1] * strides[2]))


def _add_n(op):
    n = len(op.inputs) + len(op.control_inputs)  # TF's len(node.input) counts "^control" too
    if not n:
        return 0
    return _count(_in(op)) * (n - 1)


def _mat_mul(op):
    a = _in(op)
    k = a[0] if _attr(op, "transpose_a") else a[1]
    return k * _count(_out(op)) * 2


def _batch_mat_mul(op):
    # TF reads attr "transpose_a", which BatchMatMul* do not have (adj_x): always a[-1].
    a = _in(op)
    k = a[-2] if _attr(op, "transpose_a") else a[-1]
    return k * _count(_out(op)) * 2


def _conv(spatial):
    def rule(op):
        _in(op)  # the input shape must be defined too
        f = _in(op, 1)
        return _count(_out(op)) * _count(f[:spatial + 1]) * 2
    return rule


def _depthwise(op):
    _in(op)
    f = _in(op, 1)
    return _count(_out(op)) * f[0] * f[1] * 2


def _bias_add(op):
    return _count(_in(op))


def _attr(op, name):
    return bool(op.attrs.get(name, False))


_RULES = {
    "Reciprocal": _unary(), "Square": _unary(), "Rsqrt": _unary(2), "Log": _unary(),
    "Neg": _unary(), "AssignSub": _unary(), "AssignAdd": _unary(),
    "L2Loss": lambda op: _count(_in(op)) * 3 - 1, "Softmax": _unary(5),
    "Add": _binary(), "AddV2": _binary(), "Sub": _binary(), "Mul": _binary(),
    "RealDiv": _binary(), "Maximum": _binary(), "Minimum": _binary(), "Pow": _binary(),
    "RsqrtGrad": _binary(4), "GreaterEqual": _binary(), "Greater": _binary(),
    "LessEqual": _binary(), "Less": _binary(), "Equal": _binary(), "NotEqual": _binary(),
    "SquaredDifference": _binary(2),
    "Mean": _reduction(1, 1), "Sum": _reduction(1, 0), "ArgMax": _reduction(1, 0),
    "ArgMin": _reduction(1, 0), "BiasAddGrad": _reduction(1, 0),
    "AvgPool": _pool, "MaxPool": _pool, "AvgPoolGrad": _avg_pool_grad,
    "MaxPoolGrad": _max_pool_grad, "Conv2DBackpropInput": _conv2d_backprop_input,
    "Conv2DBackpropFilter": _conv2d_backprop_filter,
    "AddN": _add_n, "MatMul": _mat_mul,
    "BatchMatMul": _batch_mat_mul, "BatchMatMulV2": _batch_mat_mul,
    "BatchMatMulV3": _batch_mat_mul,
    "Conv2D": _conv(2), "Conv3D": _conv(3), "DepthwiseConv2dNative": _depthwise,
    "BiasAdd": _bias_add, "Dilation2D": _depthwise,
}
IMPLEMENTED_OPS = frozenset(_RULES)


def float_ops(op) -> int:
    """The static float-operation count of ``op`` (0 for op types without a rule).

    Raises ValueError when the rule needs a shape that is not fully defined (or a data format
    other than NHWC), as TensorFlow's rules do.
    """
    rule = _RULES.get(op.type)
    return 0 if rule is None else int(rule(op))


def logged_ops(graph, op_log=None, *, report_missing: bool = True) -> dict:
    """``{op name: (float_ops, [types])}`` for the ops TensorFlow's logger records, merged
    with a user ``OpLogProto`` the way ``merge_default_with_oplog`` does (user entries first,
    then new ones in graph order)."""
    logged = {}
    missing = 0
    for op in graph.get_operations():
        try:
            flops = float_ops(op)
        except ValueError:
            missing += 1
            flops = 0
        if flops:
            logged[op.name] = [flops, []]
    for v in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES):
        logged.setdefault(v.op.name, [0, []])[1].append(TRAINABLE_VARIABLES)
    if missing and report_missing:
        sys.stderr.write(f"{missing} ops no flops stats due to incomplete shapes.\n")
    if not op_log:
        return {name: (f, t) for name, (f, t) in logged.items()}
    merged = {e.name: [e.float_ops, list(e.types)] for e in op_log.log_entries}
    for name, (flops, types) in logged.items():
        if name in merged:
            merged[name][1].extend(types)
            if flops > 0 and merged[name][0] == 0:
                merged[name][0] = flops
        else:
            merged[name] = [flops, types]
    return {name: (f, t) for name, (f, t) in merged.items()}
