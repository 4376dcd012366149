"""TF 1.x's FTRL and proximal optimizers: FtrlOptimizer, ProximalGradientDescentOptimizer and
ProximalAdagradOptimizer, over the Apply*/SparseApply* ops of core/ops/ftrl_ops.py, with
TensorFlow's slot names (``w/Ftrl``, ``w/Ftrl_1``, ``w/ProximalAdagrad``). A sparse gradient
(IndexedSlices) moves only its rows, as in TF1."""

from __future__ import annotations

from ..graph import convert_to_tensor
from ..ops import array_ops, ftrl_ops, math_ops
from .optimizer import Optimizer


def _proximal_scalars(opt, dt):
    """learning_rate, l1 and l2 of a proximal optimizer as tensors of the variable's dtype."""
    return (opt._hyper(opt._lr, "learning_rate", dt),
            opt._hyper(opt._l1, "l1_regularization_strength", dt),
            opt._hyper(opt._l2, "l2_regularization_strength", dt))


def _non_negative(value, what):
    if value < 0.0:
        raise ValueError(f"{what} {value:f} needs to be positive or zero")


class FtrlOptimizer(Optimizer):
    """FTRL-proximal (McMahan et al., 2013): slots ``accum`` (starting at
    ``initial_accumulator_value``) and ``linear``; ApplyFtrl, or ApplyFtrlV2 when
    ``l2_shrinkage_regularization_strength`` > 0."""

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="Ftrl", accum_name=None, linear_name=None,
                 l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        _non_negative(initial_accumulator_value, "initial_accumulator_value")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power:f} needs to be negative "
                             "or zero")
        _non_negative(l1_regularization_strength, "l1_regularization_strength")
        _non_negative(l2_regularization_strength, "l2_regularization_strength")
        _non_negative(l2_shrinkage_regularization_strength,
                      "l2_shrinkage_regularization_strength")
        self._lr, self._lr_power = learning_rate, learning_rate_power
        self._initial = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._accum_name, self._linear_name = accum_name, linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            shape = v.shape.as_list()
            self._slot(v, "accum", lambda v=v, shape=shape: array_ops.ones(
                shape, dtype=v.dtype) * self._initial, self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _adjusted_l2(self):
        """l2 + beta / (2 lr), TF's stand-in for the paper's beta; without a beta (TF 1.x has
        none) just l2, so the graph holds no extra ops."""
        if not self._beta:
            return self._l2
        lr = self._lr() if callable(self._lr) else self._lr
        return self._l2 + self._beta / (2.0 * math_ops.maximum(convert_to_tensor(lr), 1e-36))

    def _apply_dense(self, grad, var):
        return self._update_ftrl(var, (grad,), sparse=False)

    def _apply_sparse(self, grad, var):
        return self._update_ftrl(var, (grad.values, grad.indices), sparse=True)

    def _update_ftrl(self, var, grad_args, sparse):
        dt = var.dtype
        shrink = self._l2_shrinkage > 0.0
        scalars = [self._hyper(self._lr, "learning_rate", dt),
                   self._hyper(self._l1, "l1_regularization_strength", dt),
                   self._hyper(self._adjusted_l2(), "adjusted_l2_regularization_strength", dt)]
        if shrink:
            scalars.append(self._hyper(self._l2_shrinkage,
                                       "l2_shrinkage_regularization_strength", dt))
        scalars.append(self._hyper(self._lr_power, "learning_rate_power", dt))
        kernel = {(False, False): ftrl_ops.APPLY_FTRL,
                  (True, False): ftrl_ops.APPLY_FTRL_V2,
                  (False, True): ftrl_ops.SPARSE_APPLY_FTRL,
                  (True, True): ftrl_ops.SPARSE_APPLY_FTRL_V2}[(shrink, sparse)]
        return kernel(var, self.get_slot(var, "accum"), self.get_slot(var, "linear"),
                      *grad_args, *scalars, use_locking=self._use_locking)


class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent followed by the proximal step of l1 (soft thresholding) and l2
    (shrinking): ApplyProximalGradientDescent; no slots."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength

    def _apply_dense(self, grad, var):
        return ftrl_ops.APPLY_PROXIMAL_GRADIENT_DESCENT(
            var, *_proximal_scalars(self, var.dtype), grad, use_locking=self._use_locking)

    def _apply_sparse(self, grad, var):
        return ftrl_ops.SPARSE_APPLY_PROXIMAL_GRADIENT_DESCENT(
            var, *_proximal_scalars(self, var.dtype), grad.values, grad.indices,
            use_locking=self._use_locking)


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad's per-element learning rate with the proximal l1/l2 step: ApplyProximalAdagrad,
    slot ``accumulator`` (``w/ProximalAdagrad``) starting at ``initial_accumulator_value``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._lr, self._initial = learning_rate, initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            shape = v.shape.as_list()
            self._slot(v, "accumulator", lambda v=v, shape=shape: array_ops.constant(
                self._initial, shape=shape, dtype=v.dtype))

    def _apply_dense(self, grad, var):
        return ftrl_ops.APPLY_PROXIMAL_ADAGRAD(
            var, self.get_slot(var, "accumulator"), *_proximal_scalars(self, var.dtype), grad,
            use_locking=self._use_locking)

    def _apply_sparse(self, grad, var):
        return ftrl_ops.SPARSE_APPLY_PROXIMAL_ADAGRAD(
            var, self.get_slot(var, "accumulator"), *_proximal_scalars(self, var.dtype),
            grad.values, grad.indices, use_locking=self._use_locking)
