"""More of ``tf.contrib.opt`` (TF 1.15): AdaMax, Adam with the global step's powers
(AdamGS, LazyAdamGS), LARS, RegAdagrad, and the wrappers VariableClippingOptimizer,
MultitaskOptimizerWrapper (+ clip_gradients_by_global_norm), DropStaleGradientOptimizer and
MovingAverageOptimizer.
Slot and variable names, hook order and update formulas are TF1's (see core/contrib/opt.py,
which exports these names)."""

from __future__ import annotations

import contextlib
import types

import minitf as tf

from ..indexed_slices import IndexedSlices
from ..ops import graph_compat_train_ops, training_ops
from ..train.optimizer import AdagradOptimizer, AdamOptimizer, Optimizer, _cast_to

__all__ = ["AdaMaxOptimizer", "AdamGSOptimizer", "DropStaleGradientOptimizer",
           "LARSOptimizer", "LazyAdamGSOptimizer", "MovingAverageOptimizer",
           "MultitaskOptimizerWrapper",
           "RegAdagradOptimizer", "VariableClippingOptimizer",
           "clip_gradients_by_global_norm"]


class AdaMaxOptimizer(AdamOptimizer):
    """TF's AdaMaxOptimizer (Kingma & Ba, section 7.1): Adam's slots ``m``, ``v`` and
    ``beta1_power`` / ``beta2_power``, with ``m = beta1*m + (1-beta1)*g``,
    ``v = max(beta2*v, |g|)``, ``var -= lr / (1 - beta1^t) * m / (v + epsilon)`` (one
    ApplyAdaMax node). A sparse gradient moves only its rows of var, m and v."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="AdaMax"):
        super().__init__(learning_rate, beta1, beta2, epsilon, use_locking, name)

    def _hyper(self, var):
        dt = var.dtype
        b1p = self._get_beta_accumulators()[0]
        return [_cast_to(t, dt) for t in (b1p.value(), self._lr_t, self._beta1_t,
                                          self._beta2_t, self._epsilon_t)]

    def _apply_dense(self, grad, var):
        b1p, lr, b1, b2, eps = self._hyper(var)
        return graph_compat_train_ops.APPLY_ADA_MAX(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"), b1p, lr, b1, b2, eps, grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        b1p, lr, b1, b2, eps = self._hyper(var)
        idx, g, lock = grad.indices, grad.values, self._use_locking
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_rows = tf.gather(m, idx) * b1 + g * (1 - b1)
        v_rows = tf.maximum(tf.gather(v, idx) * b2, tf.abs(g))
        m_t = tf.scatter_update(m, idx, m_rows, use_locking=lock)
        v_t = tf.scatter_update(v, idx, v_rows, use_locking=lock)
        var_t = tf.scatter_add(var, idx, -lr / (1 - b1p) * (m_rows / (v_rows + eps)),
                               use_locking=lock)
        return tf.group(var_t, m_t, v_t)


class AdamGSOptimizer(Optimizer):
    """TF's AdamGSOptimizer: Adam whose ``beta1^t`` / ``beta2^t`` come from
    ``global_step + 1`` (a variable or a number) instead of the optimizer's own
    accumulators; slots ``m`` and ``v``. A sparse gradient decays all of m and v, as Adam."""

    def __init__(self, global_step=0, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon
        self._global_step = global_step
        self._global_step_on_worker = None
        self._lr_t = self._beta1_t = self._beta2_t = self._epsilon_t = None

    def _get_beta_accumulators(self):
        return (tf.pow(self._beta1_t, self._global_step_on_worker),
                tf.pow(self._beta2_t, self._global_step_on_worker))

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        call = self._call_if_callable
        self._lr_t = tf.convert_to_tensor(call(self._lr), name="learning_rate")
        self._beta1_t = tf.convert_to_tensor(call(self._beta1), name="beta1")
        self._beta2_t = tf.convert_to_tensor(call(self._beta2), name="beta2")
        self._epsilon_t = tf.convert_to_tensor(call(self._epsilon), name="epsilon")
        # TF: a local copy of the step, so the parameter server holding it is read once.
        self._global_step_on_worker = tf.cast(tf.identity(self._global_step) + 1, tf.float32)

    def _scalars(self, var):
        dt = var.dtype
        b1p, b2p = self._get_beta_accumulators()
        return [_cast_to(t, dt) for t in (b1p, b2p, self._lr_t, self._beta1_t, self._beta2_t,
                                          self._epsilon_t)]

    def _apply_dense(self, grad, var):
        return training_ops.APPLY_ADAM(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"), *self._scalars(var), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        b1p, b2p, lr_t, b1, b2, eps = self._scalars(var)
        lr = lr_t * tf.sqrt(1 - b2p) / (1 - b1p)
        idx, g, lock = grad.indices, grad.values, self._use_locking
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = tf.assign(m, m * b1, use_locking=lock)
        with tf.control_dependencies([m_t]):
            m_t = tf.scatter_add(m, idx, g * (1 - b1), use_locking=lock)
        v_t = tf.assign(v, v * b2, use_locking=lock)
        with tf.control_dependencies([v_t]):
            v_t = tf.scatter_add(v, idx, (g * g) * (1 - b2), use_locking=lock)
        var_t = tf.assign_sub(var, lr * m_t / (tf.sqrt(v_t) + eps), use_locking=lock)
        return tf.group(var_t, m_t, v_t)


class LazyAdamGSOptimizer(AdamGSOptimizer):
    """TF's LazyAdamGSOptimizer: AdamGS, but a sparse gradient updates only its rows of the
    variable and of ``m`` / ``v`` (dense gradients: AdamGS)."""

    def _apply_sparse(self, grad, var):
        b1p, b2p, lr_t, b1, b2, eps = self._scalars(var)
        lr = lr_t * tf.sqrt(1 - b2p) / (1 - b1p)
        idx, g, lock = grad.indices, grad.values, self._use_locking
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = tf.scatter_update(m, idx, b1 * tf.gather(m, idx) + (1 - b1) * g, use_locking=lock)
        v_t = tf.scatter_update(v, idx, b2 * tf.gather(v, idx) + (1 - b2) * tf.square(g),
                                use_locking=lock)
        with tf.control_dependencies([m_t, v_t]):
            m_rows, v_rows = tf.gather(m_t, idx), tf.gather(v_t, idx)
        var_t = tf.scatter_sub(var, idx, lr * m_rows / (tf.sqrt(v_rows) + eps),
                               use_locking=lock)
        return tf.group(var_t, m_t, v_t)


class LARSOptimizer(Optimizer):
    """TF's LARSOptimizer (You, Gitman & Ginsburg 2017): Momentum (slot ``momentum``) with
    the learning rate scaled per variable by the trust ratio
    ``eeta * |w| / (|g| + weight_decay * |w| + epsilon)`` (1 when |w| or |g| is 0); a
    variable whose name contains a ``skip_list`` string, and sparse gradients, get plain
    Momentum. As in TF 1.15, the weight decay enters the ratio only, not the gradient."""

    def __init__(self, learning_rate, momentum=0.9, weight_decay=0.0001, eeta=0.001,
                 epsilon=0.0, name="LARSOptimizer", skip_list=None, use_nesterov=False):
        if momentum < 0.0:
            raise ValueError(f"momentum should be positive: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"weight_decay should be positive: {weight_decay}")
        super().__init__(use_locking=False, name=name)
        self._learning_rate, self._momentum = learning_rate, momentum
        self._weight_decay, self._eeta, self._epsilon = weight_decay, eeta, epsilon
        self._skip_list, self._use_nesterov = skip_list, use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        call = self._call_if_callable
        self._learning_rate_tensor = tf.convert_to_tensor(call(self._learning_rate),
                                                          name="learning_rate")
        self._momentum_tensor = tf.convert_to_tensor(call(self._momentum), name="momentum")

    def compute_lr(self, grad, var):
        """The learning rate for ``var``: scaled by the trust ratio unless skipped."""
        lr = self._learning_rate
        if self._skip_list is None or not any(s in var.name for s in self._skip_list):
            w_norm, g_norm = tf.norm(var, ord=2), tf.norm(grad, ord=2)
            ratio = self._eeta * w_norm / (g_norm + self._weight_decay * w_norm + self._epsilon)
            trust = tf.where(tf.greater(w_norm, 0),
                             tf.where(tf.greater(g_norm, 0), ratio, tf.ones_like(ratio)),
                             tf.ones_like(ratio))
            lr = lr * trust
        return lr

    def _apply_dense(self, grad, var):
        dt = var.dtype
        return training_ops.APPLY_MOMENTUM(
            var, self.get_slot(var, "momentum"),
            _cast_to(tf.convert_to_tensor(self.compute_lr(grad, var)), dt), grad,
            _cast_to(tf.convert_to_tensor(self._momentum), dt), use_locking=False,
            use_nesterov=self._use_nesterov).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype
        return training_ops.SPARSE_APPLY_MOMENTUM(
            var, self.get_slot(var, "momentum"), _cast_to(self._learning_rate_tensor, dt),
            grad.values, grad.indices, _cast_to(self._momentum_tensor, dt),
            use_locking=self._use_locking, use_nesterov=self._use_nesterov).op


class RegAdagradOptimizer(AdagradOptimizer):
    """TF's RegAdagradOptimizer: Adagrad (slot ``accumulator``) whose updates built inside
    ``with opt.avoid_updating_slots():`` leave the accumulator alone (ApplyAdagrad's
    ``update_slots=False``), so a regularizer's gradient does not decay the learning rate."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="RegAdagrad"):
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value,
                         use_locking=use_locking, name=name)
        self._should_update_slots = True

    @contextlib.contextmanager
    def avoid_updating_slots(self):
        old, self._should_update_slots = self._should_update_slots, False
        try:
            yield
        finally:
            self._should_update_slots = old

    def _apply_dense(self, grad, var):
        return training_ops.APPLY_ADAGRAD(
            var, self.get_slot(var, "accumulator"),
            _cast_to(self._learning_rate_tensor, var.dtype), grad,
            use_locking=self._use_locking, update_slots=self._should_update_slots).op

    def _apply_sparse(self, grad, var):
        return training_ops.SPARSE_APPLY_ADAGRAD(
            var, self.get_slot(var, "accumulator"),
            _cast_to(self._learning_rate_tensor, var.dtype), grad.values, grad.indices,
            use_locking=self._use_locking, update_slots=self._should_update_slots).op


