"""``tf.contrib.opt`` (TF 1.15): optimizers TF1 kept outside tf.train. Each extends a
tf.train optimizer through TF1's protected hooks (``_create_slots``, ``_prepare``,
``_apply_dense``, ``_apply_sparse``), so slot names and update order are TF1's:
decoupled weight decay (AdamW, MomentumW, ``extend_with_decoupled_weight_decay``), LazyAdam,
Nadam, AddSign, PowerSign and MovingAverageOptimizer. TF's ApplyAddSign / ApplyPowerSign are
composed here from assign ops (same formulas), not single nodes."""

from __future__ import annotations

import math

import minitf as tf

from ..indexed_slices import IndexedSlices
from ..train.optimizer import AdamOptimizer, MomentumOptimizer, Optimizer

__all__ = ["AdamWOptimizer", "AddSignOptimizer", "DecoupledWeightDecayExtension",
           "LazyAdamOptimizer", "MomentumWOptimizer", "MovingAverageOptimizer",
           "NadamOptimizer", "PowerSignOptimizer", "extend_with_decoupled_weight_decay"]


def _cast(t, dtype):
    return t if t.dtype == dtype else tf.cast(t, dtype)


class DecoupledWeightDecayExtension:
    """TF's DecoupledWeightDecayExtension (Loshchilov & Hutter): before each update,
    ``var -= weight_decay * var`` (only the gradient's rows for a sparse gradient), for the
    variables in ``decay_var_list`` (every variable when it is not given)."""

    def __init__(self, weight_decay, **kwargs):
        self._decay_var_list = None
        self._weight_decay = weight_decay
        self._weight_decay_tensor = None
        super().__init__(**kwargs)

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=Optimizer.GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None, decay_var_list=None):
        """TF1's minimize. As in TF 1.15, ``decay_var_list`` has no effect here: the
        apply_gradients call inside minimize resets it, so every variable decays."""
        self._decay_var_list = set(decay_var_list) if decay_var_list else False
        return super().minimize(loss, global_step=global_step, var_list=var_list,
                                gate_gradients=gate_gradients,
                                aggregation_method=aggregation_method,
                                colocate_gradients_with_ops=colocate_gradients_with_ops,
                                name=name, grad_loss=grad_loss)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None,
                        decay_var_list=None):
        """TF1's apply_gradients, with the variables to decay (default: all)."""
        self._decay_var_list = set(decay_var_list) if decay_var_list else False
        return super().apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def _prepare(self):
        weight_decay = self._weight_decay
        if callable(weight_decay):
            weight_decay = weight_decay()
        self._weight_decay_tensor = tf.convert_to_tensor(weight_decay, name="weight_decay")
        super()._prepare()

    def _decays(self, var):
        return not self._decay_var_list or var in self._decay_var_list

    def _decay(self, var):
        # TF multiplies by the Python number itself (exact in float64), else by the tensor.
        if isinstance(self._weight_decay, (int, float)):
            return self._weight_decay
        return _cast(self._weight_decay_tensor, var.dtype)

    def _decay_weights_op(self, var):
        if self._decays(var):
            return var.assign_sub(self._decay(var) * var,
                                  self._use_locking)
        return tf.no_op()

    def _decay_weights_sparse_op(self, var, indices):
        if self._decays(var):
            update = -self._decay(var) * tf.gather(var, indices)
            return tf.scatter_add(var, indices, update, use_locking=self._use_locking)
        return tf.no_op()

    def _apply_dense(self, grad, var):
        with tf.control_dependencies([self._decay_weights_op(var)]):
            return super()._apply_dense(grad, var)

    def _apply_sparse(self, grad, var):
        decay_op = self._decay_weights_sparse_op(var, grad.indices)
        with tf.control_dependencies([decay_op]):
            mro = type(self).__mro__
            bases = mro[mro.index(DecoupledWeightDecayExtension) + 1:]
            if any("_apply_sparse" in c.__dict__ for c in bases if c is not Optimizer):
                return super()._apply_sparse(grad, var)
            # The base optimizer's sparse update equals its dense one (minitf's Adam).
            dense_shape = grad.dense_shape if grad.dense_shape is not None else tf.shape(var)
            dense = tf.convert_to_tensor(IndexedSlices(grad.values, grad.indices, dense_shape))
            return super()._apply_dense(dense, var)


