"""TF's fused recurrent-cell ops (``tensorflow/core/ops/rnn_ops.cc``): LSTMBlockCell, BlockLSTM,
BlockLSTMV2, GRUBlockCell and their *Grad ops, used by TF 1.x's tf.contrib.rnn LSTMBlockCell,
LSTMBlockFusedCell and GRUBlockCell (core/contrib/rnn_block.py) and by GraphDefs that hold them.

The kernels follow TF's functors (lstm_ops.h, gru_ops.h) equation by equation, including what
TF's backward kernels leave out: the *Grad ops ignore the cell clip. Gates are laid out
``i, c, f, o`` (``icfo``) in LSTMBlockCell/BlockLSTM and ``i, f, c, o`` in BlockLSTMV2, which
has no forget bias (Keras's layout). BlockLSTM steps past ``seq_len_max`` output zeros.

The gradients are TF's rules (_LSTMBlockCellGrad, _BlockLSTMGrad, _GRUBlockCellGrad), which
use only the gradients of ``cs`` and ``h``; when a gradient also reaches an intermediate output
(``i``, ``f``, ``r``...), which TF's rules would silently drop, the gradient is taken through
the same cell rebuilt from ordinary ops instead (a static time dimension is then needed).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from . import (array_ops, concat_split_ops, linalg_ops, logic_ops, math_ops, slicing_ops,
               unary_ops)
from .nn_ops import BIAS_ADD, BIAS_ADD_GRAD

__all__: list[str] = []

_ICFO, _IFCO = "icfo", "ifco"


def _bad(message):
    return InvalidArgumentError(None, None, message)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- kernels ---------------------------------------------------------------------------------------
def _check_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b):
    """TF's LSTMBlockCellOp checks, with its messages; returns (batch, input, cell) sizes."""
    if x.ndim != 2:
        raise _bad("x must be 2D")
    batch, inputs = x.shape
    if b.ndim != 1 or b.shape[0] % 4:
        raise _bad(f"b must be 1D with a size divisible by 4: {list(b.shape)}")
    cell = b.shape[0] // 4
    for name, t in (("cs_prev", cs_prev), ("h_prev", h_prev)):
        if t.ndim != 2 or t.shape[0] != batch:
            raise _bad(f"{name}.dims(0) != batch_size: {t.shape[0] if t.ndim else t.shape} "
                       f"vs. {batch}")
        if t.shape[1] != cell:
            raise _bad(f"{name}.dims(1) != cell_size: {t.shape[1]} vs. {cell}")
    if w.ndim != 2 or w.shape[0] != inputs + cell:
        raise _bad(f"w.dim_size(0) != input_size + cell_size: {w.shape[0] if w.ndim else 0} "
                   f"vs. {inputs + cell}")
    if w.shape[1] != 4 * cell:
        raise _bad(f"w.dim_size(1) != cell_size * 4: {w.shape[1]} vs. {4 * cell}")
    for name, t in (("wci", wci), ("wcf", wcf), ("wco", wco)):
        if t.shape != (cell,):
            raise _bad(f"{name} must be a vector of cell_size {cell}: {list(t.shape)}")
    return batch, inputs, cell


def _cell_fprop(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole,
                layout):
    """TF's LSTMBlockCellFprop: (i, cs, f, o, ci, co, h)."""
    g = np.concatenate([x, h_prev], 1) @ w + b
    if layout == _ICFO:
        gi, gc, gf, go = np.split(g, 4, axis=1)
    else:
        gi, gf, gc, go = np.split(g, 4, axis=1)
    peep = use_peephole
    i = _sigmoid(gi + cs_prev * wci) if peep else _sigmoid(gi)
    f = _sigmoid(gf + forget_bias + cs_prev * wcf) if peep else _sigmoid(gf + forget_bias)
    ci = np.tanh(gc)
    cs = ci * i + cs_prev * f
    if cell_clip > 0:
        cs = np.clip(cs, -cell_clip, cell_clip)
    o = _sigmoid(go + cs * wco) if peep else _sigmoid(go)
    co = np.tanh(cs)
    return [a.astype(x.dtype, copy=False) for a in (i, cs, f, o, ci, co, co * o)]


