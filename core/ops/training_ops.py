"""Optimizer updates as graph ops, with TensorFlow's names and formulas.

Each op takes its variable and slots by reference (``Ref(T)``): the executor binds the
variables' Cells, and the kernel updates their buffers in place with numpy ``out=`` writes, so a
training step allocates only the temporaries of the formula. The output is the updated variable.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error

__all__: list[str] = []


def _buffers(*cells):
    out = []
    for cell in cells:
        if cell.value is None:
            cell.get()  # raises FailedPreconditionError naming the variable
        out.append(cell.value)
    return out


def _check_grad(var, grad, op_type):
    if var.shape != np.shape(grad):
        raise InvalidArgumentError(None, None, f"{op_type}: var and grad do not have the same "
                                   f"shape {list(var.shape)} {list(np.shape(grad))}")


def _scalar(x):
    return np.asarray(x).item() if np.ndim(x) == 0 else x


def _infer_like_var(n_scalars_check=()):
    def infer(var, *rest, **attrs):
        grad = rest[-1]
        if not var.shape.is_compatible_with(grad.shape):
            raise shape_error(f"var and grad do not have the same shape {var.shape} "
                              f"{grad.shape}")
        for i in n_scalars_check:
            if rest[i].shape.rank not in (None, 0):
                raise shape_error(f"argument {i + 1} must be a scalar, got shape "
                                  f"{rest[i].shape}")
        return [TensorSpec(var.shape, var.dtype)]
    return infer


def _apply_gradient_descent(var_c, alpha, delta, *, use_locking):
    (var,) = _buffers(var_c)
    _check_grad(var, delta, "ApplyGradientDescent")
    var -= _scalar(alpha) * delta
    return var_c.read


APPLY_GRADIENT_DESCENT = register(OpDef(
    "ApplyGradientDescent", inputs=["var:Ref(T)", "alpha:T", "delta:T"],
    attrs={"use_locking": False},
    kernel=_apply_gradient_descent, infer=_infer_like_var((0,)), grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="var -= alpha * delta",
))


def _apply_momentum(var_c, accum_c, lr, grad, momentum, *, use_locking, use_nesterov):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyMomentum")
    lr, momentum = _scalar(lr), _scalar(momentum)
    accum *= momentum
    accum += grad
    if use_nesterov:
        var -= grad * lr + accum * (momentum * lr)
    else:
        var -= lr * accum
    return var_c.read


APPLY_MOMENTUM = register(OpDef(
    "ApplyMomentum", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "grad:T", "momentum:T"],
    attrs={"use_locking": False, "use_nesterov": False},
    kernel=_apply_momentum, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, grad, momentum, **a: _infer_like_var()(var, grad, **a),
    doc="accum = accum * momentum + grad; var -= lr * accum (Nesterov: lr * (grad + "
        "momentum * accum))",
))


def _apply_adam(var_c, m_c, v_c, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, *,
                use_locking, use_nesterov):
    var, m, v = _buffers(var_c, m_c, v_c)
    _check_grad(var, grad, "ApplyAdam")
    b1p, b2p, lr = _scalar(beta1_power), _scalar(beta2_power), _scalar(lr)
    b1, b2, eps = _scalar(beta1), _scalar(beta2), _scalar(epsilon)
    lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
    m += (grad - m) * (1 - b1)
    v += (np.square(grad) - v) * (1 - b2)
    denom = np.sqrt(v)
    denom += eps
    if use_nesterov:
        step = m * b1 + grad * (1 - b1)
    else:
        step = m.copy()
    step *= lr_t
    step /= denom
    var -= step
    return var_c.read


APPLY_ADAM = register(OpDef(
    "ApplyAdam", inputs=["var:Ref(T)", "m:Ref(T)", "v:Ref(T)", "beta1_power:T",
                         "beta2_power:T", "lr:T", "beta1:T", "beta2:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False, "use_nesterov": False},
    kernel=_apply_adam, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, m, v, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m) * (1 - beta1); "
        "v += (g^2 - v) * (1 - beta2); var -= lr_t * m / (sqrt(v) + epsilon)",
))


def _apply_rms_prop(var_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad, *, use_locking):
    var, ms, mom = _buffers(var_c, ms_c, mom_c)
    _check_grad(var, grad, "ApplyRMSProp")
    lr, rho, momentum, eps = (_scalar(x) for x in (lr, rho, momentum, epsilon))
    ms += (np.square(grad) - ms) * (1 - rho)
    mom *= momentum
    mom += lr * grad / np.sqrt(ms + eps)
    var -= mom
    return var_c.read


APPLY_RMS_PROP = register(OpDef(
    "ApplyRMSProp", inputs=["var:Ref(T)", "ms:Ref(T)", "mom:Ref(T)", "lr:T", "rho:T",
                            "momentum:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False},
    kernel=_apply_rms_prop, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, ms, mom, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="ms = rho * ms + (1 - rho) * g^2; mom = momentum * mom + lr * g / sqrt(ms + eps); "
        "var -= mom",
))


def _apply_centered_rms_prop(var_c, mg_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad, *,
                             use_locking):
    var, mg, ms, mom = _buffers(var_c, mg_c, ms_c, mom_c)
    _check_grad(var, grad, "ApplyCenteredRMSProp")
    lr, rho, momentum, eps = (_scalar(x) for x in (lr, rho, momentum, epsilon))
    ms += (np.square(grad) - ms) * (1 - rho)
    mg += (grad - mg) * (1 - rho)
    mom *= momentum
    mom += lr * grad / np.sqrt(ms - np.square(mg) + eps)
    var -= mom
    return var_c.read


APPLY_CENTERED_RMS_PROP = register(OpDef(
    "ApplyCenteredRMSProp", inputs=["var:Ref(T)", "mg:Ref(T)", "ms:Ref(T)", "mom:Ref(T)",
                                    "lr:T", "rho:T", "momentum:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False},
    kernel=_apply_centered_rms_prop, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, mg, ms, mom, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="RMSProp normalised by the centred second moment ms - mg^2",
))


def _apply_adagrad(var_c, accum_c, lr, grad, *, use_locking, update_slots):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyAdagrad")
    if update_slots:
        accum += np.square(grad)
    var -= _scalar(lr) * grad / np.sqrt(accum)
    return var_c.read


APPLY_ADAGRAD = register(OpDef(
    "ApplyAdagrad", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "grad:T"],
    attrs={"use_locking": False, "update_slots": True},
    kernel=_apply_adagrad, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, grad, **a: _infer_like_var()(var, grad, **a),
    doc="accum += g^2; var -= lr * g / sqrt(accum)",
))
