"""Cases for TF's cuDNN RNN ops (core/ops/cudnn_rnn_ops.py): CudnnRNN, V2, V3, their Backprop
ops, CudnnRNNParamsSize and the canonical <-> opaque conversions.

The forward references are cuDNN's equations written per gate in numpy, on weights read from
the opaque buffer by hand (tests/core/contrib/test_cudnn_rnn.py); the Backprop ops (NO_GRADIENT,
as in TF) are checked against central differences of those references.
"""

import numpy as np

import minitf.ops.cudnn_rnn_ops  # noqa: F401 - registers the ops (until core/ops imports it)

from ..contrib.test_cudnn_rnn import _interleave, _opaque_to_canonical_by_hand, canonical, ref
from .harness import Case, Const

F = np.float32
rng = np.random.default_rng(17)
T, B, D, U = 3, 2, 3, 2
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def f32(*shape):
    return (rng.standard_normal(shape) * 0.5).astype(F)


def opaque(mode, layers, dirs):
    ws, bs = canonical(mode, layers, U, D, dirs)
    return np.concatenate([a.reshape(-1) for a in _interleave(ws, bs, GATES[mode])])


def _forward(x, h, c, params, rnn_mode, direction, lens=None, time_major=True):
    dirs = 2 if direction == "bidirectional" else 1
    if not time_major:
        x, h = x.transpose(1, 0, 2), h.transpose(1, 0, 2)
        c = c.transpose(1, 0, 2) if c.ndim == 3 else c
    layers = h.shape[0] // dirs
    ws, bs = _opaque_to_canonical_by_hand(np.asarray(params, np.float64), rnn_mode, layers, U,
                                          x.shape[2], dirs)
    y, hn, cn = ref(rnn_mode, x, h, c if rnn_mode == "lstm" else h, ws, bs, layers, dirs, lens)
    if not time_major:
        y, hn, cn = (t.transpose(1, 0, 2) for t in (y, hn, cn))
    return y, hn, cn


def ref_rnn(version):
    def f(x, h, c, params, *rest, rnn_mode="lstm", direction="unidirectional",
          time_major=True, **_):
        y, hn, cn = _forward(x, h, c, params, rnn_mode, direction,
                             rest[0] if version == 3 else None, time_major)
        dt = x.dtype
        outs = (y.astype(dt), hn.astype(dt),
                cn.astype(dt) if rnn_mode == "lstm" else np.zeros((), dt), np.zeros(0, dt))
        return outs + ((np.zeros(0, np.int8),) if version > 1 else ())
    return f


def numeric(loss, value, eps=1e-6):
    value = np.asarray(value, np.float64)
    out = np.zeros_like(value)
    for j in np.ndindex(*value.shape):
        for sign in (1, -1):
            v = value.copy()
            v[j] += sign * eps
            out[j] += sign * loss(v) / (2 * eps)
    return out


def ref_backprop(version):
    def f(x, h, c, params, *rest, rnn_mode="lstm", direction="unidirectional",
          time_major=True, **_):
        lens, rest = (rest[0], rest[1:]) if version == 3 else (None, rest)
        _, _, _, dy, dh, dc = rest[:6]
        args = [np.asarray(a, np.float64) for a in (x, h, c, params)]

        def loss(k, v):
            a = list(args)
            a[k] = v
            y, hn, cn = _forward(*a, rnn_mode, direction, lens, time_major)
            total = np.sum(y * dy) + np.sum(hn * dh)
            return total + (np.sum(cn * dc) if rnn_mode == "lstm" else 0)
        grads = [numeric(lambda v, k=k: loss(k, v), args[k]) for k in range(4)]
        if rnn_mode != "lstm":
            grads[2] = np.zeros_like(c)
        return tuple(g.astype(x.dtype) for g in grads)
    return f


