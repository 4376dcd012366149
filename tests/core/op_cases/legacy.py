"""Cases for the older op versions TF1 GraphDefs hold (Inv, InvGrad, Div, Mod, Concat,
BiasAddV1, ApproximateEqual, MatrixDiag, MatrixDiagPart, MatrixSetDiag). References are written
from the ops' definitions with loops and the standard library, not from the newer ops."""

import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(77)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _away_from_zero(*shape):
    x = R.uniform(0.5, 2.0, shape) * R.choice([-1, 1], shape)
    return x.astype(np.float32)


def _c_div(x, y):  # C's integer division truncates toward zero
    return np.array([int(a / b) if isinstance(a, float) else
                     (abs(a) // abs(b)) * (1 if (a < 0) == (b < 0) else -1)
                     for a, b in zip(x.tolist(), y.tolist())], x.dtype)


def _c_mod(x, y):  # C's remainder: the sign of the dividend
    return np.array([math.fmod(a, b) for a, b in zip(x.tolist(), y.tolist())], x.dtype)


def _diag_ref(d):
    out = np.zeros(d.shape + d.shape[-1:], d.dtype)
    for idx in np.ndindex(d.shape):
        out[idx + (idx[-1],)] = d[idx]
    return out


def _diag_part_ref(x):
    n = min(x.shape[-2:])
    out = np.zeros(x.shape[:-2] + (n,), x.dtype)
    for idx in np.ndindex(out.shape):
        out[idx] = x[idx[:-1] + (idx[-1], idx[-1])]
    return out


def _set_diag_ref(x, d):
    out = x.copy()
    for idx in np.ndindex(d.shape):
        out[idx[:-1] + (idx[-1], idx[-1])] = d[idx]
    return out


_INT_X = np.array([7, -7, 7, -7, 0, 9], np.int32)
_INT_Y = np.array([2, 2, -2, -2, 3, 3], np.int32)
_POS = R.uniform(0.5, 2.0, (2, 3)).astype(np.float32)

CASES = [
    Case("Inv", [_away_from_zero(2, 3)], ref=lambda x: 1 / x),
    Case("InvGrad", [f32(2, 3), f32(2, 3)], ref=lambda y, dy: -dy * y * y),
    Case("Div", [f32(2, 3), _away_from_zero(3)], ref=lambda x, y: x / y),
    Case("Div", [_INT_X, _INT_Y], ref=_c_div, id="Div-int-truncates"),
    Case("Mod", [np.float32([7.5, -7.5, 7.5, -7.5]), np.float32([2, 2, -2, -2])], ref=_c_mod),
    Case("Mod", [_INT_X, _INT_Y], ref=_c_mod, id="Mod-int"),
    Case("ApproximateEqual", [np.float32([1, 2, 3]), np.float32([1.000001, 2.1, 3.00002])],
         attrs={"tolerance": 1e-5},
         ref=lambda x, y, tolerance: np.array([abs(a - b) < tolerance for a, b in zip(x, y)])),
    Case("Concat", [Const(np.int32(1)), [f32(2, 1), f32(2, 3)]],
         ref=lambda axis, values: np.hstack(values)),
    Case("Concat", [Const(np.int32(0)), [f32(1, 2), f32(2, 2), f32(3, 2)]],
         ref=lambda axis, values: np.vstack(values), id="Concat-rows"),
    Case("BiasAddV1", [f32(2, 3, 4), f32(4)], ref=lambda v, b: v + b[None, None, :]),
    Case("MatrixDiag", [f32(2, 3)], ref=_diag_ref),
    Case("MatrixDiagPart", [f32(2, 3, 4)], ref=_diag_part_ref),
    Case("MatrixDiagPart", [_POS], ref=_diag_part_ref, id="MatrixDiagPart-wide"),
    Case("MatrixSetDiag", [f32(2, 4, 3), f32(2, 3)], ref=_set_diag_ref),
]