def extend_with_decoupled_weight_decay(base_optimizer):
    """TF's extend_with_decoupled_weight_decay: ``base_optimizer``'s class with decoupled
    weight decay; the new class takes ``weight_decay`` first."""

    class OptimizerWithDecoupledWeightDecay(DecoupledWeightDecayExtension, base_optimizer):
        """``base_optimizer`` with decoupled weight decay (its constructor's arguments after
        ``weight_decay``)."""

        def __init__(self, weight_decay, *args, **kwargs):
            # (TF passes keyword arguments only; the base's positional ones work here too.)
            self._decay_var_list = None
            self._weight_decay = weight_decay
            self._weight_decay_tensor = None
            base_optimizer.__init__(self, *args, **kwargs)

    return OptimizerWithDecoupledWeightDecay


class MomentumWOptimizer(DecoupledWeightDecayExtension, MomentumOptimizer):
    """TF's MomentumWOptimizer: Momentum with decoupled weight decay (slot ``momentum``)."""

    def __init__(self, weight_decay, learning_rate, momentum, use_locking=False,
                 name="MomentumW", use_nesterov=False):
        super().__init__(weight_decay, learning_rate=learning_rate, momentum=momentum,
                         use_locking=use_locking, name=name, use_nesterov=use_nesterov)


class AdamWOptimizer(DecoupledWeightDecayExtension, AdamOptimizer):
    """TF's AdamWOptimizer: Adam with decoupled weight decay (slots ``m``, ``v``)."""

    def __init__(self, weight_decay, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, use_locking=False, name="AdamW"):
        super().__init__(weight_decay, learning_rate=learning_rate, beta1=beta1, beta2=beta2,
                         epsilon=epsilon, use_locking=use_locking, name=name)


class _AdamScalars:
    """Adam's per-step scalars in ``var``'s dtype, as TF's sparse updates compute them."""

    def _scalars(self, var):
        dt = var.dtype
        b1p, b2p = (_cast(b.value(), dt) for b in self._get_beta_accumulators())
        lr_t, beta1_t = _cast(self._lr_t, dt), _cast(self._beta1_t, dt)
        beta2_t, epsilon_t = _cast(self._beta2_t, dt), _cast(self._epsilon_t, dt)
        lr = lr_t * tf.sqrt(1 - b2p) / (1 - b1p)
        return lr, beta1_t, beta2_t, epsilon_t


class LazyAdamOptimizer(_AdamScalars, AdamOptimizer):
    """TF's LazyAdamOptimizer: Adam, but a sparse gradient updates only its rows of the
    variable and of the ``m`` / ``v`` slots (dense gradients: Adam)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="LazyAdam"):
        super().__init__(learning_rate, beta1, beta2, epsilon, use_locking, name)

    def _apply_sparse(self, grad, var):
        lr, beta1_t, beta2_t, epsilon_t = self._scalars(var)
        m, v, idx = self.get_slot(var, "m"), self.get_slot(var, "v"), grad.indices
        m_t = tf.scatter_update(m, idx, beta1_t * tf.gather(m, idx) +
                                (1 - beta1_t) * grad.values, use_locking=self._use_locking)
        v_t = tf.scatter_update(v, idx, beta2_t * tf.gather(v, idx) +
                                (1 - beta2_t) * tf.square(grad.values),
                                use_locking=self._use_locking)
        with tf.control_dependencies([m_t, v_t]):
            m_slice, v_slice = tf.gather(m_t, idx), tf.gather(v_t, idx)
        var_update = tf.scatter_sub(var, idx, lr * m_slice / (tf.sqrt(v_slice) + epsilon_t),
                                    use_locking=self._use_locking)
        return tf.group(var_update, m_t, v_t)


class NadamOptimizer(_AdamScalars, AdamOptimizer):
    """TF's NadamOptimizer: Adam with Nesterov momentum (ApplyAdam's use_nesterov)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(learning_rate, beta1, beta2, epsilon, use_locking, name)

    def _apply_dense(self, grad, var):
        from ..ops import training_ops

        dt = var.dtype
        b1p, b2p = self._get_beta_accumulators()
        return training_ops.APPLY_ADAM(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"), _cast(b1p.value(), dt),
            _cast(b2p.value(), dt), _cast(self._lr_t, dt), _cast(self._beta1_t, dt),
            _cast(self._beta2_t, dt), _cast(self._epsilon_t, dt), grad,
            use_locking=self._use_locking, use_nesterov=True).op

    def _apply_sparse(self, grad, var):
        lr, beta1_t, beta2_t, epsilon_t = self._scalars(var)
        idx = grad.indices
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_scaled = grad.values * (1 - beta1_t)
        m_t = tf.assign(m, m * beta1_t, use_locking=self._use_locking)
        with tf.control_dependencies([m_t]):
            m_t = tf.scatter_add(m, idx, m_scaled, use_locking=self._use_locking)
            m_bar = m_scaled + beta1_t * tf.gather(m_t, idx)
        v_t = tf.assign(v, v * beta2_t, use_locking=self._use_locking)
        with tf.control_dependencies([v_t]):
            v_t = tf.scatter_add(v, idx, (grad.values * grad.values) * (1 - beta2_t),
                                 use_locking=self._use_locking)
        v_sqrt = tf.sqrt(tf.gather(v_t, idx))
        var_update = tf.scatter_add(var, idx, -lr * m_bar / (v_sqrt + epsilon_t),
                                    use_locking=self._use_locking)
        return tf.group(var_update, m_bar, v_t)