class VariableClippingOptimizer(Optimizer):
    """TF's VariableClippingOptimizer: ``opt``'s update, then each variable of
    ``vars_to_clip_dims`` (a dict variable -> dimensions) clipped to L2 norm ``max_norm``
    along its dimensions (``tf.clip_by_norm``); with a sparse gradient only its rows are
    clipped (each once), unless dimension 0 is among the clip dimensions."""

    def __init__(self, opt, vars_to_clip_dims, max_norm, use_locking=False,
                 colocate_clip_ops_with_vars=False, name="VariableClipping"):
        super().__init__(use_locking, name)
        self._opt = opt
        self._vars_to_clip_dims = {v: list(dims) for v, dims in vars_to_clip_dims.items()}
        self._max_norm = max_norm
        self._colocate_clip_ops_with_vars = colocate_clip_ops_with_vars

    def compute_gradients(self, *args, **kwargs):
        return self._opt.compute_gradients(*args, **kwargs)

    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._opt.get_slot_names(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = list(grads_and_vars)
        with tf.name_scope(name, self._name) as name:
            update_op = self._opt.apply_gradients(grads_and_vars, global_step=global_step)
            clips = []
            with tf.control_dependencies([update_op]):
                for grad, var in grads_and_vars:
                    if grad is None or var not in self._vars_to_clip_dims:
                        continue
                    with tf.name_scope("clip_" + var.op.name):
                        clips.append(self._clip_sparse(grad, var)
                                     if isinstance(grad, IndexedSlices) else
                                     self._clip_dense(var))
            return tf.group(update_op, *clips, name=name)

    def _maybe_colocate_with(self, var):
        if self._colocate_clip_ops_with_vars:
            return tf.colocate_with(var)
        return contextlib.nullcontext()

    def _clip_dense(self, var):
        with self._maybe_colocate_with(var):
            value = var.read_value()
            delta = value - tf.clip_by_norm(value, self._max_norm, self._vars_to_clip_dims[var])
        with tf.colocate_with(var):
            return var.assign_sub(delta, use_locking=self._use_locking)

    def _clip_sparse(self, grad, var):
        dims = self._vars_to_clip_dims[var]
        if 0 in dims:
            tf.logging.warning("Clipping norm across dims %s for %s is inefficient when "
                               "including sparse dimension 0.", dims, var.op.name)
            return self._clip_dense(var)
        # Each row once: TF scatters the delta at the raw indices, so a row gathered twice
        # (a repeated index) was pushed past the norm; here it is clipped exactly.
        indices = tf.unique(grad.indices)[0]
        with tf.colocate_with(var):
            rows = tf.gather(var, indices)
        with self._maybe_colocate_with(var):
            delta = IndexedSlices(rows - tf.clip_by_norm(rows, self._max_norm, dims),
                                  indices, grad.dense_shape)
        with tf.colocate_with(var):
            return var.scatter_sub(delta, use_locking=self._use_locking)


def _is_all_zeros(grad):
    if isinstance(grad, IndexedSlices):
        grad = grad.values
    return tf.equal(tf.count_nonzero(grad), 0)


def _skip_all_zero(fn):
    """``fn(grad, ...)`` made to run only when ``grad`` has a non-zero element."""
    def wrapper(self, grad, *args, **kwargs):
        return tf.cond(_is_all_zeros(grad), tf.no_op, lambda: fn(grad, *args, **kwargs))
    return wrapper


class MultitaskOptimizerWrapper:
    """TF's MultitaskOptimizerWrapper: ``opt`` (whose methods it forwards) with each
    per-variable update skipped (a tf.cond) when that variable's gradient is all zeros, so
    a loss term missing from a batch does not move the optimizer's state."""

    def __init__(self, opt):
        if not isinstance(opt, Optimizer):
            raise TypeError("Supplied optimizer must be an instance of tf.train.Optimizer")
        self._opt = opt
        for name in ("_apply_dense", "_resource_apply_dense", "_apply_sparse",
                     "_resource_apply_sparse"):
            setattr(opt, name, types.MethodType(_skip_all_zero(getattr(opt, name)), opt))

    def __getattr__(self, name):
        return getattr(self._opt, name)


def clip_gradients_by_global_norm(gradients_variables, clip_norm=20.):
    """TF's clip_gradients_by_global_norm: ``tf.clip_by_global_norm`` of the gradients of
    ``[(gradient, variable)]``, the global norm leaving out all-zero gradients. Returns
    ``([(clipped, variable)], global_norm)``."""
    gradients_variables = list(gradients_variables)
    if not gradients_variables:
        raise ValueError("gradients_variables must not be empty")
    gradients, variables = zip(*gradients_variables)

    def present(grad):
        if grad is None:
            return None
        values = grad.values if isinstance(grad, IndexedSlices) else grad
        return tf.cond(_is_all_zeros(values), lambda: tf.zeros([], dtype=values.dtype),
                       lambda: values)

    fixed_global_norm = tf.global_norm([present(g) for g in gradients])
    clipped, _ = tf.clip_by_global_norm(list(gradients), clip_norm, use_norm=fixed_global_norm)
    return list(zip(clipped, variables)), fixed_global_norm


class DropStaleGradientOptimizer(Optimizer):
    """TF's DropStaleGradientOptimizer: ``compute_gradients`` records the global step;
    ``apply_gradients`` applies ``opt``'s update only if the global step has moved at most
    ``staleness`` since, counting dropped steps in the variable ``stale_counter`` (the op
    returned adds 0 or 1 to it) and summarising their share."""

    def __init__(self, opt, staleness, use_locking=False, name="DropStaleGradient"):
        super().__init__(use_locking, name)
        self._opt, self._staleness = opt, staleness
        self._local_step = None

    def compute_gradients(self, loss, *args, **kwargs):
        global_step = tf.train.get_global_step()
        if global_step is None:
            raise ValueError("DropStaleGradientOptimizer needs a global step: create one "
                             "(tf.train.get_or_create_global_step()) before compute_gradients")
        with tf.colocate_with(loss):
            self._local_step = global_step.read_value() + 0
        with tf.control_dependencies([self._local_step]):
            loss = tf.identity(loss)
            return self._opt.compute_gradients(loss, *args, **kwargs)

    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._opt.get_slot_names(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = list(grads_and_vars)
        if global_step is None:
            raise ValueError("DropStaleGradientOptimizer.apply_gradients needs global_step")
        if self._local_step is None:
            raise ValueError("Call DropStaleGradientOptimizer.compute_gradients (or minimize) "
                             "first: it records the global step the gradients start from")
        with tf.colocate_with(global_step):
            stale_counter = tf.get_variable("stale_counter", [],
                                            initializer=tf.zeros_initializer(),
                                            trainable=False)

        def accept():
            with tf.control_dependencies([self._opt.apply_gradients(
                    grads_and_vars, global_step=global_step, name=name)]):
                return tf.identity(0.0)

        deps = [g if isinstance(g, tf.Tensor) else g.values.op
                for g, _ in grads_and_vars if g is not None]
        with tf.control_dependencies(deps), tf.colocate_with(global_step):
            staleness = tf.reshape(global_step.read_value() - self._local_step, shape=())
        update = stale_counter.assign_add(tf.cond(tf.less_equal(staleness, self._staleness),
                                                  accept, lambda: tf.identity(1.0)))
        tf.summary.scalar("Gradient staleness percentage",
                          stale_counter / tf.cast(global_step.read_value() + 1, tf.float32))
        return update


class MovingAverageOptimizer(Optimizer):
    """TF's MovingAverageOptimizer: ``opt``'s update, then an exponential moving average of
    the updated variables; ``swapping_saver()`` saves each average under its variable's name
    (and the variable under the average's), so a restore loads the averages."""

    def __init__(self, opt, average_decay=0.9999, num_updates=None, sequential_update=True):
        super().__init__(opt._use_locking, opt.get_name())
        self._optimizer = opt
        self._ema = tf.train.ExponentialMovingAverage(average_decay, num_updates=num_updates,
                                                      zero_debias=False)
        self._swapped_variable_name_map = None
        self._sequential_update = sequential_update

    def compute_gradients(self, *args, **kwargs):
        return self._optimizer.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = list(grads_and_vars)
        train_op = self._optimizer.apply_gradients(grads_and_vars, global_step=global_step,
                                                   name=name)
        var_list = [v for g, v in grads_and_vars if g is not None]
        self._swapped_variable_name_map = {}
        if self._sequential_update:
            with tf.control_dependencies([train_op]):
                ma_op = self._ema.apply(var_list)
        else:
            ma_op = self._ema.apply(var_list)
        for v in var_list:
            v_avg = self._ema.average(v)
            self._swapped_variable_name_map[v.op.name] = v_avg.op.name
            self._swapped_variable_name_map[v_avg.op.name] = v.op.name
        return tf.group(train_op, ma_op, name="train_with_avg")

    def swapping_saver(self, var_list=None, name="swapping_saver", **kwargs):
        """A Saver writing each averaged variable's average under the variable's name."""
        if self._swapped_variable_name_map is None:
            raise RuntimeError("Must call apply_gradients or minimize before creating the "
                               "swapping_saver")
        if var_list is None:
            var_list = tf.global_variables()
        if not isinstance(var_list, dict):
            var_list = {v.op.name: v for v in var_list}
        swapped = {}
        for key, tensor in var_list.items():
            other = self._swapped_variable_name_map.get(key)
            if other is None:
                swapped[key] = tensor
            elif other in var_list:
                swapped[key] = var_list[other]
            else:
                raise ValueError(f"Variable to swap {other} is not part of variables to save. "
                                 "This breaks MovingAverageOptimizer.")
        return tf.train.Saver(swapped, name=name, **kwargs)