def _cell_bprop(cs_prev, wci, wcf, wco, i, cs, f, o, ci, co, cs_grad, h_grad, use_peephole,
                layout):
    """TF's LSTMBlockCellBprop: (cs_prev_grad, dgates, wci_grad, wcf_grad, wco_grad); the
    peephole gradients are zeros without peepholes."""
    do = o * (1 - o) * h_grad * co
    dcs = (1 - co * co) * h_grad * o + cs_grad
    if use_peephole:
        dcs = dcs + do * wco
    dci = (1 - ci * ci) * dcs * i
    df = (1 - f) * f * dcs * cs_prev
    di = (1 - i) * i * dcs * ci
    gates = [di, dci, df, do] if layout == _ICFO else [di, df, dci, do]
    cs_prev_grad = dcs * f
    zero = np.zeros_like(wci)
    if use_peephole:
        cs_prev_grad = cs_prev_grad + di * wci + df * wcf
        peeps = [(di * cs_prev).sum(0), (df * cs_prev).sum(0), (do * cs).sum(0)]
    else:
        peeps = [zero, zero, zero]
    return [cs_prev_grad, np.concatenate(gates, 1)] + [p.astype(wci.dtype) for p in peeps]


def _lstm_block_cell_kernel(x, cs_prev, h_prev, w, wci, wcf, wco, b, *, forget_bias, cell_clip,
                            use_peephole):
    _check_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b)
    return _cell_fprop(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip,
                       use_peephole, _ICFO)


def _lstm_block_cell_grad_kernel(x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co,
                                 cs_grad, h_grad, *, use_peephole):
    _check_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b)
    return _cell_bprop(cs_prev, wci, wcf, wco, i, cs, f, o, ci, co, cs_grad, h_grad,
                       use_peephole, _ICFO)


def _check_sequence(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b):
    if x.ndim != 3:
        raise _bad("x must be 3D")
    if np.ndim(seq_len_max) != 0:
        raise _bad(f"seq_len_max must be a scalar: {list(np.shape(seq_len_max))}")
    _check_cell(x[0] if x.shape[0] else np.zeros(x.shape[1:], x.dtype), cs_prev, h_prev, w, wci,
                wcf, wco, b)
    return min(max(int(seq_len_max), 0), x.shape[0])


def _block_lstm_kernel(layout):
    def kernel(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, *, cell_clip, use_peephole,
               forget_bias=0.0):
        steps = _check_sequence(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b)
        outs = [np.zeros(x.shape[:2] + (cs_prev.shape[1],), x.dtype) for _ in range(7)]
        cs, h = cs_prev, h_prev
        for t in range(steps):
            step = _cell_fprop(x[t], cs, h, w, wci, wcf, wco, b, forget_bias, cell_clip,
                               use_peephole, layout)
            for out, value in zip(outs, step):
                out[t] = value
            cs, h = step[1], step[6]
        return outs
    return kernel


def _block_lstm_grad_kernel(layout):
    def kernel(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h,
               cs_grad, h_grad, *, use_peephole):
        steps = _check_sequence(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b)
        inputs = x.shape[2]
        x_grad = np.zeros_like(x)
        w_grad, b_grad = np.zeros_like(w), np.zeros_like(b)
        peep_grads = [np.zeros_like(wci) for _ in range(3)]
        dcs_next, dh_next = np.zeros_like(cs_prev), np.zeros_like(h_prev)
        for t in range(steps - 1, -1, -1):
            cs_t_prev = cs_prev if t == 0 else cs[t - 1]
            h_t_prev = h_prev if t == 0 else h[t - 1]
            dcs_next, gates, *peeps = _cell_bprop(
                cs_t_prev, wci, wcf, wco, i[t], cs[t], f[t], o[t], ci[t], co[t],
                cs_grad[t] + dcs_next, h_grad[t] + dh_next, use_peephole, layout)
            xh_grad = gates @ w.T
            x_grad[t], dh_next = xh_grad[:, :inputs], xh_grad[:, inputs:]
            w_grad += np.concatenate([x[t], h_t_prev], 1).T @ gates
            b_grad += gates.sum(0)
            for acc, p in zip(peep_grads, peeps):
                acc += p
        return [x_grad, dcs_next.astype(x.dtype), dh_next.astype(x.dtype), w_grad] + \
            peep_grads + [b_grad]
    return kernel