def _case(op, version, mode, direction, layers, lens=None, time_major=True, backprop=False):
    dirs = 2 if direction == "bidirectional" else 1
    x = f32(T, B, D) if time_major else f32(B, T, D)
    state = (layers * dirs, B, U) if time_major else (B, layers * dirs, U)
    h = f32(*state)
    c = f32(*state) if mode == "lstm" else np.zeros(0, F)
    params = opaque(mode, layers, dirs)
    attrs = {"rnn_mode": mode, "direction": direction}
    if version == 3:
        attrs["time_major"] = time_major
    ins = [x, h, c, params] + ([Const(np.array(lens, np.int32))] if version == 3 else [])
    if not backprop:
        return Case(op, ins, ref_rnn(version), attrs=attrs, exact_shape=False,
                    id=f"{op}-{mode}-{direction}-{layers}" + ("-lens" if lens else ""))
    y, hn, cn = _forward(x, h, c, params, mode, direction, lens, time_major)
    outs = [y.astype(F), hn.astype(F), cn.astype(F) if mode == "lstm" else np.zeros((), F)]
    grads = [f32(*o.shape) for o in outs]
    ins += outs + grads + [np.zeros(0, F)] + ([np.zeros(0, np.int8)] if version > 1 else [])
    return Case(op, ins, ref_backprop(version), attrs=attrs, rtol=2e-3, atol=2e-4,
                id=f"{op}-{mode}-{direction}-{layers}")


LENS = [3, 1]
SIZES = [Const(np.int32(2)), Const(np.int32(U)), Const(np.int32(D))]
WS, BS = canonical("gru", 2, U, D, 2)


def ref_params_size(*_, rnn_mode="lstm", direction="unidirectional", **__):
    g, dirs = GATES[rnn_mode], 2 if direction == "bidirectional" else 1
    widths = [D if p < dirs else dirs * U for p in range(2 * dirs)]
    return np.array([sum(g * U * (w + U + 2) for w in widths)], np.int32)


def ref_to_canonical(*args, rnn_mode="lstm", direction="unidirectional", **_):
    ws, bs = _opaque_to_canonical_by_hand(args[3], rnn_mode, 2, U, D,
                                          2 if direction == "bidirectional" else 1)
    return tuple(np.array(a) for a in ws + bs)


def ref_to_params(*args, **_):
    return np.concatenate([a.reshape(-1) for a in _interleave(args[3], args[4], 3)])


BI = {"rnn_mode": "gru", "direction": "bidirectional"}
CASES = [
    _case("CudnnRNN", 1, "lstm", "unidirectional", 2),
    _case("CudnnRNN", 1, "gru", "bidirectional", 1),
    _case("CudnnRNNV2", 2, "rnn_tanh", "unidirectional", 2),
    _case("CudnnRNNV3", 3, "rnn_relu", "bidirectional", 1, lens=LENS),
    _case("CudnnRNNV3", 3, "lstm", "unidirectional", 1, lens=LENS, time_major=False),
    _case("CudnnRNNBackprop", 1, "lstm", "bidirectional", 1, backprop=True),
    _case("CudnnRNNBackprop", 1, "gru", "unidirectional", 2, backprop=True),
    _case("CudnnRNNBackpropV2", 2, "rnn_tanh", "unidirectional", 1, backprop=True),
    _case("CudnnRNNBackpropV3", 3, "lstm", "unidirectional", 1, lens=LENS, backprop=True),
    Case("CudnnRNNParamsSize", SIZES, ref_params_size,
         attrs={"T": np.float32, "S": np.int32, **BI}),
    Case("CudnnRNNParamsToCanonical", SIZES + [opaque("gru", 2, 2)], ref_to_canonical,
         attrs={"num_params": 24, **BI}),
    Case("CudnnRNNParamsToCanonicalV2", SIZES + [opaque("gru", 2, 2)], ref_to_canonical,
         attrs={"num_params_weights": 24, "num_params_biases": 24, **BI}),
    Case("CudnnRNNCanonicalToParams", SIZES + [WS, BS], ref_to_params, attrs=BI),
    Case("CudnnRNNCanonicalToParamsV2", SIZES + [WS, BS], ref_to_params, attrs=BI),
]