class _SignOptimizer(Optimizer):
    """What AddSign and PowerSign share: slot ``m``, ``sign_decay_fn(global_step)`` and the
    update ``var -= lr * multiplier(sign(g) * sign(m_t)) * g``."""

    def __init__(self, learning_rate, beta, sign_decay_fn, use_locking, name):
        super().__init__(use_locking, name)
        self._lr, self._beta, self._sign_decay_fn = learning_rate, beta, sign_decay_fn
        self._sign_decay_t = None

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        if self._sign_decay_fn is not None:
            self._sign_decay_t = tf.convert_to_tensor(self._sign_decay_fn(global_step),
                                                      name="sign_decay")
        return super().apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "m", self._name)

    def _prepare(self):
        self._lr_t = tf.convert_to_tensor(self._lr, name="learning_rate")
        self._beta_t = tf.convert_to_tensor(self._beta, name="beta")
        if self._sign_decay_fn is None:
            self._sign_decay_t = tf.convert_to_tensor(1.0, name="sign_decay")

    def _step(self, var, grad_dense, grad_values, indices=None):
        dt = var.dtype
        lr_t, beta_t = _cast(self._lr_t, dt), _cast(self._beta_t, dt)
        m = self.get_slot(var, "m")
        m_t = tf.assign(m, m * beta_t + grad_dense * (1 - beta_t),
                        use_locking=self._use_locking)
        sign_m = tf.sign(m_t) if indices is None else tf.gather(tf.sign(m_t), indices)
        multiplier = self._multiplier(tf.sign(grad_values) * sign_m,
                                      _cast(self._sign_decay_t, dt), dt)
        delta = lr_t * multiplier * grad_values
        if indices is None:
            return tf.group(tf.assign_sub(var, delta, use_locking=self._use_locking), m_t)
        return tf.group(tf.scatter_sub(var, indices, delta, use_locking=self._use_locking), m_t)

    def _apply_dense(self, grad, var):
        return self._step(var, grad, grad)

    def _apply_sparse(self, grad, var):
        # TF: the momentum takes the whole (densified) gradient; var only its rows.
        dense_shape = grad.dense_shape if grad.dense_shape is not None else tf.shape(var)
        dense = tf.convert_to_tensor(IndexedSlices(grad.values, grad.indices, dense_shape))
        return self._step(var, dense, grad.values, grad.indices)


class AddSignOptimizer(_SignOptimizer):
    """TF's AddSignOptimizer (Bello et al. 2017): ``m = beta*m + (1-beta)*g``,
    ``var -= lr * (alpha + sign_decay * sign(g) * sign(m)) * g``."""

    def __init__(self, learning_rate=0.1, alpha=1.0, beta=0.9, sign_decay_fn=None,
                 use_locking=False, name="AddSignOptimizer"):
        super().__init__(learning_rate, beta, sign_decay_fn, use_locking, name)
        self._alpha = alpha

    def _prepare(self):
        super()._prepare()
        self._alpha_t = tf.convert_to_tensor(self._alpha, name="alpha")

    def _multiplier(self, sign_gm, sign_decay, dt):
        return _cast(self._alpha_t, dt) + sign_decay * sign_gm


class PowerSignOptimizer(_SignOptimizer):
    """TF's PowerSignOptimizer (Bello et al. 2017): ``m = beta*m + (1-beta)*g``,
    ``var -= lr * exp(log(base) * sign_decay * sign(g) * sign(m)) * g``."""

    def __init__(self, learning_rate=0.1, base=math.e, beta=0.9, sign_decay_fn=None,
                 use_locking=False, name="PowerSignOptimizer"):
        super().__init__(learning_rate, beta, sign_decay_fn, use_locking, name)
        self._logbase = math.log(base)

    def _prepare(self):
        super()._prepare()
        self._logbase_t = tf.convert_to_tensor(self._logbase, name="logbase")

    def _multiplier(self, sign_gm, sign_decay, dt):
        return tf.exp(_cast(self._logbase_t, dt) * sign_decay * sign_gm)


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
