"""TF's cuDNN RNN ops (``tensorflow/core/ops/cudnn_rnn_ops.cc``) with numpy kernels, so a graph
built with tf.contrib.cudnn_rnn (or exported from a GPU machine) runs here: CudnnRNN, V2, V3,
their Backprop ops, CudnnRNNParamsSize and the canonical <-> opaque conversions (V1, V2).

TF registers these with shape functions only; the kernels are GPU ones. Ours compute cuDNN's
equations (gate order: LSTM i, f, c, o; GRU r, z, h with ``h~ = tanh(W_h x + b_Wh + r * (R_h h
+ b_Rh))`` and ``h' = (1 - z) h~ + z h``; RNN ``act(W x + R h + b_W + b_R)``).

The opaque params buffer has cuDNN's standard layout, pseudo-layer (layer x direction, forward
first) after pseudo-layer: input weights (a row-major ``[units, width]`` matrix per gate),
recurrent weights (``[units, units]`` per gate), input biases, recurrent biases. The canonical
tensors are those, in that order; a pseudo-layer's gates stack into one ``[gates * units,
width]`` matrix without copying.

``reserve_space`` holds the dropout masks a training forward drew (empty without dropout); the
Backprop ops recompute the forward with them, so gradients match the forward that ran.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, \
    shape_error
from ..tensor_shape import TensorShape
from .rnn_block_ops import _dim, _rank, _sigmoid

__all__: list[str] = []

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_ALLOWED = {"rnn_mode": ("rnn_relu", "rnn_tanh", "lstm", "gru"),
            "input_mode": ("linear_input", "skip_input", "auto_select"),
            "direction": ("unidirectional", "bidirectional")}


def _bad(message):
    return InvalidArgumentError(None, None, message)


def _check_attrs(attrs):
    """TF's allowed values of the string attrs (checked when the op is built)."""
    for name, allowed in _ALLOWED.items():
        if name in attrs and attrs[name] not in allowed:
            raise shape_error(f"Value for attr '{name}' of \"{attrs[name]}\" is not in the list "
                              f"of allowed values: {', '.join(repr(a) for a in allowed)}")


def _dirs(direction):
    return 2 if direction == "bidirectional" else 1


def _check_model(rnn_mode, input_mode, units, input_size, num_proj=0):
    """Refuses what the kernels do not compute (cuDNN's skip_input and LSTM projection)."""
    if input_mode == "skip_input" or (input_mode == "auto_select" and input_size == units):
        raise UnimplementedError(None, None, f"cuDNN RNN input_mode '{input_mode}' (no input "
                                 "projection in the first layer) is not supported on CPU; use "
                                 "'linear_input'")
    if num_proj:
        raise UnimplementedError(None, None, f"cuDNN LSTM projection (num_proj={num_proj}) is "
                                 "not supported on CPU")
    if rnn_mode not in _GATES:
        raise _bad(f"Invalid rnn_mode: {rnn_mode}")


def layer_widths(num_layers, num_units, input_size, dirs):
    """Width of each pseudo-layer's input (layer 0: input_size; later: dirs * units)."""
    return [input_size if p < dirs else dirs * num_units for p in range(num_layers * dirs)]


def params_size(rnn_mode, num_layers, num_units, input_size, dirs) -> int:
    """Elements of the opaque buffer: every gate's weights and both biases."""
    g = _GATES[rnn_mode]
    return sum(g * num_units * (w + num_units + 2)
               for w in layer_widths(num_layers, num_units, input_size, dirs))


def _unpack(params, rnn_mode, layers, units, input_size, dirs):
    """[(W [G*U, width], R [G*U, U], bW [G*U], bR [G*U])] per pseudo-layer."""
    want = params_size(rnn_mode, layers, units, input_size, dirs)
    if params.ndim != 1 or params.size != want:
        raise _bad(f"Invalid params: a {rnn_mode} of {layers} layer(s), {units} units, input "
                   f"size {input_size}, {dirs} direction(s) needs a vector of {want} params, got "
                   f"shape {list(params.shape)}")
    gu, at, blocks = _GATES[rnn_mode] * units, 0, []
    for w in layer_widths(layers, units, input_size, dirs):
        sizes = [gu * w, gu * units, gu, gu]
        parts = np.split(params[at:at + sum(sizes)], np.cumsum(sizes)[:-1])
        blocks.append((parts[0].reshape(gu, w), parts[1].reshape(gu, units), parts[2],
                       parts[3]))
        at += sum(sizes)
    return blocks


