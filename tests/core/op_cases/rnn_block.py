"""Cases for the fused RNN ops (core/ops/rnn_block_ops.py): LSTMBlockCell, BlockLSTM,
BlockLSTMV2, GRUBlockCell and their *Grad ops.

The forward references are the cell equations written out per gate in float64. The *Grad ops
(TF registers no gradient for them: NO_GRADIENT) are checked against central differences of
those forward references: each output is the derivative of ``sum(cs * cs_grad + h * h_grad)``
(``sum(h * d_h)`` for GRU) with respect to an input or a gate's pre-activation. The forward
ops' gradient cases weigh every output, so they exercise the exact (rebuilt) gradient path; the
TF-rule path (cs and h only) is compared with TensorFlow in tests/core/contrib/test_rnn_block.py.
"""

import numpy as np

import minitf.ops.rnn_block_ops  # noqa: F401 - registers the ops (until core/ops imports it)

from .harness import Case, Const

F = np.float32
rng = np.random.default_rng(11)
T, B, D, N = 3, 2, 3, 2


def f32(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(F)


def sig(z):
    return 1 / (1 + np.exp(-z))


def lstm_gates_step(gates, cs_prev, wci, wcf, wco, forget_bias, cell_clip, peep, layout):
    """One LSTM step from the gates' pre-activations [B, 4N]: (i, cs, f, o, ci, co, h)."""
    n = cs_prev.shape[1]
    block = {k: gates[:, j * n:(j + 1) * n] for j, k in enumerate(layout)}
    i = sig(block["i"] + (cs_prev * wci if peep else 0))
    f = sig(block["f"] + forget_bias + (cs_prev * wcf if peep else 0))
    ci = np.tanh(block["c"])
    cs = i * ci + f * cs_prev
    if cell_clip > 0:
        cs = np.minimum(np.maximum(cs, -cell_clip), cell_clip)
    o = sig(block["o"] + (cs * wco if peep else 0))
    co = np.tanh(cs)
    return i, cs, f, o, ci, co, o * co


def lstm_step(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, peep, layout):
    xh = np.concatenate([x, h_prev], 1).astype(np.float64)
    return lstm_gates_step(xh @ w + b, cs_prev, wci, wcf, wco, forget_bias, cell_clip, peep,
                           layout)


def ref_lstm_block_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias=1.0,
                        cell_clip=3.0, use_peephole=False):
    outs = lstm_step(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip,
                     use_peephole, "icfo")
    return tuple(o.astype(x.dtype) for o in outs)


def ref_block_lstm(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias=0.0,
                   cell_clip=3.0, use_peephole=False, layout="icfo"):
    outs = [np.zeros(x.shape[:2] + (cs_prev.shape[1],)) for _ in range(7)]
    cs, h = cs_prev, h_prev
    for t in range(min(int(seq_len_max), x.shape[0])):
        step = lstm_step(x[t], cs, h, w, wci, wcf, wco, b, forget_bias, cell_clip,
                         use_peephole, layout)
        for out, v in zip(outs, step):
            out[t] = v
        cs, h = step[1], step[6]
    return tuple(o.astype(x.dtype) for o in outs)


def numeric(loss, value, eps=1e-6):
    """d loss / d value by central differences (float64)."""
    value = np.asarray(value, np.float64)
    out = np.zeros_like(value)
    for j in np.ndindex(*value.shape):
        for sign in (1, -1):
            v = value.copy()
            v[j] += sign * eps
            out[j] += sign * loss(v) / (2 * eps)
    return out


def ref_lstm_block_cell_grad(x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co,
                             cs_grad, h_grad, use_peephole=False):
    gates = np.concatenate([x, h_prev], 1).astype(np.float64) @ w + b

    def loss(gates=gates, cs_prev=cs_prev, wci=wci, wcf=wcf, wco=wco):
        out = lstm_gates_step(gates, cs_prev, wci, wcf, wco, 1.0, -1, use_peephole, "icfo")
        return np.sum(out[1] * cs_grad) + np.sum(out[6] * h_grad)

    got = [numeric(lambda v: loss(cs_prev=v), cs_prev), numeric(lambda v: loss(gates=v), gates)]
    got += [numeric(lambda v, k=k: loss(**{k: v}), p) if use_peephole else np.zeros(N)
            for k, p in (("wci", wci), ("wcf", wcf), ("wco", wco))]
    return tuple(g.astype(F) for g in got)


def ref_block_lstm_grad(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci,
                        co, h, cs_grad, h_grad, use_peephole=False, layout="icfo"):
    args = {k: np.asarray(v, np.float64) for k, v in dict(
        x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=wci, wcf=wcf, wco=wco, b=b).items()}

    def loss(name, v):
        outs = ref_block_lstm(seq_len_max, **dict(args, **{name: v}), forget_bias=0.5,
                              cell_clip=-1, use_peephole=use_peephole, layout=layout)
        return np.sum(outs[1].astype(np.float64) * cs_grad) + np.sum(outs[6] * h_grad)

    got = []
    for name, value in args.items():
        if name in ("wci", "wcf", "wco") and not use_peephole:
            got.append(np.zeros(N))
        else:
            got.append(numeric(lambda v, name=name: loss(name, v), value))
    return tuple(g.astype(F) for g in got)


