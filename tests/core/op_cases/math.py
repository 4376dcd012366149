"""Cases for the elementwise-math, comparison, logic, selection, reduction, scan and batch-matmul
ops of the math op modules: math_ops, unary_ops, logic_ops, reduction_ops and linalg_ops (the
core arithmetic ops Add..MatMul are in basic.py).

References are written from the definitions (explicit formulas, loops over small axes, einsum)
rather than with the numpy function each kernel uses where that is practical.
"""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(1234)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def pos(*shape, low=0.5, high=2.0, dtype=np.float32):
    """Positive values away from 0 (logs, roots, reciprocals, gradient checks)."""
    return R.uniform(low, high, size=shape).astype(dtype)


def away0(*shape):
    """Normal values pushed away from 0 (Abs/Sign kinks)."""
    x = f32(*shape)
    return (np.sign(x) * (np.abs(x) + 0.2)).astype(np.float32)


def i32(*shape, low=-9, high=10):
    return R.integers(low, high, size=shape).astype(np.int32)


def nonzero_i32(*shape):
    x = i32(*shape, low=1, high=6)
    return (x * np.where(R.random(shape) < 0.5, -1, 1)).astype(np.int32)


def boolean(*shape):
    return R.random(shape) < 0.5


def ci(values, dtype=np.int32):
    return Const(np.array(values, dtype=dtype))


# -- references -----------------------------------------------------------------------------------


def _floor_div_ref(x, y):
    if x.dtype.kind in "iu":
        q = np.trunc(x.astype(np.float64) / y)
        q -= (q * y != x) & ((x < 0) != (y < 0))  # truncation rounds toward 0: step down
        return q.astype(x.dtype)
    return np.floor(x.astype(np.float64) / y).astype(x.dtype)


def _floor_mod_ref(x, y):
    if x.dtype.kind in "iu":
        return (x - _floor_div_ref(x, y) * y).astype(x.dtype)
    r = np.fmod(x.astype(np.float64), y)
    r = np.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)
    return r.astype(x.dtype)


def _round_half_even(x):
    f = np.floor(x)
    d = x - f
    up = (d > 0.5) | ((d == 0.5) & (np.mod(f, 2) == 1))
    return (f + up).astype(x.dtype)


def _sigmoid_ref(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _pow_ref(x, y):
    if x.dtype.kind in "iu":
        out = np.ones(np.broadcast(x, y).shape, dtype=np.int64)
        xb, yb = np.broadcast_arrays(x.astype(np.int64), y.astype(np.int64))
        for _ in range(int(yb.max(initial=0))):
            out = np.where(yb > 0, out * xb, out)
            yb = yb - 1
        return out.astype(x.dtype)
    return np.exp(y * np.log(x.astype(np.float64))).astype(x.dtype)


def _kept(x, axes, keep):
    return lambda r: r if keep else np.squeeze(r, axis=tuple(a % x.ndim for a in axes))


def _reduce_ref(kind):
    """Reduction by a loop over the flattened groups (independent of numpy's reductions)."""
    def ref(x, axes, keep_dims=False):
        axes = [int(a) % x.ndim for a in np.asarray(axes).reshape(-1)] if x.ndim else []
        axes = sorted(set(axes))
        other = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, other + axes)
        out_shape = [x.shape[a] for a in other]
        groups = moved.reshape(out_shape + [int(np.prod([x.shape[a] for a in axes]))])
        flat = groups.reshape(int(np.prod(out_shape)), groups.shape[-1])
        res = []
        for g in flat:
            if kind == "max":
                res.append(max(g.tolist(), default=_low(x.dtype)))
            elif kind == "min":
                res.append(min(g.tolist(), default=_high(x.dtype)))
            elif kind == "prod":
                p = 1
                for v in g.tolist():
                    p *= v
                res.append(p)
            elif kind == "all":
                res.append(all(g.tolist()))
            elif kind == "any":
                res.append(any(g.tolist()))
        out = np.array(res, dtype=x.dtype).reshape(out_shape)
        if keep_dims:
            out = out.reshape([1 if a in axes else d for a, d in enumerate(x.shape)])
        return out
    return ref


