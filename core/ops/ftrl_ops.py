"""The FTRL and proximal update ops (ApplyFtrl/V2, ApplyProximalGradientDescent,
ApplyProximalAdagrad) and their SparseApply* variants, behind tf.train's FtrlOptimizer,
ProximalGradientDescentOptimizer and ProximalAdagradOptimizer. They share training_ops.py's
in-place helpers (blockwise dense updates, row-wise sparse ones)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, register
from .training_ops import (_blockwise, _buffers, _check_grad, _infer_like_var, _infer_sparse,
                           _rowwise, _scalar)

__all__: list[str] = []


# -- FTRL and the proximal methods: dense rules, and their sparse variants over _rowwise ----------
def _ftrl_rule(lr, l1, l2, lr_power, l2_shrinkage=None, sparse=False, by_lr=False):
    """TF's update; ``by_lr`` is multiply_linear_by_lr: linear is kept multiplied by lr, so the
    lr factors move from the power terms onto the gradient, l1 and l2 (TF's CPU kernels)."""
    def update(v, accum, linear, g, _t):  # TF's expressions, term for term
        g_shrunk = g if l2_shrinkage is None else g + 2 * l2_shrinkage * v
        new_accum = accum + g * g  # the shrinkage term stays out of the accumulator (TF 2.x)
        if lr_power == -0.5:
            power, old_power = np.sqrt(new_accum), np.sqrt(accum)
        else:
            power, old_power = new_accum ** -lr_power, accum ** -lr_power
        if by_lr:
            linear += g_shrunk * lr - (power - old_power) * v
            quadratic, l1_t = power + 2 * l2 * lr, l1 * lr
        else:
            linear += g_shrunk - (power - old_power) / lr * v
            quadratic, l1_t = power / lr + 2 * l2, l1
        if sparse:  # TF's sparse kernels clip; a zero quadratic gives nan there, as in TF
            v[...] = (np.clip(linear, -l1_t, l1_t) - linear) / quadratic
        else:
            v[...] = np.where(np.abs(linear) > l1_t,
                              (l1_t * np.sign(linear) - linear) / quadratic, 0)
        accum[...] = new_accum
    return update


def _check_sparse_ftrl_scalars(lr, l1, l2, shrinkage, lr_power, by_lr):
    """TF's SparseApplyFtrl(V2) input checks (the dense kernels make none): each a scalar in
    its range; NaN fails every one."""
    checks = [(lr, lambda x: x > 0 or (by_lr and x >= 0),
               "lr is not a positive scalar (or zero if multiply_linear_by_lr is set)"),
              (l1, lambda x: x >= 0, "l1 regularization strength is not a non-negative scalar"),
              (l2, lambda x: x >= 0, "l2 regularization strength is not a non-negative scalar")]
    if shrinkage:
        checks.append((shrinkage[0], lambda x: x >= 0,
                       "l2 shrinkage regularization strength is not a non-negative scalar"))
    checks.append((lr_power, lambda x: x <= 0, "lr_power is not a non-positive scalar"))
    for value, ok, message in checks:
        if np.ndim(value) != 0 or not ok(np.asarray(value).item()):
            shape = ",".join(str(d) for d in np.shape(value))
            raise InvalidArgumentError(None, None, f"{message}: [{shape}]")


def _ftrl_kernel(op_type, shrinkage, sparse):
    def kernel(var_c, accum_c, linear_c, grad, *rest, use_locking, multiply_linear_by_lr):
        var, accum, linear = _buffers(var_c, accum_c, linear_c)
        indices, rest = (rest[0], rest[1:]) if sparse else (None, rest)
        if sparse:
            lr, l1, l2, *shrink, lr_power = rest
            _check_sparse_ftrl_scalars(lr, l1, l2, shrink, lr_power, multiply_linear_by_lr)
        lr, l1, l2, *shrink, lr_power = (_scalar(x) for x in rest)
        rule = _ftrl_rule(lr, l1, l2, lr_power, shrink[0] if shrinkage else None, sparse,
                          multiply_linear_by_lr)
        if sparse:
            _rowwise(rule, op_type, var, [accum, linear], grad, indices)
        else:
            _check_grad(var, grad, op_type)
            _blockwise(rule, var, accum, linear, grad)
        return var_c.read
    return kernel


def _register_ftrl(op_type, shrinkage, sparse):
    scalars = ["lr:T", "l1:T", "l2:T"] + (["l2_shrinkage:T"] if shrinkage else []) + [
        "lr_power:T"]
    if sparse:
        def infer(var, accum, linear, grad, indices, *_, **a):
            return _infer_sparse(var, accum, linear, grad, indices, n_slots=2)
    else:
        def infer(var, accum, linear, grad, *_, **a):
            return _infer_like_var()(var, accum, linear, grad, **a)
    return register(OpDef(
        op_type, inputs=["var:Ref(T)", "accum:Ref(T)", "linear:Ref(T)", "grad:T"] + (
            ["indices:Tindices"] if sparse else []) + scalars,
        attrs={"use_locking": False, "multiply_linear_by_lr": False},
        kernel=_ftrl_kernel(op_type, shrinkage, sparse),
        infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="FTRL-proximal: accum += g^2; linear += g' - (accum_new^-p - accum^-p) / lr * var; "
            "var = (clip(linear, -l1, l1) - linear) / (accum_new^-p / lr + 2 * l2)" + (
                "; g' = g + 2 * l2_shrinkage * var" if shrinkage else "; g' = g") + (
                " (the rows indices only)" if sparse else "") + (
                ". multiply_linear_by_lr keeps linear multiplied by lr: linear += g' * lr - "
                "(accum_new^-p - accum^-p) * var, with l1 * lr and accum_new^-p + 2 * l2 * lr"),
    ))


APPLY_FTRL = _register_ftrl("ApplyFtrl", shrinkage=False, sparse=False)
APPLY_FTRL_V2 = _register_ftrl("ApplyFtrlV2", shrinkage=True, sparse=False)
SPARSE_APPLY_FTRL = _register_ftrl("SparseApplyFtrl", shrinkage=False, sparse=True)
SPARSE_APPLY_FTRL_V2 = _register_ftrl("SparseApplyFtrlV2", shrinkage=True, sparse=True)


def _proximal_step(v, prox, lr, l1, l2):
    """var from the plain step ``prox``: soft-thresholded by lr * l1, shrunk by 1 + lr * l2."""
    if l1 > 0:
        v[...] = np.sign(prox) * np.maximum(np.abs(prox) - lr * l1, 0) / (1 + lr * l2)
    else:
        v[...] = prox / (1 + lr * l2)


def _proximal_gd_rule(alpha, l1, l2):
    def update(v, g, _t):
        _proximal_step(v, v - g * alpha, alpha, l1, l2)
    return update


def _proximal_adagrad_rule(lr, l1, l2):
    def update(v, accum, g, _t):
        accum += g * g
        rate = lr / np.sqrt(accum)  # Adagrad's per-element learning rate
        _proximal_step(v, v - g * rate, rate, l1, l2)
    return update


def _apply_proximal_gd(var_c, alpha, l1, l2, delta, *, use_locking):
    (var,) = _buffers(var_c)
    _check_grad(var, delta, "ApplyProximalGradientDescent")
    rule = _proximal_gd_rule(*(_scalar(x) for x in (alpha, l1, l2)))
    _blockwise(rule, var, delta)
    return var_c.read


def _sparse_apply_proximal_gd(var_c, alpha, l1, l2, grad, indices, *, use_locking):
    (var,) = _buffers(var_c)
    rule = _proximal_gd_rule(*(_scalar(x) for x in (alpha, l1, l2)))
    _rowwise(rule, "SparseApplyProximalGradientDescent", var, [], grad, indices)
    return var_c.read


def _apply_proximal_adagrad(var_c, accum_c, lr, l1, l2, grad, *, use_locking):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyProximalAdagrad")
    _blockwise(_proximal_adagrad_rule(*(_scalar(x) for x in (lr, l1, l2))), var, accum, grad)
    return var_c.read


def _sparse_apply_proximal_adagrad(var_c, accum_c, lr, l1, l2, grad, indices, *, use_locking):
    var, accum = _buffers(var_c, accum_c)
    rule = _proximal_adagrad_rule(*(_scalar(x) for x in (lr, l1, l2)))
    _rowwise(rule, "SparseApplyProximalAdagrad", var, [accum], grad, indices)
    return var_c.read


APPLY_PROXIMAL_GRADIENT_DESCENT = register(OpDef(
    "ApplyProximalGradientDescent", inputs=["var:Ref(T)", "alpha:T", "l1:T", "l2:T", "delta:T"],
    attrs={"use_locking": False},
    kernel=_apply_proximal_gd, infer=_infer_like_var((0, 1, 2)), grad=NOT_DIFFERENTIABLE,
    stateful=True,
    doc="prox = var - alpha * delta; var = sign(prox) * max(|prox| - alpha * l1, 0) / "
        "(1 + alpha * l2)",
))
SPARSE_APPLY_PROXIMAL_GRADIENT_DESCENT = register(OpDef(
    "SparseApplyProximalGradientDescent", inputs=["var:Ref(T)", "alpha:T", "l1:T", "l2:T",
                                                  "grad:T", "indices:Tindices"],
    attrs={"use_locking": False},
    kernel=_sparse_apply_proximal_gd, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, alpha, l1, l2, grad, indices, **a: _infer_sparse(
        var, grad, indices, n_slots=0),
    doc="ApplyProximalGradientDescent on the rows indices of var only",
))
APPLY_PROXIMAL_ADAGRAD = register(OpDef(
    "ApplyProximalAdagrad", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "l1:T", "l2:T",
                                    "grad:T"],
    attrs={"use_locking": False},
    kernel=_apply_proximal_adagrad, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, l1, l2, grad, **a: _infer_like_var()(var, grad, **a),
    doc="accum += g^2; rate = lr / sqrt(accum); prox = var - rate * g; "
        "var = sign(prox) * max(|prox| - rate * l1, 0) / (1 + rate * l2)",
))
SPARSE_APPLY_PROXIMAL_ADAGRAD = register(OpDef(
    "SparseApplyProximalAdagrad", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "l1:T", "l2:T",
                                          "grad:T", "indices:Tindices"],
    attrs={"use_locking": False},
    kernel=_sparse_apply_proximal_adagrad, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, l1, l2, grad, indices, **a: _infer_sparse(
        var, accum, grad, indices, n_slots=1),
    doc="ApplyProximalAdagrad on the rows indices of var and accum only",
))