# -- one step of each cell: (h, c, cache) forward; (d gx, d gh, d h_prev direct, d c_prev) back --
def _lstm_step(gx, gh, h, c):
    i, f, g, o = np.split(gx + gh, 4, axis=1)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, tc)


def _lstm_back(cache, gh, h, c, dh, dc):
    i, f, g, o, tc = cache
    dct = dc + dh * o * (1 - tc * tc)
    dz = np.concatenate([dct * g * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - g * g),
                         dh * tc * o * (1 - o)], 1)
    return dz, dz, 0, dct * f


def _gru_step(gx, gh, h, c):
    u = h.shape[1]
    r = _sigmoid(gx[:, :u] + gh[:, :u])
    z = _sigmoid(gx[:, u:2 * u] + gh[:, u:2 * u])
    n = np.tanh(gx[:, 2 * u:] + r * gh[:, 2 * u:])
    return (1 - z) * n + z * h, c, (r, z, n)


def _gru_back(cache, gh, h, c, dh, dc):
    r, z, n = cache
    dn = dh * (1 - z) * (1 - n * n)
    dz = dh * (h - n) * z * (1 - z)
    dr = dn * gh[:, 2 * h.shape[1]:] * r * (1 - r)
    return np.concatenate([dr, dz, dn], 1), np.concatenate([dr, dz, dn * r], 1), dh * z, dc


def _rnn_step(relu):
    def step(gx, gh, h, c):
        a = gx + gh
        h_new = np.maximum(a, 0) if relu else np.tanh(a)
        return h_new, c, (h_new,)

    def back(cache, gh, h, c, dh, dc):
        (h_new,) = cache
        da = dh * (h_new > 0) if relu else dh * (1 - h_new * h_new)
        return da, da, 0, dc
    return step, back


_CELLS = {"lstm": (_lstm_step, _lstm_back), "gru": (_gru_step, _gru_back),
          "rnn_tanh": _rnn_step(False), "rnn_relu": _rnn_step(True)}


def _run(step, gx, h, c, R, bR, active, reverse):
    """One direction of one layer over time; steps a sequence does not reach (V3's lengths)
    keep the state and output zeros, so a reverse pass starts at each sequence's last step."""
    out, caches = np.zeros(gx.shape[:2] + (h.shape[1],), gx.dtype), [None] * gx.shape[0]
    for t in (range(gx.shape[0] - 1, -1, -1) if reverse else range(gx.shape[0])):
        gh = h @ R.T + bR
        h_new, c_new, cache = step(gx[t], gh, h, c)
        caches[t] = (cache, gh, h, c)
        if active is not None:
            a = active[t][:, None]
            h_new, c_new = np.where(a, h_new, h), np.where(a, c_new, c)
            out[t] = np.where(a, h_new, 0)
        else:
            out[t] = h_new
        h, c = h_new, c_new
    return out, h, c, caches


def _run_back(back, caches, R, dout, dh, dc, active, reverse):
    dgx = np.zeros(dout.shape[:2] + (R.shape[0],), dout.dtype)
    dR, dbR = np.zeros_like(R), np.zeros(R.shape[0], R.dtype)
    for t in (range(len(caches)) if reverse else range(len(caches) - 1, -1, -1)):
        cache, gh, h, c = caches[t]
        dh_in, dc_in, keep_h, keep_c = dh + dout[t], dc, 0, 0
        if active is not None:
            a = active[t][:, None]
            dh_in, dc_in, keep_h, keep_c = (np.where(a, dh_in, 0), np.where(a, dc, 0),
                                            np.where(a, 0, dh), np.where(a, 0, dc))
        dgx[t], dgh, dh_direct, dc_prev = back(cache, gh, h, c, dh_in, dc_in)
        dR += dgh.T @ h
        dbR += dgh.sum(0)
        dh = dh_direct + dgh @ R + keep_h
        dc = dc_prev + keep_c
    return dgx, dR, dbR, dh, dc