def _gru_check(x, h_prev, w_ru, w_c, b_ru, b_c):
    """TF's GRUCellBlockOp checks, with its messages."""
    if x.ndim != 2:
        raise _bad("Rank of x should be 2")
    batch, inputs = x.shape
    cell = h_prev.shape[1] if h_prev.ndim == 2 else -1
    checks = ((h_prev.ndim == 2 and h_prev.shape[0] == batch, "h_prev.dims(0) != batch_size"),
              (w_ru.shape == (inputs + cell, 2 * cell), "w_ru has a wrong shape"),
              (w_c.shape == (inputs + cell, cell), "w_c has a wrong shape"),
              (b_ru.shape == (2 * cell,), "b_ru.dims(0) != cell_size * 2"),
              (b_c.shape == (cell,), "b_c.dims(0) != cell_size"))
    for ok, message in checks:
        if not ok:
            raise _bad(f"{message}: x {list(x.shape)}, h_prev {list(h_prev.shape)}, w_ru "
                       f"{list(w_ru.shape)}, w_c {list(w_c.shape)}, b_ru {list(b_ru.shape)}, "
                       f"b_c {list(b_c.shape)}")
    return inputs, cell


def _gru_block_cell_kernel(x, h_prev, w_ru, w_c, b_ru, b_c):
    _, cell = _gru_check(x, h_prev, w_ru, w_c, b_ru, b_c)
    ru = _sigmoid(np.concatenate([x, h_prev], 1) @ w_ru + b_ru)
    r, u = ru[:, :cell], ru[:, cell:]
    c = np.tanh(np.concatenate([x, h_prev * r], 1) @ w_c + b_c)
    return [a.astype(x.dtype, copy=False) for a in (r, u, c, u * h_prev + (1 - u) * c)]


def _gru_block_cell_grad_kernel(x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, d_h):
    """TF's GRUBlockCellBprop: (d_x, d_h_prev, d_c_bar, d_r_bar_u_bar)."""
    inputs, _ = _gru_check(x, h_prev, w_ru, w_c, b_ru, b_c)
    d_c_bar = d_h * (1 - u) * (1 - c * c)
    d_u_bar = d_h * (h_prev - c) * u * (1 - u)
    via_c = d_c_bar @ w_c.T
    d_r_bar = via_c[:, inputs:] * h_prev * r * (1 - r)
    d_r_bar_u_bar = np.concatenate([d_r_bar, d_u_bar], 1)
    via_ru = d_r_bar_u_bar @ w_ru.T
    d_x = via_c[:, :inputs] + via_ru[:, :inputs]
    d_h_prev = d_h * u + via_c[:, inputs:] * r + via_ru[:, inputs:]
    return [a.astype(x.dtype, copy=False) for a in (d_x, d_h_prev, d_c_bar, d_r_bar_u_bar)]


# -- static inference ------------------------------------------------------------------------------
def _rank(spec, rank, what, op):
    if spec.shape.rank is not None and spec.shape.rank != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank} for "
                          f"'{op}' input {what}")


def _dim(spec, i):
    return spec.shape[i].value if spec.shape.rank is not None else None


def _cell_sizes(x, cs_prev, h_prev, w, b, op, batch_axis=0):
    for spec, what, rank in ((cs_prev, "cs_prev", 2), (h_prev, "h_prev", 2), (w, "w", 2),
                             (b, "b", 1)):
        _rank(spec, rank, what, op)
    batch = _dim(x, batch_axis)
    cell = _dim(cs_prev, 1)
    if cell is None and _dim(b, 0) is not None:
        cell = _dim(b, 0) // 4
    return batch, cell


def _lstm_block_cell_infer(x, cs_prev, h_prev, w, wci, wcf, wco, b, **_):
    _rank(x, 2, "x", "LSTMBlockCell")
    batch, cell = _cell_sizes(x, cs_prev, h_prev, w, b, "LSTMBlockCell")
    return [TensorSpec(TensorShape([batch, cell]), x.dtype)] * 7