def gru_from_bars(x, h_prev, w_ru, w_c, b_ru, b_c, ru_bar=None, c_bar=None):
    n = h_prev.shape[1]
    xh = np.concatenate([x, h_prev], 1).astype(np.float64)
    ru_bar = xh @ w_ru + b_ru if ru_bar is None else ru_bar
    r, u = sig(ru_bar[:, :n]), sig(ru_bar[:, n:])
    xhr = np.concatenate([x, h_prev * r], 1)
    c_bar = xhr @ w_c + b_c if c_bar is None else c_bar
    c = np.tanh(c_bar)
    return r, u, c, u * h_prev + (1 - u) * c


def ref_gru_block_cell(x, h_prev, w_ru, w_c, b_ru, b_c):
    return tuple(v.astype(x.dtype) for v in gru_from_bars(x, h_prev, w_ru, w_c, b_ru, b_c))


def ref_gru_block_cell_grad(x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, d_h):
    def loss(**kw):
        args = dict(x=x, h_prev=h_prev, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c)
        args.update(kw)
        return np.sum(gru_from_bars(**args)[3] * d_h)

    xh = np.concatenate([x, h_prev], 1).astype(np.float64)
    ru_bar = xh @ w_ru + b_ru
    c_bar = np.concatenate([x, h_prev * sig(ru_bar[:, :N])], 1) @ w_c + b_c
    got = [numeric(lambda v: loss(x=v), x), numeric(lambda v: loss(h_prev=v), h_prev),
           numeric(lambda v: loss(c_bar=v, ru_bar=ru_bar), c_bar),
           numeric(lambda v: loss(ru_bar=v), ru_bar)]
    return tuple(g.astype(F) for g in got)


# -- inputs ----------------------------------------------------------------------------------------
X, CS0, H0 = f32(T, B, D), f32(B, N), f32(B, N)
W, BIAS = f32(D + N, 4 * N), f32(4 * N, scale=0.1)
WCI, WCF, WCO = f32(N), f32(N), f32(N)
CELL = [X[0], CS0, H0, W, WCI, WCF, WCO, BIAS]
SEQ = [Const(np.int64(T)), X, CS0, H0, W, WCI, WCF, WCO, BIAS]
SEQ_SHORT = [Const(np.int64(2))] + SEQ[1:]


def _lstm_grad_case(peep):
    outs = ref_lstm_block_cell(*CELL, forget_bias=1.0, cell_clip=-1.0, use_peephole=peep)
    return Case("LSTMBlockCellGrad", CELL + list(outs[:6]) + [f32(B, N), f32(B, N)],
                ref_lstm_block_cell_grad, attrs={"use_peephole": peep}, rtol=2e-3, atol=2e-4,
                id=f"LSTMBlockCellGrad-peephole_{peep}")


def _block_grad_case(op, layout, peep, seq):
    # (the Grad ops take the forward's outputs, whatever forget bias made them; the
    # reference's loss is run with the same one)
    outs = ref_block_lstm(seq[0].value, *seq[1:], forget_bias=0.5, cell_clip=-1,
                          use_peephole=peep, layout=layout)
    return Case(op, seq + list(outs) + [f32(T, B, N), f32(T, B, N)],
                lambda *a, **k: ref_block_lstm_grad(*a, **k, layout=layout),
                attrs={"use_peephole": peep}, rtol=2e-3, atol=2e-4,
                id=f"{op}-peephole_{peep}-len_{int(seq[0].value)}")


GRU = [X[0], H0, f32(D + N, 2 * N), f32(D + N, N), f32(2 * N, scale=0.1), f32(N, scale=0.1)]

CASES = [
    Case("LSTMBlockCell", CELL, ref_lstm_block_cell, id="LSTMBlockCell-defaults"),
    Case("LSTMBlockCell", CELL, ref_lstm_block_cell,
         attrs={"forget_bias": 0.7, "cell_clip": 0.2, "use_peephole": True}, grad=[],
         id="LSTMBlockCell-clipped"),
    Case("LSTMBlockCell", CELL, ref_lstm_block_cell,
         attrs={"forget_bias": 0.7, "cell_clip": -1.0, "use_peephole": True},
         id="LSTMBlockCell-peephole"),
    Case("BlockLSTM", SEQ, ref_block_lstm,
         attrs={"forget_bias": 0.6, "cell_clip": -1.0, "use_peephole": True},
         id="BlockLSTM-peephole"),
    Case("BlockLSTM", SEQ_SHORT, ref_block_lstm, attrs={"forget_bias": 1.0, "cell_clip": 0.25},
         grad=[], id="BlockLSTM-short-clipped"),
    Case("BlockLSTMV2", SEQ, lambda *a, **k: ref_block_lstm(*a, **k, layout="ifco"),
         attrs={"cell_clip": 0.0, "use_peephole": True}, id="BlockLSTMV2-peephole"),
    Case("BlockLSTMV2", SEQ_SHORT, lambda *a, **k: ref_block_lstm(*a, **k, layout="ifco"),
         id="BlockLSTMV2-short"),
    _lstm_grad_case(False),
    _lstm_grad_case(True),
    _block_grad_case("BlockLSTMGrad", "icfo", True, SEQ),
    _block_grad_case("BlockLSTMGrad", "icfo", False, SEQ_SHORT),
    _block_grad_case("BlockLSTMGradV2", "ifco", True, SEQ_SHORT),
    _block_grad_case("BlockLSTMGradV2", "ifco", False, SEQ),
    Case("GRUBlockCell", GRU, ref_gru_block_cell),
    Case("GRUBlockCellGrad",
         GRU + list(ref_gru_block_cell(*GRU)[:3]) + [f32(B, N)], ref_gru_block_cell_grad,
         rtol=2e-3, atol=2e-4),
]