class _Model:
    """The sizes an op's inputs give (as TF's ExtractForwardInput) and the computation."""

    def __init__(self, x, h, c, params, lens, attrs):
        self.mode, self.dirs = attrs["rnn_mode"], _dirs(attrs["direction"])
        self.time_major = attrs.get("time_major", True)
        if x.ndim != 3:
            raise _bad("RNN input must be a 3-D vector.")
        if h.ndim != 3:  # (TF's messages)
            raise _bad("RNN input_h must be a 3-D vector.")
        if not self.time_major:  # [batch, time, depth] and [batch, layers, units]
            x, h = x.transpose(1, 0, 2), h.transpose(1, 0, 2)
            c = c.transpose(1, 0, 2) if c.ndim == 3 else c
        self.steps, self.batch, self.input_size = x.shape
        self.layers, self.units = h.shape[0] // self.dirs, h.shape[2]
        state = (self.dirs * self.layers, self.batch, self.units)
        if h.shape != state:
            raise _bad(f"Invalid input_h shape: {list(h.shape)} {list(state)}")
        lstm = self.mode == "lstm"
        if lstm and c.shape != state:
            raise _bad(f"Invalid input_c shape: {list(c.shape)} {list(state)}")
        _check_model(self.mode, attrs["input_mode"], self.units, self.input_size,
                     attrs.get("num_proj", 0))
        self.work = np.float32 if x.dtype == np.float16 else x.dtype
        self.x, self.h = x.astype(self.work), h.astype(self.work)
        self.c = c.astype(self.work) if lstm else np.zeros(state, self.work)
        self.blocks = [tuple(p.astype(self.work) for p in b) for b in _unpack(
            np.asarray(params), self.mode, self.layers, self.units, self.input_size, self.dirs)]
        self.active = None
        if lens is not None:
            lens = np.asarray(lens)
            if lens.shape != (self.batch,) or lens.min(initial=0) < 0 or \
                    lens.max(initial=0) > self.steps:
                raise _bad(f"sequence_lengths must be a vector of {self.batch} lengths in "
                           f"[0, {self.steps}], got {lens.tolist()}")
            self.active = np.arange(self.steps)[:, None] < lens[None, :]
        self.dtype = x.dtype

    def forward(self, masks):
        step = _CELLS[self.mode][0]
        inp, self.record = self.x, []
        h_out, c_out = np.empty_like(self.h), np.empty_like(self.c)
        for layer in range(self.layers):
            outs, caches = [], []
            for d in range(self.dirs):
                p = layer * self.dirs + d
                W, R, bW, bR = self.blocks[p]
                out, h_out[p], c_out[p], cache = _run(step, inp @ W.T + bW, self.h[p],
                                                      self.c[p], R, bR, self.active, d == 1)
                outs.append(out)
                caches.append(cache)
            self.record.append((inp, caches))
            out = np.concatenate(outs, 2)
            inp = out * masks[layer] if masks is not None and layer < self.layers - 1 else out
        return out, h_out, c_out

    def backward(self, masks, dy, dh, dc):
        back = _CELLS[self.mode][1]
        grads, dh0, dc0 = [None] * len(self.blocks), np.empty_like(self.h), np.empty_like(self.c)
        for layer in range(self.layers - 1, -1, -1):
            inp, caches = self.record[layer]
            d_inp = np.zeros_like(inp)
            for d in range(self.dirs):
                p = layer * self.dirs + d
                W, R, _, _ = self.blocks[p]
                dgx, dR, dbR, dh0[p], dc0[p] = _run_back(
                    back, caches[d], R, dy[..., d * self.units:(d + 1) * self.units], dh[p],
                    dc[p], self.active, d == 1)
                grads[p] = (np.einsum("tbg,tbi->gi", dgx, inp), dR, dgx.sum((0, 1)), dbR)
                d_inp += dgx @ W
            dy = d_inp * masks[layer - 1] if masks is not None and layer > 0 else d_inp
        flat = np.concatenate([g.reshape(-1) for b in grads for g in b])
        return dy, dh0, dc0, flat

    def batch_major(self, t):
        return t if self.time_major or t.ndim != 3 else t.transpose(1, 0, 2)


def _masks_from(reserve, model):
    reserve = np.asarray(reserve).reshape(-1)
    if reserve.size == 0:
        return None
    shape = (model.steps, model.batch, model.dirs * model.units)
    if reserve.size != (model.layers - 1) * int(np.prod(shape)):
        raise _bad(f"reserve_space of {reserve.size} elements is not what the forward op made "
                   f"for this model")
    return reserve.astype(model.work).reshape((model.layers - 1,) + shape)