def _lstm_block_cell_grad_infer(x, cs_prev, h_prev, w, wci, wcf, wco, b, *rest, **_):
    _rank(x, 2, "x", "LSTMBlockCellGrad")
    batch, cell = _cell_sizes(x, cs_prev, h_prev, w, b, "LSTMBlockCellGrad")
    gates = TensorShape([batch, None if cell is None else 4 * cell])
    return [TensorSpec(TensorShape([batch, cell]), x.dtype), TensorSpec(gates, x.dtype)] + \
        [TensorSpec(TensorShape([cell]), x.dtype)] * 3


def _block_lstm_infer(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, **_):
    _rank(x, 3, "x", "BlockLSTM")
    _rank(seq_len_max, 0, "seq_len_max", "BlockLSTM")
    batch, cell = _cell_sizes(x, cs_prev, h_prev, w, b, "BlockLSTM", batch_axis=1)
    return [TensorSpec(TensorShape([_dim(x, 0), batch, cell]), x.dtype)] * 7


def _block_lstm_grad_infer(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, *rest, **_):
    _rank(x, 3, "x", "BlockLSTMGrad")
    return [TensorSpec(s.shape, x.dtype) for s in (x, cs_prev, h_prev, w, wci, wcf, wco, b)]


def _gru_block_cell_infer(x, h_prev, w_ru, w_c, b_ru, b_c):
    _rank(x, 2, "x", "GRUBlockCell")
    _rank(h_prev, 2, "h_prev", "GRUBlockCell")
    shape = TensorShape([_dim(x, 0), _dim(h_prev, 1)])
    return [TensorSpec(shape, x.dtype)] * 4


def _gru_block_cell_grad_infer(x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, d_h):
    _rank(x, 2, "x", "GRUBlockCellGrad")
    cell = _dim(h_prev, 1)
    return [TensorSpec(x.shape, x.dtype), TensorSpec(h_prev.shape, x.dtype),
            TensorSpec(h_prev.shape, x.dtype),
            TensorSpec(TensorShape([_dim(x, 0), None if cell is None else 2 * cell]),
                       x.dtype)]


# -- gradients -------------------------------------------------------------------------------------
def _only_through(op, grads, kept):
    """Whether every output gradient outside the ``kept`` outputs is the zeros tf.gradients
    fills in for an output nothing depends on (so TF's rules, which drop them, are exact)."""
    return all(k in kept or _zeros_of(g, out) for k, (g, out) in enumerate(zip(grads, op.outputs)))


def _zeros_of(grad, out) -> bool:
    """Whether ``grad`` is ZerosLike(out), or, in a while loop's gradient, ZerosLike of the
    copy of ``out`` the forward loop saved (popped from the stack it was pushed onto)."""
    if grad.op.type != "ZerosLike":
        return False
    source = grad.op.inputs[0]
    if source is out:
        return True
    if source.op.type != "StackPopV2":
        return False
    stack = source.op.inputs[0]
    while stack.op.type == "Enter":  # the stack handle, entered into the loop's frames
        stack = stack.op.inputs[0]
    return any(push.type == "StackPushV2" and push.inputs[1] is out
               for enter in stack.consumers() for push in enter.outputs[0].consumers())


def _through_rebuilt(op, grads, rebuild, first=0):
    """The exact gradient: ``rebuild(*inputs)`` builds the op's outputs from ordinary ops, and
    tf.gradients of those, given the op's output gradients, is the gradient of its inputs."""
    from ..gradients import gradients

    inputs = list(op.inputs)[first:]
    result = gradients(rebuild(*inputs), inputs, grad_ys=list(grads))
    return [None] * first + [g if g is not None else array_ops.zeros_like(x)
                             for g, x in zip(result, inputs)]


def _ops_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole,
              layout):
    """_cell_fprop in ordinary ops."""
    g = BIAS_ADD(linalg_ops.matmul(concat_split_ops.concat([x, h_prev], 1), w), b)
    parts = concat_split_ops.split(g, 4, axis=1)
    gi, gc, gf, go = parts if layout == _ICFO else (parts[0], parts[2], parts[1], parts[3])
    sig = unary_ops.sigmoid
    if use_peephole:
        gi, gf = gi + cs_prev * wci, gf + cs_prev * wcf
    i = sig(gi)
    f = sig(gf + math_ops.cast(forget_bias, x.dtype))
    ci = unary_ops.tanh(gc)
    cs = ci * i + cs_prev * f
    if cell_clip > 0:
        cs = math_ops.clip_by_value(cs, -cell_clip, cell_clip)
    o = sig(go + cs * wco) if use_peephole else sig(go)
    co = unary_ops.tanh(cs)
    return [i, cs, f, o, ci, co, co * o]