def _low(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _high(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max


def _arg_ref(fn):
    def ref(x, dim, output_type=np.int64):
        d = int(dim) % x.ndim
        moved = np.moveaxis(x, d, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        idx = [fn(range(len(row)), key=lambda i, row=row: row[i]) for row in flat.tolist()]
        return np.array(idx, dtype=output_type).reshape(moved.shape[:-1])
    return ref


def _scan_ref(kind):
    def ref(x, axis, exclusive=False, reverse=False):
        a = int(axis) % x.ndim
        moved = np.moveaxis(x, a, 0)
        n = moved.shape[0]
        out = np.empty_like(moved)
        for i in range(n):
            idx = [j for j in range(n) if (j > i if reverse else j < i) or (j == i and
                                                                         not exclusive)]
            acc = np.zeros_like(moved[0]) if kind == "sum" else np.ones_like(moved[0])
            for j in idx:
                acc = acc + moved[j] if kind == "sum" else acc * moved[j]
            out[i] = acc
        return np.moveaxis(out, 0, a)
    return ref


def _bmm_ref(x, y, adj_x=False, adj_y=False):
    a = np.swapaxes(x, -1, -2) if adj_x else x
    b = np.swapaxes(y, -1, -2) if adj_y else y
    return np.einsum("...ij,...jk->...ik", a, b).astype(x.dtype)


def _select_ref(c, t, e):
    if c.ndim == 1 and t.ndim > 1:
        c = c.reshape((-1,) + (1,) * (t.ndim - 1))
    out = np.array(e, copy=True)
    cb = np.broadcast_to(c, t.shape)
    out[cb] = t[cb]
    return out


def _select_v2_ref(c, t, e):
    shape = np.broadcast_shapes(c.shape, t.shape, e.shape)
    cb, tb, eb = (np.broadcast_to(v, shape) for v in (c, t, e))
    out = np.array(eb, copy=True)
    out[cb] = tb[cb]
    return out


def _where_ref(x):
    coords = [idx for idx in np.ndindex(*x.shape) if x[idx]]
    return np.array(coords, dtype=np.int64).reshape(len(coords), x.ndim)


def _grad_op_ref(f):
    return lambda y, dy: f(y.astype(np.float64), dy.astype(np.float64)).astype(y.dtype)


# -- inputs with structure ------------------------------------------------------------------------

PROD_WITH_ZEROS = np.array([[0.5, 0.0, 1.5], [2.0, -1.2, 0.7]], np.float32)
PROD_TWO_ZEROS = np.array([[[0.0, 1.1], [0.9, 0.0]], [[1.3, -0.8], [0.6, 1.4]]], np.float32)
SPECIALS = np.array([1.0, -np.inf, np.inf, np.nan, 0.0, -2.5], np.float32)
HALVES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.0], np.float32)

CASES = [
    # -- binary arithmetic --------------------------------------------------------------------
    Case("FloorDiv", [i32(2, 5), nonzero_i32(5)], ref=_floor_div_ref, id="FloorDiv-int-bcast"),
    Case("FloorDiv", [np.array([7, -7, 7, -7], np.int64), np.array([2, 2, -2, -2], np.int64)],
         ref=_floor_div_ref, id="FloorDiv-int64-signs"),
    Case("FloorDiv", [np.array([200, 7, 0], np.uint8), np.array([3], np.uint8)],
         ref=_floor_div_ref, id="FloorDiv-uint8"),
    Case("FloorDiv", [f32(3, 4), pos(3, 1)], ref=_floor_div_ref, id="FloorDiv-float"),
    Case("FloorDiv", [np.array([1.0, -1.0, 7.5], np.float64), np.array([0.1, 0.3, -2.0])],
         ref=_floor_div_ref, id="FloorDiv-float64-floor-of-quotient"),
    Case("FloorMod", [i32(3, 4), nonzero_i32(4)], ref=_floor_mod_ref, id="FloorMod-int"),
    Case("FloorMod", [f32(2, 3) * 4, (pos(2, 3) * np.where(boolean(2, 3), 1, -1)).astype(
        np.float32)],
         ref=_floor_mod_ref, id="FloorMod-float"),
    Case("FloorMod", [f64(4, 1) * 3, np.array([1.5, -2.5], np.float64)], ref=_floor_mod_ref,
         id="FloorMod-float64-bcast"),
    Case("Pow", [pos(2, 3), f32(2, 3)], ref=_pow_ref, rtol=1e-5),
    Case("Pow", [pos(4, 1, dtype=np.float64), f64(3)], ref=_pow_ref, id="Pow-float64-bcast"),
    Case("Pow", [np.array([-2.0, -1.5, 3.0], np.float32), np.array([2.0, 3.0, 0.5], np.float32)],
         ref=lambda x, y: np.array([4.0, -3.375, np.sqrt(3.0)], np.float32),
         grad=[0], id="Pow-negative-base"),
    Case("Pow", [i32(2, 3, low=-4, high=5), np.array([0, 1, 3], np.int32)], ref=_pow_ref,
         id="Pow-int"),
    Case("Maximum", [f32(2, 3), f32(3)], ref=lambda x, y: np.where(x >= y, x, y)),
    Case("Maximum", [i32(4), np.array(2, np.int32)], ref=lambda x, y: np.where(x >= y, x, y),
         id="Maximum-int-scalar"),
    Case("Minimum", [f32(3, 1), f32(1, 4)], ref=lambda x, y: np.where(x <= y, x, y)),
    Case("Minimum", [f64(2, 2), f64(2, 2)], ref=lambda x, y: np.where(x <= y, x, y),
         id="Minimum-float64"),
    Case("Minimum", [np.array([3, 250], np.uint8), np.array([7, 9], np.uint8)],
         ref=lambda x, y: np.where(x <= y, x, y), id="Minimum-uint8"),
    Case("SquaredDifference", [f32(2, 3), f32(3)], ref=lambda x, y: (x - y) * (x - y)),
    Case("SquaredDifference", [f32(2, 1), f32(1, 3)], ref=lambda x, y: (x - y) * (x - y),
         id="SquaredDifference-outer"),
    Case("SquaredDifference", [i32(3), i32(3)], ref=lambda x, y: (x - y) * (x - y),
         id="SquaredDifference-int"),
    Case("DivNoNan", [f32(2, 3), np.array([0.0, 2.0, -0.5], np.float32)],
         ref=lambda x, y: np.where(y == 0, 0, x / np.where(y == 0, 1, y)).astype(np.float32),
         grad=[0], id="DivNoNan-zeros"),
    Case("DivNoNan", [f32(2, 3), pos(2, 1)], ref=lambda x, y: x / y, id="DivNoNan-bcast"),
    # -- unary math ---------------------------------------------------------------------------
    Case("Abs", [away0(2, 3)], ref=lambda x: np.where(x < 0, -x, x)),
    Case("Abs", [i32(5)], ref=lambda x: np.where(x < 0, -x, x), id="Abs-int"),
    Case("Sign", [away0(3, 2)], ref=lambda x: (x > 0).astype(x.dtype) - (x < 0)),
    Case("Sign", [np.array([-3, 0, 5], np.int64)],
         ref=lambda x: np.array([-1, 0, 1], np.int64), id="Sign-int64"),
    Case("Exp", [f32(2, 3)], ref=lambda x: np.exp(x.astype(np.float64)).astype(np.float32)),
    Case("Exp", [np.array([0.5, -1.0], np.float16)],
         ref=lambda x: np.array([np.e ** 0.5, np.e ** -1], np.float16), rtol=1e-3,
         id="Exp-half"),
    Case("Log", [pos(2, 3)], ref=lambda x: np.log(x.astype(np.float64)).astype(np.float32)),
    Case("Log", [pos(4, dtype=np.float64)], ref=np.log, id="Log-float64"),
    Case("Log1p", [pos(3, 2, low=-0.5, high=2.0)],
         ref=lambda x: np.log(1 + x.astype(np.float64)).astype(np.float32)),
    Case("Sin", [f32(2, 3)], ref=lambda x: np.sin(x.astype(np.float64)).astype(np.float32)),
    Case("Sin", [np.array([0.0, np.pi / 2, -np.pi / 6])],
         ref=lambda x: np.array([0.0, 1.0, -0.5]), id="Sin-float64-known"),
    Case("Cos", [f32(2, 3)], ref=lambda x: np.cos(x.astype(np.float64)).astype(np.float32)),
    Case("Cos", [np.array([0.0, np.pi / 3, np.pi])],
         ref=lambda x: np.array([1.0, 0.5, -1.0]), id="Cos-float64-known"),
    # away from the poles at +-pi/2, where the numerical gradient check would be meaningless
    Case("Tan", [pos(2, 3, low=-1.0, high=1.0)],
         ref=lambda x: np.tan(x.astype(np.float64)).astype(np.float32)),
    Case("Tan", [np.array([0.0, np.pi / 4, -np.pi / 4])],
         ref=lambda x: np.array([0.0, 1.0, -1.0]), id="Tan-float64-known"),
    Case("Sqrt", [pos(2, 3)], ref=lambda x: (x.astype(np.float64) ** 0.5).astype(np.float32)),
    Case("Sqrt", [np.array([0.0, 4.0, 9.0])], ref=lambda x: np.array([0.0, 2.0, 3.0]), grad=[],
         id="Sqrt-float64-exact"),
    Case("Rsqrt", [pos(2, 3)], ref=lambda x: (x.astype(np.float64) ** -0.5).astype(np.float32)),
    Case("Reciprocal", [away0(2, 3)], ref=lambda x: (1.0 / x.astype(np.float64)).astype(
        np.float32)),
    Case("Tanh", [f32(2, 3)], ref=lambda x: ((np.exp(2 * x.astype(np.float64)) - 1) / (
        np.exp(2 * x.astype(np.float64)) + 1)).astype(np.float32)),
    Case("Tanh", [f64(4)], ref=lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1),
         id="Tanh-float64"),
    Case("Sigmoid", [f32(3, 2) * 3], ref=_sigmoid_ref),
    Case("Sigmoid", [np.array([-700.0, 0.0, 700.0])],
         ref=lambda x: np.array([0.0, 0.5, 1.0]), grad=[], id="Sigmoid-saturates"),
    Case("Sigmoid", [np.array([-1.0, 2.0], np.float16)], ref=_sigmoid_ref, rtol=1e-3,
         id="Sigmoid-half"),
    Case("Floor", [HALVES], ref=lambda x: x - np.mod(x, 1)),
    Case("Floor", [f64(2, 2) * 3], ref=lambda x: x - np.mod(x, 1), id="Floor-float64"),
    Case("Ceil", [HALVES], ref=lambda x: -((-x) - np.mod(-x, 1))),
    Case("Round", [HALVES], ref=_round_half_even),
    Case("Round", [f64(3, 2) * 4], ref=_round_half_even, id="Round-float64"),
    Case("Round", [i32(4)], ref=lambda x: x, id="Round-int"),
    Case("IsFinite", [SPECIALS], ref=lambda x: (x == x) & (x != np.inf) & (x != -np.inf)),
    Case("IsNan", [SPECIALS], ref=lambda x: x != x),
    Case("IsInf", [SPECIALS.astype(np.float64)], ref=lambda x: (x == np.inf) | (x == -np.inf)),
    # -- gradient ops (second derivatives are their gradients) --------------------------------
    Case("TanhGrad", [f32(2, 3) * 0.5, f32(2, 3)],
         ref=_grad_op_ref(lambda y, dy: dy * (1 - y * y))),
    Case("SigmoidGrad", [pos(2, 3, low=0.1, high=0.9), f32(2, 3)],
         ref=_grad_op_ref(lambda y, dy: dy * y * (1 - y))),
    Case("SqrtGrad", [pos(3, 2), f32(3, 2)], ref=_grad_op_ref(lambda y, dy: dy / (2 * y))),
    Case("RsqrtGrad", [pos(3, 2), f32(3, 2)], ref=_grad_op_ref(lambda y, dy: -dy * y ** 3 / 2)),
    Case("ReciprocalGrad", [away0(2, 2), f32(2, 2)],
         ref=_grad_op_ref(lambda y, dy: -dy * y ** 2)),
    # -- comparisons and logic ----------------------------------------------------------------
    Case("Less", [f32(2, 3), f32(3)], ref=lambda x, y: np.array(
        [[a < b for a, b in zip(r, y)] for r in x])),
    Case("Less", [i32(4), np.array(0, np.int32)], ref=lambda x, y: x - y < 0, id="Less-int"),
    Case("LessEqual", [i32(2, 3), i32(2, 1)], ref=lambda x, y: ~(x > y)),
    Case("Greater", [f32(3, 1), f32(1, 2)], ref=lambda x, y: ~(x <= y)),
    Case("Greater", [np.array([1, 200], np.uint8), np.array([2, 100], np.uint8)],
         ref=lambda x, y: np.array([False, True]), id="Greater-uint8"),
    Case("GreaterEqual", [i32(5), i32(5)], ref=lambda x, y: ~(x < y)),
    Case("Equal", [i32(2, 3), i32(3, low=-2, high=2)], ref=lambda x, y: ~(x != y)),
    Case("Equal", [np.array([0.5, 1.0, np.nan], np.float32), np.array(1.0, np.float32)],
         ref=lambda x, y: np.array([False, True, False]), id="Equal-float-nan"),
    Case("Equal", [np.array([[True, False]]), np.array([[True], [False]])],
         ref=lambda x, y: np.array([[True, False], [False, True]]), id="Equal-bool"),
    Case("Equal", [f32(2), f32(3)], attrs={"incompatible_shape_error": False},
         ref=lambda x, y, incompatible_shape_error: np.array(False), id="Equal-incompatible"),
    Case("Equal", [i32(2, 1), i32(3)], attrs={"incompatible_shape_error": False},
         ref=lambda x, y, **_: x[:, :1] == y[None, :], id="Equal-lenient-compatible"),
    Case("NotEqual", [f32(2, 2), f32(2, 2)], ref=lambda x, y: ~(x == y)),
    Case("NotEqual", [i32(4), i32(5)], attrs={"incompatible_shape_error": False},
         ref=lambda x, y, **_: np.array(True), id="NotEqual-incompatible"),
    Case("LogicalAnd", [boolean(2, 3), boolean(3)], ref=lambda x, y: x & y),
    Case("LogicalOr", [boolean(3, 1), boolean(1, 2)], ref=lambda x, y: x | y),
    Case("LogicalNot", [boolean(2, 2)], ref=lambda x: x == False),  # noqa: E712
    # -- selection ----------------------------------------------------------------------------
    Case("Select", [boolean(2, 3), f32(2, 3), f32(2, 3)], ref=_select_ref),
    Case("Select", [np.array([True, False, True]), f32(3, 2), f32(3, 2)], ref=_select_ref,
         id="Select-row-vector"),
    Case("Select", [np.array(False), f32(2, 2), f32(2, 2)], ref=_select_ref,
         id="Select-scalar-cond"),
    Case("Select", [boolean(4), i32(4), i32(4)], ref=_select_ref, id="Select-int"),
    Case("SelectV2", [boolean(3), f32(2, 3), f32(2, 1)], ref=_select_v2_ref),
    Case("SelectV2", [boolean(2, 1), f32(3), np.float32(0.5)], ref=_select_v2_ref,
         id="SelectV2-scalar-else"),
    Case("SelectV2", [boolean(2, 2), i32(2, 2), i32(2, 2)], ref=_select_v2_ref,
         id="SelectV2-int"),
    Case("Where", [boolean(3, 4)], ref=_where_ref, exact_shape=False),
    Case("Where", [np.array([0.0, 1.5, 0.0, -2.0], np.float32)], ref=_where_ref,
         exact_shape=False, id="Where-float"),
    Case("Where", [i32(2, 2, 3, low=-1, high=2)], ref=_where_ref, exact_shape=False,
         id="Where-int-3d"),
    Case("Where", [np.zeros((0, 2), bool)], ref=_where_ref, exact_shape=False, id="Where-empty"),
    # -- reductions ---------------------------------------------------------------------------
    Case("Max", [f32(2, 3, 4), ci([0, 2])], attrs={"keep_dims": False}, ref=_reduce_ref("max")),
    Case("Max", [f32(3, 4), ci(-1)], attrs={"keep_dims": True}, ref=_reduce_ref("max"),
         id="Max-keepdims-neg"),
    Case("Max", [f32(2, 3), ci([0, 1], np.int64)], ref=_reduce_ref("max"), id="Max-all-int64"),
    Case("Max", [i32(3, 4), ci([1])], ref=_reduce_ref("max"), id="Max-int"),
    Case("Max", [np.zeros((0, 3), np.float32), ci([0])], ref=_reduce_ref("max"), grad=[],
         id="Max-empty"),
    Case("Max", [f32(2, 3), ci([], np.int32)], ref=_reduce_ref("max"), id="Max-no-axes"),
    Case("Min", [f32(4, 3), ci([0])], ref=_reduce_ref("min")),
    Case("Min", [f64(2, 3, 2), ci([-1, 0])], attrs={"keep_dims": True}, ref=_reduce_ref("min"),
         id="Min-keepdims"),
    Case("Min", [np.zeros((2, 0), np.int32), ci(1)], ref=_reduce_ref("min"), id="Min-empty-int"),
    Case("Prod", [f32(2, 3), ci(1)], ref=_reduce_ref("prod")),
    Case("Prod", [PROD_WITH_ZEROS, ci([1])], ref=_reduce_ref("prod"), id="Prod-zero"),
    Case("Prod", [PROD_WITH_ZEROS, ci([0, 1])], attrs={"keep_dims": True},
         ref=_reduce_ref("prod"), id="Prod-zero-all-keepdims"),
    Case("Prod", [PROD_TWO_ZEROS, ci([0, -1])], ref=_reduce_ref("prod"), id="Prod-two-zeros"),
    Case("Prod", [f32(2, 2, 3), ci([2, 0])], attrs={"keep_dims": True},
         ref=_reduce_ref("prod"), id="Prod-two-axes"),
    Case("Prod", [f32(2, 2), ci([], np.int32)], ref=_reduce_ref("prod"), id="Prod-no-axes"),
    Case("Prod", [i32(3, 2, low=-3, high=4), ci(0)], ref=_reduce_ref("prod"), id="Prod-int"),
    Case("Prod", [np.zeros((0, 2), np.float32), ci(0)], ref=_reduce_ref("prod"),
         id="Prod-empty"),
    Case("All", [boolean(3, 4), ci(1)], ref=_reduce_ref("all")),
    Case("All", [boolean(2, 3), ci([0, 1])], attrs={"keep_dims": True}, ref=_reduce_ref("all"),
         id="All-keepdims"),
    Case("All", [np.zeros((0, 2), bool), ci(0)], ref=_reduce_ref("all"), id="All-empty"),
    Case("Any", [boolean(3, 4), ci(-2)], ref=_reduce_ref("any")),
    Case("Any", [np.zeros((2, 0), bool), ci(1)], attrs={"keep_dims": True},
         ref=_reduce_ref("any"), id="Any-empty-keepdims"),
    Case("ArgMax", [f32(3, 4), ci(1)], ref=_arg_ref(max)),
    Case("ArgMax", [f32(3, 4, 2), ci(-3)], ref=_arg_ref(max), id="ArgMax-neg"),
    Case("ArgMax", [i32(2, 5), ci(1, np.int64)], attrs={"output_type": np.int32},
         ref=_arg_ref(max), id="ArgMax-int32-out"),
    Case("ArgMax", [np.array([False, True, True]), ci(0)], ref=_arg_ref(max), id="ArgMax-bool"),
    Case("ArgMax", [np.zeros((0, 3), np.float32), ci(1)], ref=_arg_ref(max),
         id="ArgMax-empty-kept"),
    Case("ArgMin", [f32(4, 3), ci(0)], ref=_arg_ref(min)),
    Case("ArgMin", [np.array([[3, 1, 1], [0, 5, 0]], np.int32), ci(-1)],
         attrs={"output_type": np.int64}, ref=_arg_ref(min), id="ArgMin-ties-int64"),
    # -- scans --------------------------------------------------------------------------------
    Case("Cumsum", [f32(2, 4), ci(1)], ref=_scan_ref("sum")),
    Case("Cumsum", [f32(3, 2), ci(0)], attrs={"exclusive": True}, ref=_scan_ref("sum"),
         id="Cumsum-exclusive"),
    Case("Cumsum", [f32(2, 3), ci(-1)], attrs={"reverse": True}, ref=_scan_ref("sum"),
         id="Cumsum-reverse"),
    Case("Cumsum", [i32(2, 3, 2), ci(1, np.int64)], attrs={"exclusive": True, "reverse": True},
         ref=_scan_ref("sum"), id="Cumsum-int-exclusive-reverse"),
    Case("Cumsum", [np.zeros((0, 2), np.float32), ci(0)], attrs={"exclusive": True},
         ref=_scan_ref("sum"), id="Cumsum-empty"),
    Case("Cumprod", [pos(2, 3), ci(1)], ref=_scan_ref("prod")),
    Case("Cumprod", [pos(3, 2), ci(0)], attrs={"exclusive": True, "reverse": True},
         ref=_scan_ref("prod"), id="Cumprod-exclusive-reverse"),
    Case("Cumprod", [pos(4, dtype=np.float64), ci(0)], attrs={"exclusive": True},
         ref=_scan_ref("prod"), id="Cumprod-exclusive"),
    Case("Cumprod", [i32(2, 3, low=-3, high=4), ci(-1)], attrs={"reverse": True},
         ref=_scan_ref("prod"), id="Cumprod-int-reverse"),
    # -- batch matmul -------------------------------------------------------------------------
    Case("BatchMatMulV2", [f32(2, 2, 3), f32(2, 3, 4)], ref=_bmm_ref),
    Case("BatchMatMulV2", [f32(2, 1, 2, 3), f32(3, 3, 2)], ref=_bmm_ref, id="BatchMatMulV2-bcast"),
    Case("BatchMatMulV2", [f32(2, 3, 2), f32(3, 4)], attrs={"adj_x": True}, ref=_bmm_ref,
         id="BatchMatMulV2-adj-x-rank2-y"),
    Case("BatchMatMulV2", [f32(2, 3), f32(2, 4, 3)], attrs={"adj_y": True}, ref=_bmm_ref,
         id="BatchMatMulV2-rank2-x-adj-y"),
    Case("BatchMatMulV2", [f32(1, 3, 2), f32(2, 2, 3)], attrs={"adj_x": True, "adj_y": True},
         ref=_bmm_ref, id="BatchMatMulV2-adj-both"),
    Case("BatchMatMulV2", [i32(2, 2, 2), i32(2, 2, 3)], ref=_bmm_ref, id="BatchMatMulV2-int"),
    # grad_x / grad_y: TF's hints that the product is a gradient; the values are the same.
    Case("BatchMatMulV2", [f32(2, 3, 2), f32(2, 3, 4)],
         attrs={"adj_x": True, "grad_x": True, "grad_y": True},
         ref=lambda x, y, grad_x, grad_y, **k: _bmm_ref(x, y, **k),
         id="BatchMatMulV2-grad-hints"),
    Case("BatchMatMulV2", [np.zeros((0, 2, 3), np.float32), f32(3, 2)], ref=_bmm_ref,
         id="BatchMatMulV2-empty-batch"),
    # V3: operands of their own dtypes, the product in Tout (Keras 3's int8 quantized Dense)
    Case("BatchMatMulV3", [np.array([[[100, -128], [7, 127]]], np.int8),
                           np.array([[127, 2], [-128, 3]], np.int8)],
         attrs={"Tout": np.int32}, id="BatchMatMulV3-int8-int32",
         ref=lambda x, y, Tout: np.array([[[100 * 127 + 128 * 128, 200 - 384],
                                           [7 * 127 - 127 * 128, 14 + 381]]], np.int32)),
    # (float64: the numerical gradient check feeds float64, and Tout must match)
    Case("BatchMatMulV3", [f32(2, 3, 2).astype(np.float64), f32(2, 3, 4).astype(np.float64)],
         attrs={"Tout": np.float64, "adj_x": True},
         ref=lambda x, y, Tout, **k: _bmm_ref(x, y, **k), id="BatchMatMulV3-float"),
    # (mixed dtypes: the check would feed both as float64; test_linalg_extra has the gradient)
    Case("BatchMatMulV3", [np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                           np.arange(6, dtype=np.float16).reshape(3, 2)],
         attrs={"Tout": np.float32}, id="BatchMatMulV3-mixed", grad=[],
         ref=lambda x, y, Tout: x @ y.astype(np.float32)),
]