def _forward_kernel(version):
    def kernel(rng, x, h, c, params, *rest, **attrs):
        model = _Model(x, h, c, params, rest[0] if version == 3 else None, attrs)
        masks, dropout = None, attrs["dropout"]
        if not 0 <= dropout < 1:
            raise _bad(f"dropout must be in [0, 1), got {dropout}")
        if attrs["is_training"] and dropout > 0 and model.layers > 1:  # between layers
            shape = (model.layers - 1, model.steps, model.batch, model.dirs * model.units)
            masks = ((rng.random(shape) >= dropout) / (1 - dropout)).astype(model.work)
        y, h_out, c_out = model.forward(masks)
        dt = model.dtype
        outs = [model.batch_major(t).astype(dt) for t in (y, h_out, c_out)]
        outs[2] = outs[2] if model.mode == "lstm" else np.zeros((), dt)
        outs.append((masks.reshape(-1) if masks is not None else np.zeros(0)).astype(dt))
        return outs + ([np.zeros(0, np.int8)] if version > 1 else [])
    return kernel


def _backprop_kernel(version):
    def kernel(x, h, c, params, *rest, **attrs):
        lens, rest = (rest[0], rest[1:]) if version == 3 else (None, rest)
        _, _, _, dy, dh, dc, reserve = rest[:7]
        model = _Model(x, h, c, params, lens, attrs)
        masks = _masks_from(reserve, model)
        model.forward(masks)

        def time_major(t):
            t = np.asarray(t, model.work)
            return t if model.time_major or t.ndim != 3 else t.transpose(1, 0, 2)
        dc = time_major(dc) if model.mode == "lstm" else np.zeros_like(model.c)
        dx, dh0, dc0, dparams = model.backward(masks, time_major(dy), time_major(dh), dc)
        dt = model.dtype
        return [model.batch_major(dx).astype(dt), model.batch_major(dh0).astype(dt),
                model.batch_major(dc0).astype(dt) if model.mode == "lstm" else np.zeros_like(c),
                dparams.astype(np.asarray(params).dtype)]
    return kernel


def _sizes(*values):
    for v, what in zip(values, ("num_layers", "num_units", "input_size")):
        if np.ndim(v) != 0:
            raise _bad(f"{what} must be a scalar, got shape {list(np.shape(v))}")
    return tuple(int(v) for v in values)


def _params_size_kernel(num_layers, num_units, input_size, *, S, rnn_mode, input_mode,
                        direction, num_proj, **_):
    layers, units, size = _sizes(num_layers, num_units, input_size)
    _check_model(rnn_mode, input_mode, units, size, num_proj)
    return np.array([params_size(rnn_mode, layers, units, size, _dirs(direction))],
                    S.as_numpy_dtype)


def _canonical_shapes(rnn_mode, layers, units, input_size, dirs):
    """([weight shapes], [bias shapes]) in canonical order."""
    g, ws, bs = _GATES[rnn_mode], [], []
    for w in layer_widths(layers, units, input_size, dirs):
        ws += [(units, w)] * g + [(units, units)] * g
        bs += [(units,)] * (2 * g)
    return ws, bs


def _to_canonical_kernel(num_layers, num_units, input_size, params, *, rnn_mode, input_mode,
                         direction, num_params=None, num_params_weights=None,
                         num_params_biases=None, num_proj=0, **_):
    layers, units, size = _sizes(num_layers, num_units, input_size)
    _check_model(rnn_mode, input_mode, units, size, num_proj)
    dirs = _dirs(direction)
    ws, bs = _canonical_shapes(rnn_mode, layers, units, size, dirs)
    nw = num_params if num_params is not None else num_params_weights
    nb = num_params if num_params is not None else num_params_biases
    if (nw, nb) != (len(ws), len(bs)):
        raise _bad(f"Number of params mismatch. Expected {nw} weights and {nb} biases, got "
                   f"{len(ws)} and {len(bs)}")
    weights, biases = [], []
    for W, R, bW, bR in _unpack(np.asarray(params), rnn_mode, layers, units, size, dirs):
        weights += list(W.reshape(-1, units, W.shape[1])) + list(R.reshape(-1, units, units))
        biases += list(bW.reshape(-1, units)) + list(bR.reshape(-1, units))
    return [np.array(a) for a in weights + biases]


