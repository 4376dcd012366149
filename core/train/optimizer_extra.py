"""TF 1.x's FTRL, proximal and dual-averaging optimizers: FtrlOptimizer,
ProximalGradientDescentOptimizer, ProximalAdagradOptimizer (over the ops of core/ops/ftrl_ops.py)
and AdagradDAOptimizer (ApplyAdagradDA), with TensorFlow's slot names (``w/Ftrl``, ``w/Ftrl_1``,
``w/ProximalAdagrad``) and private attribute names. A sparse gradient (IndexedSlices) moves
only its rows, as in TF1."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import convert_to_tensor
from ..ops import array_ops, ftrl_ops, math_ops, training_da_ops
from .optimizer import Optimizer, _cast_to


def _prepare_proximal(opt):
    opt._learning_rate_tensor = convert_to_tensor(opt._learning_rate, name="learning_rate")
    opt._l1_regularization_strength_tensor = convert_to_tensor(
        opt._l1_regularization_strength, name="l1_regularization_strength")
    opt._l2_regularization_strength_tensor = convert_to_tensor(
        opt._l2_regularization_strength, name="l2_regularization_strength")


def _proximal_scalars(opt, dt):
    """learning_rate, l1 and l2 of a proximal optimizer as tensors of the variable's dtype."""
    return tuple(_cast_to(t, dt) for t in (opt._learning_rate_tensor,
                                           opt._l1_regularization_strength_tensor,
                                           opt._l2_regularization_strength_tensor))


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
        self._learning_rate, self._learning_rate_power = learning_rate, learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name, self._linear_name = accum_name, linear_name
        self._learning_rate_tensor = self._learning_rate_power_tensor = None
        self._l1_regularization_strength_tensor = None
        self._adjusted_l2_regularization_strength_tensor = None
        self._l2_shrinkage_regularization_strength_tensor = self._beta_tensor = None

    def _create_slots(self, var_list):
        def accum_initializer(shape, dtype=_dt.float32, partition_info=None):
            return array_ops.ones(shape, dtype=dtype) * self._initial_accumulator_value

        for v in var_list:
            self._get_or_make_slot_with_initializer(v, accum_initializer, v.shape, v.dtype,
                                                    "accum", self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate,
                                                       name="learning_rate")
        self._l1_regularization_strength_tensor = convert_to_tensor(
            self._l1_regularization_strength, name="l1_regularization_strength")
        # l2 + beta / (2 lr), TF's stand-in for the paper's beta; without a beta (TF 1.x has
        # none) just l2, so the graph holds no extra ops.
        l2 = self._l2_regularization_strength
        if self._beta:
            l2 = l2 + self._beta / (2.0 * math_ops.maximum(
                convert_to_tensor(self._learning_rate), 1e-36))
        self._adjusted_l2_regularization_strength_tensor = convert_to_tensor(
            l2, name="adjusted_l2_regularization_strength")
        self._beta_tensor = convert_to_tensor(self._beta, name="beta")
        self._l2_shrinkage_regularization_strength_tensor = convert_to_tensor(
            self._l2_shrinkage_regularization_strength,
            name="l2_shrinkage_regularization_strength")
        self._learning_rate_power_tensor = convert_to_tensor(self._learning_rate_power,
                                                             name="learning_rate_power")

    def _apply_dense(self, grad, var):
        return self._update_ftrl(var, (grad,), sparse=False)

    def _apply_sparse(self, grad, var):
        return self._update_ftrl(var, (grad.values, grad.indices), sparse=True)

    def _update_ftrl(self, var, grad_args, sparse):
        shrink = self._l2_shrinkage_regularization_strength > 0.0
        scalars = [self._learning_rate_tensor, self._l1_regularization_strength_tensor,
                   self._adjusted_l2_regularization_strength_tensor]
        if shrink:
            scalars.append(self._l2_shrinkage_regularization_strength_tensor)
        scalars.append(self._learning_rate_power_tensor)
        kernel = {(False, False): ftrl_ops.APPLY_FTRL,
                  (True, False): ftrl_ops.APPLY_FTRL_V2,
                  (False, True): ftrl_ops.SPARSE_APPLY_FTRL,
                  (True, True): ftrl_ops.SPARSE_APPLY_FTRL_V2}[(shrink, sparse)]
        return kernel(var, self.get_slot(var, "accum"), self.get_slot(var, "linear"),
                      *grad_args, *(_cast_to(t, var.dtype) for t in scalars),
                      use_locking=self._use_locking).op


