"""Optimizer updates that TF 1.x GraphDefs hold and minitf's optimizers do not write:
ApplyAdagradV2 and SparseApplyAdagradV2 (Adagrad with epsilon), ApplyAdaMax, ApplyAddSign and
ApplyPowerSign (tf.contrib.opt's AddSign/PowerSign). Each updates its variable and slots in
place (``Ref(T)``, as training_ops.py) with TF's formulas (training_ops.cc); the output is the
updated variable. Not differentiable, as TF's."""

from __future__ import annotations

import numpy as np

from ..opdef import NOT_DIFFERENTIABLE, OpDef, register
from .training_ops import _buffers, _check_grad, _infer_like_var, _infer_sparse, _rowwise, _scalar

__all__: list[str] = []


def _adagrad_v2_rule(lr, eps, update_slots):
    def update(v, a, g, _t):
        if update_slots:                   # accum += g^2
            a += g * g
        v -= lr * g / (np.sqrt(a) + eps)   # var -= lr * g / (sqrt(accum) + epsilon)
    return update


def _apply_adagrad_v2(var_c, accum_c, lr, epsilon, grad, *, use_locking, update_slots):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyAdagradV2")
    _adagrad_v2_rule(_scalar(lr), _scalar(epsilon), update_slots)(
        var, accum, np.asarray(grad, var.dtype), None)
    return var_c.read


def _sparse_apply_adagrad_v2(var_c, accum_c, lr, epsilon, grad, indices, *, use_locking,
                             update_slots):
    var, accum = _buffers(var_c, accum_c)
    _rowwise(_adagrad_v2_rule(_scalar(lr), _scalar(epsilon), update_slots),
             "SparseApplyAdagradV2", var, [accum], grad, indices)
    return var_c.read


_ADAGRAD_ATTRS = {"use_locking": False, "update_slots": True}

APPLY_ADAGRAD_V2 = register(OpDef(
    "ApplyAdagradV2", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "epsilon:T", "grad:T"],
    attrs=dict(_ADAGRAD_ATTRS), kernel=_apply_adagrad_v2, grad=NOT_DIFFERENTIABLE,
    stateful=True,
    infer=lambda var, accum, lr, epsilon, grad, **a: _infer_like_var()(var, grad, **a),
    doc="accum += g^2; var -= lr * g / (sqrt(accum) + epsilon)",
))
SPARSE_APPLY_ADAGRAD_V2 = register(OpDef(
    "SparseApplyAdagradV2", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "epsilon:T", "grad:T",
                                    "indices:Tindices"],
    attrs=dict(_ADAGRAD_ATTRS), kernel=_sparse_apply_adagrad_v2, grad=NOT_DIFFERENTIABLE,
    stateful=True,
    infer=lambda var, accum, lr, epsilon, grad, indices, **a: _infer_sparse(
        var, accum, grad, indices, n_slots=1),
    doc="ApplyAdagradV2 on the rows indices of var and accum only",
))


def _dense(op_type, var_c, slot_cs, grad):
    bufs = _buffers(var_c, *slot_cs)
    _check_grad(bufs[0], grad, op_type)
    return bufs, np.asarray(grad, bufs[0].dtype)


def _apply_ada_max(var_c, m_c, v_c, beta1_power, lr, beta1, beta2, epsilon, grad, *,
                   use_locking):
    (var, m, v), g = _dense("ApplyAdaMax", var_c, (m_c, v_c), grad)
    b1p, lr, b1, b2, eps = (_scalar(x) for x in (beta1_power, lr, beta1, beta2, epsilon))
    m += (g - m) * (1 - b1)                        # m = beta1 * m + (1 - beta1) * g
    np.maximum(b2 * v, np.abs(g), out=v)           # v = max(beta2 * v, |g|)
    var -= lr / (1 - b1p) * (m / (v + eps))
    return var_c.read


APPLY_ADA_MAX = register(OpDef(
    "ApplyAdaMax", inputs=["var:Ref(T)", "m:Ref(T)", "v:Ref(T)", "beta1_power:T", "lr:T",
                           "beta1:T", "beta2:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False}, kernel=_apply_ada_max, grad=NOT_DIFFERENTIABLE,
    stateful=True, infer=lambda var, m, v, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="m = beta1 * m + (1 - beta1) * g; v = max(beta2 * v, |g|); "
        "var -= lr / (1 - beta1^t) * m / (v + epsilon)",
))


def _sign_update(op_type, scale):
    """AddSign and PowerSign: m = beta * m + (1 - beta) * g, then var -= lr * scale(base,
    sign_decay * sign(g) * sign(m)) * g."""
    def kernel(var_c, m_c, lr, base, sign_decay, beta, grad, *, use_locking):
        (var, m), g = _dense(op_type, var_c, (m_c,), grad)
        lr, base, decay, beta = (_scalar(x) for x in (lr, base, sign_decay, beta))
        m[...] = m * beta + g * (1 - beta)
        var -= lr * scale(base, decay * np.sign(g) * np.sign(m)) * g
        return var_c.read
    return kernel


def _register_sign(op_type, base, scale, formula):
    return register(OpDef(
        op_type, inputs=["var:Ref(T)", "m:Ref(T)", "lr:T", f"{base}:T", "sign_decay:T",
                         "beta:T", "grad:T"],
        attrs={"use_locking": False}, kernel=_sign_update(op_type, scale),
        grad=NOT_DIFFERENTIABLE, stateful=True,
        infer=lambda var, m, *rest, **a: _infer_like_var()(var, rest[-1], **a),
        doc=f"m = beta * m + (1 - beta) * g; var -= lr * {formula} * g",
    ))


APPLY_ADD_SIGN = _register_sign("ApplyAddSign", "alpha", lambda alpha, s: alpha + s,
                                "(alpha + sign_decay * sign(g) * sign(m))")
APPLY_POWER_SIGN = _register_sign("ApplyPowerSign", "logbase",
                                  lambda logbase, s: np.exp(logbase * s),
                                  "exp(logbase * sign_decay * sign(g) * sign(m))")