def _to_params_kernel(num_layers, num_units, input_size, weights, biases, *, rnn_mode,
                      input_mode, direction, num_proj=0, **_):
    layers, units, size = _sizes(num_layers, num_units, input_size)
    _check_model(rnn_mode, input_mode, units, size, num_proj)
    ws, bs = _canonical_shapes(rnn_mode, layers, units, size, _dirs(direction))
    if (len(weights), len(biases)) != (len(ws), len(bs)):
        raise _bad(f"Number of params mismatch. Expected {len(ws)} weights and {len(bs)} "
                   f"biases, got {len(weights)} and {len(biases)}")
    for kind, got, want in (("weights", weights, ws), ("biases", biases, bs)):
        for k, (t, shape) in enumerate(zip(got, want)):
            if np.size(t) != int(np.prod(shape)):
                raise _bad(f"Params size mismatch for {kind}[{k}]. Expected "
                           f"{int(np.prod(shape))}, got {np.size(t)}")
    g2 = 2 * _GATES[rnn_mode]
    parts = [np.asarray(t).reshape(-1) for p in range(len(ws) // g2)
             for t in list(weights[p * g2:(p + 1) * g2]) + list(biases[p * g2:(p + 1) * g2])]
    return np.concatenate(parts) if parts else np.zeros(0, np.asarray(weights[0]).dtype)


# -- static inference ------------------------------------------------------------------------------
def _forward_infer(version):
    def infer(x, h, c, params, *rest, **attrs):
        _check_attrs(attrs)
        op = "CudnnRNN" + ("" if version == 1 else f"V{version}")
        for spec, what in ((x, "input"), (h, "input_h")):
            _rank(spec, 3, what, op)
        _rank(params, 1, "params", op)
        units = _dim(h, 2)
        out = TensorShape([_dim(x, 0), _dim(x, 1),
                           None if units is None else units * _dirs(attrs["direction"])])
        c_shape = c.shape if attrs["rnn_mode"] == "lstm" else TensorShape([])
        specs = [TensorSpec(out, x.dtype), TensorSpec(h.shape, x.dtype),
                 TensorSpec(c_shape, x.dtype), TensorSpec(TensorShape(None), x.dtype)]
        return specs + ([TensorSpec(TensorShape(None), _dt.int8)] if version > 1 else [])
    return infer


def _backprop_infer(x, h, c, params, *rest, **attrs):
    _check_attrs(attrs)
    return [TensorSpec(s.shape, x.dtype) for s in (x, h, c, params)]


def _params_size_infer(num_layers, num_units, input_size, **attrs):
    _check_attrs(attrs)
    for spec, what in ((num_layers, "num_layers"), (num_units, "num_units"),
                       (input_size, "input_size")):
        _rank(spec, 0, what, "CudnnRNNParamsSize")
    return [TensorSpec(TensorShape([1]), attrs["S"])]


def _to_canonical_infer(num_layers, num_units, input_size, params, *, num_params=None,
                        num_params_weights=None, num_params_biases=None, **attrs):
    _check_attrs(attrs)
    _rank(params, 1, "params", "CudnnRNNParamsToCanonical")
    nw = num_params if num_params is not None else num_params_weights
    nb = num_params if num_params is not None else num_params_biases
    ws, bs = [[None, None]] * nw, [[None]] * nb
    sizes = [s.value for s in (num_layers, num_units, input_size)]  # known when constants
    if all(v is not None and np.ndim(v) == 0 for v in sizes) and not attrs.get("num_proj"):
        known = _canonical_shapes(attrs["rnn_mode"], *(int(v) for v in sizes),
                                  _dirs(attrs["direction"]))
        if (len(known[0]), len(known[1])) == (nw, nb):
            ws, bs = known
    return [TensorSpec(TensorShape(list(s)), params.dtype) for s in ws + bs]


def _to_params_infer(num_layers, num_units, input_size, weights, biases, **attrs):
    _check_attrs(attrs)
    sizes = [s.shape.num_elements() for s in weights + biases]
    total = None if any(n is None for n in sizes) else sum(sizes)
    return [TensorSpec(TensorShape([total]), weights[0].dtype)]


# -- gradients (TF's cudnn_rnn_grad.py) ------------------------------------------------------------
_COMMON = ("rnn_mode", "input_mode", "direction", "dropout", "seed", "seed2")


def _forward_grad(version):
    def grad(op, *grads):
        if not op._get_attr("is_training"):
            raise ValueError("To use CudnnRNN in gradients, is_training must be set to True.")
        attrs = {k: op._get_attr(k) for k in _COMMON}
        ins, outs = list(op.inputs), list(op.outputs)
        if version == 3:
            attrs.update(num_proj=op._get_attr("num_proj"), time_major=op._get_attr("time_major"))
            result = CUDNN_RNN_BACKPROP_V3(*ins, *outs[:3], *grads[:3], outs[3], outs[4],
                                           **attrs)
            return list(result) + [None]
        extra = [outs[4]] if version == 2 else []
        backprop = CUDNN_RNN_BACKPROP_V2 if version == 2 else CUDNN_RNN_BACKPROP
        return list(backprop(*ins, *outs[:3], *grads[:3], outs[3], *extra, **attrs))
    return grad


# -- declarations ----------------------------------------------------------------------------------
_MODEL_ATTRS = {"rnn_mode": "lstm", "input_mode": "linear_input", "direction": "unidirectional",
                "dropout": 0.0, "seed": 0, "seed2": 0}
_IN = ["input:T", "input_h:T", "input_c:T", "params:T"]
_BACK_IN = ["output:T", "output_h:T", "output_c:T", "output_backprop:T", "output_h_backprop:T",
            "output_c_backprop:T", "reserve_space:T"]
_SIZES = ["num_layers:int32", "num_units:int32", "input_size:int32"]


def _forward(type_, version, inputs, extra):
    return register(OpDef(type_, inputs=inputs, attrs={**_MODEL_ATTRS, **extra},
                          kernel=_forward_kernel(version), infer=_forward_infer(version),
                          grad=_forward_grad(version), stateful=True, resource="rng"))


def _backprop(type_, version, inputs, extra):  # (TF marks them stateful too)
    return register(OpDef(type_, inputs=inputs, attrs={**_MODEL_ATTRS, **extra},
                          kernel=_backprop_kernel(version), infer=_backprop_infer,
                          grad=NO_GRADIENT, stateful=True))


CUDNN_RNN = _forward("CudnnRNN", 1, _IN, {"is_training": True})
CUDNN_RNN_V2 = _forward("CudnnRNNV2", 2, _IN, {"is_training": True})
CUDNN_RNN_V3 = _forward("CudnnRNNV3", 3, _IN + ["sequence_lengths:int32"],
                        {"num_proj": 0, "is_training": True, "time_major": True})
CUDNN_RNN_BACKPROP = _backprop("CudnnRNNBackprop", 1, _IN + _BACK_IN, {})
CUDNN_RNN_BACKPROP_V2 = _backprop("CudnnRNNBackpropV2", 2,
                                  _IN + _BACK_IN + ["host_reserved:int8"], {})
CUDNN_RNN_BACKPROP_V3 = _backprop("CudnnRNNBackpropV3", 3,
                                  _IN + ["sequence_lengths:int32"] + _BACK_IN +
                                  ["host_reserved:int8"], {"num_proj": 0, "time_major": True})
CUDNN_RNN_PARAMS_SIZE = register(OpDef(
    "CudnnRNNParamsSize", inputs=_SIZES,
    attrs={"T": req("type"), "S": req("type"), **_MODEL_ATTRS, "num_proj": 0},
    kernel=_params_size_kernel, infer=_params_size_infer, grad=NOT_DIFFERENTIABLE))
CUDNN_RNN_PARAMS_TO_CANONICAL = register(OpDef(
    "CudnnRNNParamsToCanonical", inputs=_SIZES + ["params:T"],
    attrs={"num_params": req("int"), **_MODEL_ATTRS}, kernel=_to_canonical_kernel,
    infer=_to_canonical_infer, grad=NO_GRADIENT))
CUDNN_RNN_PARAMS_TO_CANONICAL_V2 = register(OpDef(
    "CudnnRNNParamsToCanonicalV2", inputs=_SIZES + ["params:T"],
    attrs={"num_params_weights": req("int"), "num_params_biases": req("int"), **_MODEL_ATTRS,
           "num_proj": 0},
    kernel=_to_canonical_kernel, infer=_to_canonical_infer, grad=NO_GRADIENT))
CUDNN_RNN_CANONICAL_TO_PARAMS = register(OpDef(
    "CudnnRNNCanonicalToParams",
    inputs=_SIZES + ["weights:num_params*T", "biases:num_params*T"], attrs=dict(_MODEL_ATTRS),
    kernel=_to_params_kernel, infer=_to_params_infer, grad=NO_GRADIENT))
CUDNN_RNN_CANONICAL_TO_PARAMS_V2 = register(OpDef(
    "CudnnRNNCanonicalToParamsV2",
    inputs=_SIZES + ["weights:num_params_weights*T", "biases:num_params_biases*T"],
    attrs={**_MODEL_ATTRS, "num_proj": 0}, kernel=_to_params_kernel, infer=_to_params_infer,
    grad=NO_GRADIENT))