def _lstm_block_cell_grad(op, *grads):
    """TF's _LSTMBlockCellGrad (LSTMBlockCellGrad for cs and h)."""
    x, cs_prev, h_prev, w, wci, wcf, wco, b = op.inputs
    i, cs, f, o, ci, co, _ = op.outputs
    peep = op._get_attr("use_peephole")
    if not _only_through(op, grads, (1, 6)):
        return _through_rebuilt(op, grads, lambda *a: _ops_cell(
            *a, op._get_attr("forget_bias"), op._get_attr("cell_clip"), peep, _ICFO))
    cs_prev_grad, dicfo, wci_grad, wcf_grad, wco_grad = LSTM_BLOCK_CELL_GRAD(
        x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, grads[1], grads[6],
        use_peephole=peep)
    xh = concat_split_ops.concat([x, h_prev], 1)
    xh_grad = linalg_ops.matmul(dicfo, w, transpose_b=True)
    x_size = x.shape[1].value if x.shape.rank == 2 else None
    if x_size is None:
        x_size = array_ops.shape(x)[1]
    x_grad = slicing_ops.slice_(xh_grad, [0, 0], concat_split_ops.stack([-1, x_size]))
    h_prev_grad = slicing_ops.slice_(xh_grad, concat_split_ops.stack([0, x_size]), [-1, -1])
    w_grad = linalg_ops.matmul(xh, dicfo, transpose_a=True)
    return [x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad,
            BIAS_ADD_GRAD(dicfo)]


def _block_lstm_grad(grad_op, layout):
    def grad(op, *grads):
        """TF's _BlockLSTMGrad / _BlockLSTMGradV2 (the Grad op for cs and h)."""
        peep = op._get_attr("use_peephole")
        if not _only_through(op, grads, (1, 6)):
            steps = op.inputs[1].shape[0].value if op.inputs[1].shape.rank else None
            if steps is None:
                raise ValueError(f"{op.type} '{op.name}': a gradient reaching its gates' "
                                 "outputs needs a static time dimension")
            forget = op._get_attr("forget_bias") if layout == _ICFO else 0.0
            return _through_rebuilt(op, grads, lambda *a: _ops_sequence(
                op.inputs[0], steps, *a, forget, op._get_attr("cell_clip"), peep, layout),
                first=1)
        return [None] + grad_op(*op.inputs, *op.outputs, grads[1], grads[6],
                                use_peephole=peep)
    return grad


def _ops_sequence(seq_len_max, steps, x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias,
                  cell_clip, use_peephole, layout):
    """The BlockLSTM forward in ordinary ops over a static number of steps."""
    outs, cs, h = [], cs_prev, h_prev
    for t, xt in enumerate(concat_split_ops.unstack(x, num=steps)):
        step = _ops_cell(xt, cs, h, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole,
                         layout)
        alive = math_ops.cast(logic_ops.less(math_ops.cast(t, seq_len_max.dtype), seq_len_max),
                              x.dtype)
        outs.append([v * alive for v in step])
        cs, h = step[1], step[6]
    return [concat_split_ops.stack(list(vs)) for vs in zip(*outs)]


def _ops_gru(x, h_prev, w_ru, w_c, b_ru, b_c):
    """_gru_block_cell_kernel in ordinary ops."""
    ru = unary_ops.sigmoid(BIAS_ADD(linalg_ops.matmul(
        concat_split_ops.concat([x, h_prev], 1), w_ru), b_ru))
    r, u = concat_split_ops.split(ru, 2, axis=1)
    c = unary_ops.tanh(BIAS_ADD(linalg_ops.matmul(
        concat_split_ops.concat([x, h_prev * r], 1), w_c), b_c))
    return [r, u, c, u * h_prev + (1 - u) * c]


