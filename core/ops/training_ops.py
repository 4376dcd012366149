"""Optimizer updates as graph ops, with TensorFlow's names and formulas.

Each op takes its variable and slots by reference (``Ref(T)``): the executor binds the
variables' Cells, and the kernel updates their buffers in place. The formula runs over
cache-sized blocks with one small temporary (numpy ``out=`` writes), so memory is crossed once
rather than once per operation; large variables are split across the cores (numpy releases the
GIL inside each operation). The output is the updated variable.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

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
    if var.shape != getattr(grad, "shape", ()):
        raise InvalidArgumentError(None, None, f"{op_type}: var and grad do not have the same "
                                   f"shape {list(var.shape)} {list(np.shape(grad))}")


def _scalar(x):
    """A 0-d hyperparameter as a Python number (weak in numpy's promotion rules)."""
    try:
        return x.item()
    except (AttributeError, ValueError):  # a Python number, or not a scalar
        return x


# Elements per block: the block's arrays and temporary stay in L2, and a thread takes the
# GIL back between numpy calls rarely enough (32K blocks made two threads slower than one).
BLOCK = 1 << 17
# Elements per core below which splitting does not pay: measured in an MLP training step,
# where BLAS threads still spin on the other core after the matmuls, 2 threads gained nothing
# for 400K-element variables; for 4M elements in isolation they were 1.5x faster.
PARALLEL_MIN = 1 << 20
_CPUS = os.cpu_count() or 1
_pool: ThreadPoolExecutor | None = None


def _blockwise(update, var, *others):
    """Calls ``update(var_block, *other_blocks, tmp)`` over blocks of the flattened arrays
    (``var`` and the slots are updated in place); big arrays use every core."""
    global _pool
    n = var.size
    if n <= BLOCK:  # one block: no reshaping or slicing (small variables, e.g. biases)
        update(var, *others, np.empty_like(var))
        return
    flats = [var.reshape(-1)] + [np.ascontiguousarray(a, dtype=var.dtype).reshape(-1)
                                 for a in others]

    def run(lo, hi):
        tmp = np.empty(min(BLOCK, hi - lo), dtype=var.dtype)
        for start in range(lo, hi, BLOCK):
            stop = min(start + BLOCK, hi)
            update(*[f[start:stop] for f in flats], tmp[:stop - start])

    workers = min(_CPUS, n // PARALLEL_MIN)
    if workers <= 1:
        run(0, n)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_CPUS, thread_name_prefix="minitf-apply")
    part = -(-n // workers)
    futures = [_pool.submit(run, lo, min(lo + part, n)) for lo in range(part, n, part)]
    run(0, part)
    for f in futures:
        f.result()


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
    alpha = _scalar(alpha)

    if var.size <= BLOCK:  # one expression: a temporary costs less than the block machinery
        var -= alpha * np.asarray(delta, dtype=var.dtype)
        return var_c.read

    def update(v, d, t):
        np.multiply(d, alpha, out=t)
        v -= t
    _blockwise(update, var, delta)
    return var_c.read


APPLY_GRADIENT_DESCENT = register(OpDef(
    "ApplyGradientDescent", inputs=["var:Ref(T)", "alpha:T", "delta:T"],
    attrs={"use_locking": False},
    kernel=_apply_gradient_descent, infer=_infer_like_var((0,)), grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="var -= alpha * delta",
))


def _momentum_rule(lr, momentum, use_nesterov):
    def update(v, a, g, t):
        a *= momentum                      # accum = accum * momentum + grad
        a += g
        if use_nesterov:                   # var -= grad * lr + accum * momentum * lr
            np.multiply(g, lr, out=t)
            v -= t
            np.multiply(a, momentum * lr, out=t)
        else:                              # var -= lr * accum
            np.multiply(a, lr, out=t)
        v -= t
    return update


def _apply_momentum(var_c, accum_c, lr, grad, momentum, *, use_locking, use_nesterov):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyMomentum")
    _blockwise(_momentum_rule(_scalar(lr), _scalar(momentum), use_nesterov), var, accum, grad)
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
    # Python floats (math.sqrt, not np.sqrt): a numpy float64 scalar would make every
    # operation below compute in float64.
    lr_t = lr * math.sqrt(1 - b2p) / (1 - b1p)

    def update(var_b, m_b, v_b, g, t):
        np.subtract(g, m_b, out=t)         # m += (g - m) * (1 - beta1)
        t *= 1 - b1
        m_b += t
        np.multiply(g, g, out=t)           # v += (g^2 - v) * (1 - beta2)
        t -= v_b
        t *= 1 - b2
        v_b += t
        np.sqrt(v_b, out=t)                # var -= lr_t * m / (sqrt(v) + epsilon)
        t += eps
        if use_nesterov:                   # ... with m * beta1 + g * (1 - beta1) for m
            np.divide(m_b * b1 + g * (1 - b1), t, out=t)
        else:
            np.divide(m_b, t, out=t)
        t *= lr_t
        var_b -= t
    _blockwise(update, var, m, v, grad)
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


def _rms_prop_rule(lr, rho, momentum, eps):
    def update(v, ms_b, mom_b, g, t):
        np.multiply(g, g, out=t)           # ms += (g^2 - ms) * (1 - rho)
        t -= ms_b
        t *= 1 - rho
        ms_b += t
        np.add(ms_b, eps, out=t)           # mom = mom * momentum + lr * g / sqrt(ms + eps)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        mom_b *= momentum
        mom_b += t
        v -= mom_b                         # var -= mom
    return update


def _apply_rms_prop(var_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad, *, use_locking):
    var, ms, mom = _buffers(var_c, ms_c, mom_c)
    _check_grad(var, grad, "ApplyRMSProp")
    rule = _rms_prop_rule(*(_scalar(x) for x in (lr, rho, momentum, epsilon)))
    _blockwise(rule, var, ms, mom, grad)
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


def _centered_rms_prop_rule(lr, rho, momentum, eps):
    def update(v, mg_b, ms_b, mom_b, g, t):
        np.multiply(g, g, out=t)           # ms += (g^2 - ms) * (1 - rho)
        t -= ms_b
        t *= 1 - rho
        ms_b += t
        np.subtract(g, mg_b, out=t)        # mg += (g - mg) * (1 - rho)
        t *= 1 - rho
        mg_b += t
        np.multiply(mg_b, mg_b, out=t)     # mom = mom * momentum + lr * g / sqrt(ms - mg^2 + eps)
        np.subtract(ms_b, t, out=t)
        t += eps
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        mom_b *= momentum
        mom_b += t
        v -= mom_b
    return update


def _apply_centered_rms_prop(var_c, mg_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad, *,
                             use_locking):
    var, mg, ms, mom = _buffers(var_c, mg_c, ms_c, mom_c)
    _check_grad(var, grad, "ApplyCenteredRMSProp")
    rule = _centered_rms_prop_rule(*(_scalar(x) for x in (lr, rho, momentum, epsilon)))
    _blockwise(rule, var, mg, ms, mom, grad)
    return var_c.read


APPLY_CENTERED_RMS_PROP = register(OpDef(
    "ApplyCenteredRMSProp", inputs=["var:Ref(T)", "mg:Ref(T)", "ms:Ref(T)", "mom:Ref(T)",
                                    "lr:T", "rho:T", "momentum:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False},
    kernel=_apply_centered_rms_prop, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, mg, ms, mom, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="RMSProp normalised by the centred second moment ms - mg^2",
))


def _adagrad_rule(lr, update_slots):
    def update(v, a, g, t):
        if update_slots:                   # accum += g^2
            np.multiply(g, g, out=t)
            a += t
        np.sqrt(a, out=t)                  # var -= lr * g / sqrt(accum)
        np.divide(g, t, out=t)
        t *= lr
        v -= t
    return update


def _apply_adagrad(var_c, accum_c, lr, grad, *, use_locking, update_slots):
    var, accum = _buffers(var_c, accum_c)
    _check_grad(var, grad, "ApplyAdagrad")
    _blockwise(_adagrad_rule(_scalar(lr), update_slots), var, accum, grad)
    return var_c.read


APPLY_ADAGRAD = register(OpDef(
    "ApplyAdagrad", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "grad:T"],
    attrs={"use_locking": False, "update_slots": True},
    kernel=_apply_adagrad, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, grad, **a: _infer_like_var()(var, grad, **a),
    doc="accum += g^2; var -= lr * g / sqrt(accum)",
))


def _adadelta_rule(lr, rho, eps):
    def update(v, accum, accum_update, g, _t):  # TF's expressions, term for term
        accum[...] = accum * rho + np.square(g) * (1 - rho)
        step = np.sqrt(accum_update + eps) * (1 / np.sqrt(accum + eps)) * g
        v -= step * lr
        accum_update[...] = accum_update * rho + np.square(step) * (1 - rho)
    return update


def _apply_adadelta(var_c, accum_c, accum_update_c, lr, rho, epsilon, grad, *, use_locking):
    var, accum, accum_update = _buffers(var_c, accum_c, accum_update_c)
    _check_grad(var, grad, "ApplyAdadelta")
    rule = _adadelta_rule(*(_scalar(x) for x in (lr, rho, epsilon)))
    _blockwise(rule, var, accum, accum_update, grad)
    return var_c.read


APPLY_ADADELTA = register(OpDef(
    "ApplyAdadelta", inputs=["var:Ref(T)", "accum:Ref(T)", "accum_update:Ref(T)", "lr:T",
                             "rho:T", "epsilon:T", "grad:T"],
    attrs={"use_locking": False},
    kernel=_apply_adadelta, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, accum_update, *rest, **a: _infer_like_var()(var, rest[-1], **a),
    doc="accum = rho * accum + (1 - rho) * g^2; update = sqrt(accum_update + eps) / "
        "sqrt(accum + eps) * g; var -= lr * update; accum_update = rho * accum_update + "
        "(1 - rho) * update^2",
))

# -- sparse updates: only the rows a sparse gradient (IndexedSlices) names ------------------------
def _rowwise(update, op_type, var, slots, values, indices):
    """Applies the dense rule ``update`` to the rows ``indices`` of ``var`` and its slots, with
    ``values`` as their gradient. A repeated index is applied again, in order, as TensorFlow's
    kernels do (TF1's optimizers sum repeated indices before calling them)."""
    idx = np.asarray(indices)
    if idx.ndim != 1:
        raise InvalidArgumentError(None, None, f"{op_type}: indices must be one-dimensional, "
                                   f"got shape {list(idx.shape)}")
    if var.ndim < 1:
        raise InvalidArgumentError(None, None, f"{op_type}: var must be at least 1 dimensional")
    values = np.asarray(values)
    if values.shape != idx.shape + var.shape[1:]:
        raise InvalidArgumentError(
            None, None, f"{op_type}: grad must be the same size as indices in the first "
            f"dimension and match var in the others: grad {list(values.shape)}, indices "
            f"{list(idx.shape)}, var {list(var.shape)}")
    bad = (idx < 0) | (idx >= var.shape[0])
    if bad.any():
        k = int(np.argmax(bad))
        raise InvalidArgumentError(None, None, f"{op_type}: index {int(idx[k])} at offset {k} "
                                   f"in indices is out of range [0, {var.shape[0]})")
    values = values.astype(var.dtype, copy=False)
    if np.unique(idx).size == idx.size:
        groups = [(idx, values)]  # distinct rows: one vectorised pass
    else:
        groups = [(idx[k:k + 1], values[k:k + 1]) for k in range(idx.size)]
    arrays = [var, *slots]
    for rows, g in groups:
        block = [a[rows] for a in arrays]  # copies: updated, then written back
        update(*block, g, np.empty_like(block[0]))
        for a, b in zip(arrays, block):
            a[rows] = b


def _infer_sparse(var, *rest, n_slots):
    grad, indices = rest[-2], rest[-1]
    if indices.shape.rank not in (None, 1):
        raise shape_error(f"indices must be one-dimensional, got shape {indices.shape}")
    if var.shape.rank == 0:
        raise shape_error("var must be at least 1 dimensional")
    if var.shape.rank is not None and grad.shape.rank is not None and \
            not var.shape[1:].is_compatible_with(grad.shape[1:]):
        raise shape_error(f"var and grad do not match beyond dimension 0: {var.shape} "
                          f"{grad.shape}")
    for slot in rest[:n_slots]:
        if not var.shape.is_compatible_with(slot.shape):
            raise shape_error(f"var and its slot do not have the same shape {var.shape} "
                              f"{slot.shape}")
    return [TensorSpec(var.shape, var.dtype)]


def _sparse_apply_momentum(var_c, accum_c, lr, grad, indices, momentum, *, use_locking,
                           use_nesterov):
    var, accum = _buffers(var_c, accum_c)
    _rowwise(_momentum_rule(_scalar(lr), _scalar(momentum), use_nesterov),
             "SparseApplyMomentum", var, [accum], grad, indices)
    return var_c.read


SPARSE_APPLY_MOMENTUM = register(OpDef(
    "SparseApplyMomentum", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "grad:T",
                                   "indices:Tindices", "momentum:T"],
    attrs={"use_locking": False, "use_nesterov": False},
    kernel=_sparse_apply_momentum, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, grad, indices, momentum, **a: _infer_sparse(
        var, accum, grad, indices, n_slots=1),
    doc="ApplyMomentum on the rows indices of var and accum only",
))


def _sparse_apply_adagrad(var_c, accum_c, lr, grad, indices, *, use_locking, update_slots):
    var, accum = _buffers(var_c, accum_c)
    _rowwise(_adagrad_rule(_scalar(lr), update_slots), "SparseApplyAdagrad", var, [accum],
             grad, indices)
    return var_c.read


SPARSE_APPLY_ADAGRAD = register(OpDef(
    "SparseApplyAdagrad", inputs=["var:Ref(T)", "accum:Ref(T)", "lr:T", "grad:T",
                                  "indices:Tindices"],
    attrs={"use_locking": False, "update_slots": True},
    kernel=_sparse_apply_adagrad, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, lr, grad, indices, **a: _infer_sparse(
        var, accum, grad, indices, n_slots=1),
    doc="ApplyAdagrad on the rows indices of var and accum only",
))


def _sparse_apply_rms_prop(var_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad, indices, *,
                           use_locking):
    var, ms, mom = _buffers(var_c, ms_c, mom_c)
    rule = _rms_prop_rule(*(_scalar(x) for x in (lr, rho, momentum, epsilon)))
    _rowwise(rule, "SparseApplyRMSProp", var, [ms, mom], grad, indices)
    return var_c.read


def _sparse_apply_adadelta(var_c, accum_c, accum_update_c, lr, rho, epsilon, grad, indices, *,
                           use_locking):
    var, accum, accum_update = _buffers(var_c, accum_c, accum_update_c)
    rule = _adadelta_rule(*(_scalar(x) for x in (lr, rho, epsilon)))
    _rowwise(rule, "SparseApplyAdadelta", var, [accum, accum_update], grad, indices)
    return var_c.read


SPARSE_APPLY_ADADELTA = register(OpDef(
    "SparseApplyAdadelta", inputs=["var:Ref(T)", "accum:Ref(T)", "accum_update:Ref(T)", "lr:T",
                                   "rho:T", "epsilon:T", "grad:T", "indices:Tindices"],
    attrs={"use_locking": False},
    kernel=_sparse_apply_adadelta, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, accum, accum_update, lr, rho, epsilon, grad, indices, **a:
        _infer_sparse(var, accum, accum_update, grad, indices, n_slots=2),
    doc="ApplyAdadelta on the rows indices of var, accum and accum_update only",
))


SPARSE_APPLY_RMS_PROP = register(OpDef(
    "SparseApplyRMSProp", inputs=["var:Ref(T)", "ms:Ref(T)", "mom:Ref(T)", "lr:T", "rho:T",
                                  "momentum:T", "epsilon:T", "grad:T", "indices:Tindices"],
    attrs={"use_locking": False},
    kernel=_sparse_apply_rms_prop, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, ms, mom, lr, rho, momentum, epsilon, grad, indices, **a: _infer_sparse(
        var, ms, mom, grad, indices, n_slots=2),
    doc="ApplyRMSProp on the rows indices of var, ms and mom only",
))


def _sparse_apply_centered_rms_prop(var_c, mg_c, ms_c, mom_c, lr, rho, momentum, epsilon, grad,
                                    indices, *, use_locking):
    var, mg, ms, mom = _buffers(var_c, mg_c, ms_c, mom_c)
    rule = _centered_rms_prop_rule(*(_scalar(x) for x in (lr, rho, momentum, epsilon)))
    _rowwise(rule, "SparseApplyCenteredRMSProp", var, [mg, ms, mom], grad, indices)
    return var_c.read


SPARSE_APPLY_CENTERED_RMS_PROP = register(OpDef(
    "SparseApplyCenteredRMSProp", inputs=["var:Ref(T)", "mg:Ref(T)", "ms:Ref(T)", "mom:Ref(T)",
                                          "lr:T", "rho:T", "momentum:T", "epsilon:T", "grad:T",
                                          "indices:Tindices"],
    attrs={"use_locking": False},
    kernel=_sparse_apply_centered_rms_prop, grad=NOT_DIFFERENTIABLE, stateful=True,
    infer=lambda var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, **a:
        _infer_sparse(var, mg, ms, mom, grad, indices, n_slots=3),
    doc="ApplyCenteredRMSProp on the rows indices of var, mg, ms and mom only",
))