class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent followed by the proximal step of l1 (soft thresholding) and l2
    (shrinking): ApplyProximalGradientDescent; no slots."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._l1_regularization_strength_tensor = None
        self._l2_regularization_strength_tensor = None

    _prepare = _prepare_proximal

    def _apply_dense(self, grad, var):
        return ftrl_ops.APPLY_PROXIMAL_GRADIENT_DESCENT(
            var, *_proximal_scalars(self, var.dtype), grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return ftrl_ops.SPARSE_APPLY_PROXIMAL_GRADIENT_DESCENT(
            var, *_proximal_scalars(self, var.dtype), grad.values, grad.indices,
            use_locking=self._use_locking).op


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
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._l1_regularization_strength_tensor = None
        self._l2_regularization_strength_tensor = None
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            shape, dtype = v.shape.as_list(), v.dtype
            self._get_or_make_slot(v, lambda shape=shape, dtype=dtype: array_ops.constant(
                self._initial_accumulator_value, shape=shape, dtype=dtype), "accumulator",
                self._name)

    _prepare = _prepare_proximal

    def _apply_dense(self, grad, var):
        return ftrl_ops.APPLY_PROXIMAL_ADAGRAD(
            var, self.get_slot(var, "accumulator"), *_proximal_scalars(self, var.dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return ftrl_ops.SPARSE_APPLY_PROXIMAL_ADAGRAD(
            var, self.get_slot(var, "accumulator"), *_proximal_scalars(self, var.dtype),
            grad.values, grad.indices, use_locking=self._use_locking).op


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al., 2011) for sparse linear models: slots
    ``gradient_accumulator`` and ``gradient_squared_accumulator`` (``w/AdagradDA``,
    ``w/AdagradDA_1``); each step recomputes the variable from them, ``global_step + 1`` and the
    l1/l2 strengths (ApplyAdagradDA / SparseApplyAdagradDA). ``global_step`` is required: pass
    the same int64 step that ``minimize(global_step=...)`` increments."""

    def __init__(self, learning_rate, global_step,
                 initial_gradient_squared_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = (
            initial_gradient_squared_accumulator_value)
        self._learning_rate_tensor = None
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step
        self._global_step_on_worker = None

    def _create_slots(self, var_list):
        for v in var_list:
            shape, dtype = v.shape.as_list(), v.dtype
            g_val = array_ops.constant(0.0, shape=shape, dtype=dtype)
            gg_val = array_ops.constant(self._initial_gradient_squared_accumulator_value,
                                        shape=shape, dtype=dtype)
            self._get_or_make_slot(v, g_val, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, gg_val, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        if self._global_step is None:
            raise ValueError("AdagradDAOptimizer needs a global_step (a Tensor or Variable)")
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate,
                                                       name="learning_rate")
        # The step the update is for: the value global_step has after this step's increment.
        self._global_step_on_worker = array_ops.identity(self._global_step) + 1

    def _da_args(self, var):
        dt = var.dtype
        return ([_cast_to(self._learning_rate_tensor, dt),
                 _cast_to(convert_to_tensor(self._l1_regularization_strength), dt),
                 _cast_to(convert_to_tensor(self._l2_regularization_strength), dt),
                 array_ops.identity(self._global_step_on_worker)])

    def _apply_dense(self, grad, var):
        return training_da_ops.APPLY_ADAGRAD_DA(
            var, self.get_slot(var, "gradient_accumulator"),
            self.get_slot(var, "gradient_squared_accumulator"), grad, *self._da_args(var),
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_da_ops.SPARSE_APPLY_ADAGRAD_DA(
            var, self.get_slot(var, "gradient_accumulator"),
            self.get_slot(var, "gradient_squared_accumulator"), grad.values, grad.indices,
            *self._da_args(var), use_locking=self._use_locking).op