def _gru_block_cell_grad(op, *grads):
    """TF's _GRUBlockCellGrad (GRUBlockCellGrad for h)."""
    if not _only_through(op, grads, (3,)):
        return _through_rebuilt(op, grads, _ops_gru)
    x, h_prev, w_ru, w_c, b_ru, b_c = op.inputs
    r, u, c, _ = op.outputs
    d_x, d_h_prev, d_c_bar, d_r_bar_u_bar = GRU_BLOCK_CELL_GRAD(
        x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, grads[3])
    x_h_prev = concat_split_ops.concat([x, h_prev], 1)
    x_h_prevr = concat_split_ops.concat([x, h_prev * r], 1)
    return [d_x, d_h_prev, linalg_ops.matmul(x_h_prev, d_r_bar_u_bar, transpose_a=True),
            linalg_ops.matmul(x_h_prevr, d_c_bar, transpose_a=True),
            BIAS_ADD_GRAD(d_r_bar_u_bar), BIAS_ADD_GRAD(d_c_bar)]


# -- declarations ----------------------------------------------------------------------------------
_CELL_IN = ["x:T", "cs_prev:T", "h_prev:T", "w:T", "wci:T", "wcf:T", "wco:T", "b:T"]
_SEQ_IN = ["seq_len_max:int64"] + _CELL_IN
_OUT_IN = ["i:T", "cs:T", "f:T", "o:T", "ci:T", "co:T"]

LSTM_BLOCK_CELL = register(OpDef(
    "LSTMBlockCell", inputs=_CELL_IN,
    attrs={"forget_bias": 1.0, "cell_clip": 3.0, "use_peephole": False},
    kernel=_lstm_block_cell_kernel, infer=_lstm_block_cell_infer, grad=_lstm_block_cell_grad))
LSTM_BLOCK_CELL_GRAD = register(OpDef(
    "LSTMBlockCellGrad", inputs=_CELL_IN + _OUT_IN + ["cs_grad:T", "h_grad:T"],
    attrs={"use_peephole": req("bool")}, kernel=_lstm_block_cell_grad_kernel,
    infer=_lstm_block_cell_grad_infer, grad=NO_GRADIENT))
BLOCK_LSTM_GRAD = register(OpDef(
    "BlockLSTMGrad", inputs=_SEQ_IN + _OUT_IN + ["h:T", "cs_grad:T", "h_grad:T"],
    attrs={"use_peephole": req("bool")}, kernel=_block_lstm_grad_kernel(_ICFO),
    infer=_block_lstm_grad_infer, grad=NO_GRADIENT))
BLOCK_LSTM_GRAD_V2 = register(OpDef(
    "BlockLSTMGradV2", inputs=_SEQ_IN + _OUT_IN + ["h:T", "cs_grad:T", "h_grad:T"],
    attrs={"use_peephole": req("bool")}, kernel=_block_lstm_grad_kernel(_IFCO),
    infer=_block_lstm_grad_infer, grad=NO_GRADIENT))
BLOCK_LSTM = register(OpDef(
    "BlockLSTM", inputs=_SEQ_IN,
    attrs={"forget_bias": 1.0, "cell_clip": 3.0, "use_peephole": False},
    kernel=_block_lstm_kernel(_ICFO), infer=_block_lstm_infer,
    grad=_block_lstm_grad(BLOCK_LSTM_GRAD, _ICFO)))
BLOCK_LSTM_V2 = register(OpDef(
    "BlockLSTMV2", inputs=_SEQ_IN, attrs={"cell_clip": 0.0, "use_peephole": False},
    kernel=_block_lstm_kernel(_IFCO), infer=_block_lstm_infer,
    grad=_block_lstm_grad(BLOCK_LSTM_GRAD_V2, _IFCO)))
GRU_BLOCK_CELL_GRAD = register(OpDef(
    "GRUBlockCellGrad",
    inputs=["x:T", "h_prev:T", "w_ru:T", "w_c:T", "b_ru:T", "b_c:T", "r:T", "u:T", "c:T",
            "d_h:T"],
    kernel=_gru_block_cell_grad_kernel, infer=_gru_block_cell_grad_infer, grad=NO_GRADIENT))
GRU_BLOCK_CELL = register(OpDef(
    "GRUBlockCell", inputs=["x:T", "h_prev:T", "w_ru:T", "w_c:T", "b_ru:T", "b_c:T"],
    kernel=_gru_block_cell_kernel, infer=_gru_block_cell_infer, grad=_gru_block_cell_grad))
