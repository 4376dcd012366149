"""AdagradDA's updates (ApplyAdagradDA, SparseApplyAdagradDA), beside the other optimizer ops
of training_ops.py: TF's dual averaging, the variable recomputed from its two accumulators and
the global step."""

from __future__ import annotations

import math

import numpy as np

from ..opdef import NOT_DIFFERENTIABLE, OpDef, register, shape_error
from .training_ops import _buffers, _check_grad, _infer_like_var, _infer_sparse, _rowwise

__all__: list[str] = []


# -- AdagradDA: dual averaging, var recomputed from the accumulators and the global step ---------
# TF's three kernels round differently (the dense one in T with a float step, the sparse one
# per row in T, or in double for one-element rows); each is followed term for term.
def _adagrad_da_dense(var_c, ga_c, gga_c, grad, lr, l1, l2, global_step, *, use_locking):
    var, ga, gga = _buffers(var_c, ga_c, gga_c)
    _check_grad(var, grad, "ApplyAdagradDA")
    t = var.dtype.type
    g = np.asarray(grad, dtype=var.dtype)
    ga += g
    gga += np.square(g)
    lr, l1, l2 = t(lr), t(l1), t(l2)
    step = t(np.float32(int(global_step)))  # static_cast<float>(global_step), then T
    denom = l2 * (step * lr) + np.sqrt(gga)
    if l1 > 0:
        var[...] = (lr * t(-1) * np.sign(ga)) * np.maximum(np.abs(ga) - step * l1, t(0)) / denom
    else:
        var[...] = lr * ga * t(-1) / denom
    return var_c.read


def _adagrad_da_sparse(var_c, ga_c, gga_c, grad, indices, lr, l1, l2, global_step, *,
                       use_locking):
    var, ga, gga = _buffers(var_c, ga_c, gga_c)
    t = var.dtype.type
    step = int(global_step)
    if math.prod(var.shape[1:]) > 1:  # rows of several elements: arithmetic in T
        lr, l1, l2, gs = t(lr), t(l1), t(l2), t(step)
        gs_lr = gs * lr

        def update(v, a, aa, g, _t):
            a += g
            aa += np.square(g)
            if l1 > 0:
                v[...] = t(-1) * np.sign(a) * np.maximum(np.abs(a) / gs - l1, t(0)) / (
                    l2 + np.sqrt(aa) / gs_lr)
            else:
                v[...] = t(-1) * (a / gs) / (l2 + np.sqrt(aa) / gs_lr)
    else:  # one element per row: TF computes in double, then stores T
        lr, l1, l2 = (float(t(x)) for x in (lr, l1, l2))
        gs_l1, gs_l2_lr = step * l1, step * l2 * lr

        def update(v, a, aa, g, _t):
            g = g.astype(np.float64)
            a[...] = a + g
            aa[...] = aa.astype(np.float64) + g * g
            a64 = a.astype(np.float64)
            root = np.sqrt(aa).astype(np.float64)  # std::sqrt of T: rounded in T
            if l1 > 0:
                v[...] = np.sign(-a64) * lr * np.maximum(np.abs(a64) - gs_l1, 0.0) / (
                    gs_l2_lr + root)
            else:
                v[...] = (-a64 * lr) / (gs_l2_lr + root)
    _rowwise(update, "SparseApplyAdagradDA", var, [ga, gga], grad, indices)
    return var_c.read


def _infer_adagrad_da(var, ga, gga, grad, *rest, sparse, **attrs):
    step = rest[-1]
    if step.shape.rank not in (None, 0):
        raise shape_error(f"global_step is not a scalar: {step.shape}")
    if sparse:
        return _infer_sparse(var, ga, gga, grad, rest[0], n_slots=2)
    for slot in (ga, gga):
        if not var.shape.is_compatible_with(slot.shape):
            raise shape_error(f"var and accum do not have the same shape {var.shape} "
                              f"{slot.shape}")
    return _infer_like_var()(var, grad, **attrs)


_DA_DOC = ("gradient_accumulator += g; gradient_squared_accumulator += g^2; var = "
           "sign(-ga) * lr * max(|ga| - l1 * step, 0) / (l2 * step * lr + sqrt(gga))")
APPLY_ADAGRAD_DA = register(OpDef(
    "ApplyAdagradDA", inputs=["var:Ref(T)", "gradient_accumulator:Ref(T)",
                              "gradient_squared_accumulator:Ref(T)", "grad:T", "lr:T", "l1:T",
                              "l2:T", "global_step:int64"],
    attrs={"use_locking": False}, kernel=_adagrad_da_dense, grad=NOT_DIFFERENTIABLE,
    stateful=True, infer=lambda *a, **k: _infer_adagrad_da(*a, sparse=False, **k),
    doc=_DA_DOC,
))
SPARSE_APPLY_ADAGRAD_DA = register(OpDef(
    "SparseApplyAdagradDA", inputs=["var:Ref(T)", "gradient_accumulator:Ref(T)",
                                    "gradient_squared_accumulator:Ref(T)", "grad:T",
                                    "indices:Tindices", "lr:T", "l1:T", "l2:T",
                                    "global_step:int64"],
    attrs={"use_locking": False}, kernel=_adagrad_da_sparse, grad=NOT_DIFFERENTIABLE,
    stateful=True, infer=lambda *a, **k: _infer_adagrad_da(*a, sparse=True, **k),
    doc=_DA_DOC + " (the rows indices only)",
))
