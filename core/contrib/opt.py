"""``tf.contrib.opt`` (TF 1.15): optimizers TF1 kept outside tf.train. Each extends a
tf.train optimizer through TF1's protected hooks (``_create_slots``, ``_prepare``,
``_apply_dense``, ``_apply_sparse``), so slot names and update order are TF1's:
decoupled weight decay (AdamW, MomentumW, ``extend_with_decoupled_weight_decay``), LazyAdam,
Nadam, AddSign and PowerSign. TF's ApplyAddSign / ApplyPowerSign are
composed here from assign ops (same formulas), not single nodes. ExternalOptimizerInterface and
ScipyOptimizerInterface drive a session from an outside minimizer (scipy, imported only when
used); AdaMax, AdamGS, LARS, RegAdagrad and the wrapper optimizers (MovingAverage...) are
in opt_extra.py."""

from __future__ import annotations

import math

import numpy as np

import minitf as tf

from ..indexed_slices import IndexedSlices
from ..train.optimizer import AdamOptimizer, MomentumOptimizer, Optimizer
from .opt_extra import *  # noqa: F403
from .opt_extra import __all__ as _extra_all

__all__ = ["AdamWOptimizer", "AddSignOptimizer", "DecoupledWeightDecayExtension",
           "ExternalOptimizerInterface", "LazyAdamOptimizer", "MomentumWOptimizer",
           "NadamOptimizer", "PowerSignOptimizer",
           "ScipyOptimizerInterface", "extend_with_decoupled_weight_decay", *_extra_all]


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


class ExternalOptimizerInterface:
    """TF's base for outside minimizers: the variables of ``var_list`` (default: the
    trainable ones) packed into one vector; ``minimize(session)`` hands the subclass's
    ``_minimize`` functions computing the loss and its gradient (and those of the
    ``equalities`` held at 0 and ``inequalities`` held >= 0) by feeding the variables, then
    assigns the result. ``var_to_bounds``: {variable: (low, high)}, each broadcast to the
    variable's shape (None or +-inf: unbounded)."""

    def __init__(self, loss, var_list=None, equalities=None, inequalities=None,
                 var_to_bounds=None, **optimizer_kwargs):
        self._loss = loss
        self._equalities = equalities or []
        self._inequalities = inequalities or []
        self._vars = tf.trainable_variables() if var_list is None else list(var_list)
        if not self._vars:
            raise ValueError("No variables to optimize.")
        shapes = [_static_shape(v) for v in self._vars]
        self._packed_bounds = None
        if var_to_bounds is not None:
            low, high = [], []
            for v, shape in zip(self._vars, shapes):
                lo, hi = var_to_bounds.get(v, (-np.inf, np.inf))
                low.extend(np.broadcast_to(lo, shape).flat)
                high.extend(np.broadcast_to(hi, shape).flat)
            self._packed_bounds = list(zip(low, high))
        self._update_placeholders = [tf.placeholder(v.dtype) for v in self._vars]
        self._var_updates = [v.assign(tf.reshape(p, shape)) for v, p, shape in
                             zip(self._vars, self._update_placeholders, shapes)]
        self.optimizer_kwargs = optimizer_kwargs
        self._packed_var = self._pack(self._vars)
        self._packed_loss_grad = self._pack(self._gradients(loss))
        self._packed_equality_grads = [self._pack(self._gradients(e))
                                       for e in self._equalities]
        self._packed_inequality_grads = [self._pack(self._gradients(e))
                                         for e in self._inequalities]
        ends = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        self._packing_slices = [slice(a, b) for a, b in zip(ends[:-1], ends[1:])]
        self._shapes = shapes

    def _gradients(self, tensor):
        # tf.gradients gives None for a variable the tensor does not use: its gradient is 0.
        grads = tf.gradients(tensor, self._vars)
        return [tf.zeros_like(v) if g is None else g for v, g in zip(self._vars, grads)]

    @classmethod
    def _pack(cls, tensors):
        """The tensors flattened and concatenated into one vector (None for none)."""
        if not tensors:
            return None
        if len(tensors) == 1:
            return tf.reshape(tensors[0], [-1])
        return tf.concat([tf.reshape(t, [-1]) for t in tensors], 0)

    def minimize(self, session=None, feed_dict=None, fetches=None, step_callback=None,
                 loss_callback=None, **run_kwargs):
        """Runs the minimization now (not an op, unlike Optimizer.minimize) and leaves the
        variables at its result. ``loss_callback(*fetched)`` runs at every evaluation of the
        loss, ``step_callback(packed_vars)`` at every step of the minimizer."""
        session = session or tf.get_default_session()
        if session is None:
            raise ValueError("minimize needs a session: pass one or use a default session")
        feed_dict, fetches = feed_dict or {}, fetches or []
        loss_callback = loss_callback or (lambda *fetched: None)
        step_callback = step_callback or (lambda xk: None)
        evals = [self._make_eval_funcs(ts, session, feed_dict, fetches)
                 for ts in (self._equalities, self._packed_equality_grads,
                            self._inequalities, self._packed_inequality_grads)]
        packed = self._minimize(
            initial_val=session.run(self._packed_var),
            loss_grad_func=self._make_eval_func([self._loss, self._packed_loss_grad], session,
                                                feed_dict, fetches, loss_callback),
            equality_funcs=evals[0], equality_grad_funcs=evals[1],
            inequality_funcs=evals[2], inequality_grad_funcs=evals[3],
            packed_bounds=self._packed_bounds, step_callback=step_callback,
            optimizer_kwargs=self.optimizer_kwargs)
        session.run(self._var_updates, feed_dict=dict(zip(
            self._update_placeholders, [packed[s] for s in self._packing_slices])), **run_kwargs)

    def _minimize(self, initial_val, loss_grad_func, equality_funcs, equality_grad_funcs,
                  inequality_funcs, inequality_grad_funcs, packed_bounds, step_callback,
                  optimizer_kwargs):
        """The minimizer: returns the optimal packed vector. Subclasses implement it."""
        raise NotImplementedError("To use ExternalOptimizerInterface, subclass from it and "
                                  "implement the _minimize() method.")

    def _make_eval_func(self, tensors, session, feed_dict, fetches, callback=None):
        """``x -> [values of tensors]`` with the variables fed from the packed vector ``x``."""
        tensors = tensors if isinstance(tensors, list) else [tensors]

        def eval_func(x):
            feeds = {v: x[s].reshape(shape) for v, s, shape in
                     zip(self._vars, self._packing_slices, self._shapes)}
            feeds.update(feed_dict)
            values = session.run(tensors + list(fetches), feed_dict=feeds)
            if callable(callback):
                callback(*values[len(tensors):])
            return values[:len(tensors)]

        return eval_func

    def _make_eval_funcs(self, tensors, session, feed_dict, fetches, callback=None):
        return [self._make_eval_func(t, session, feed_dict, fetches, callback)
                for t in tensors]


class ScipyOptimizerInterface(ExternalOptimizerInterface):
    """TF's ScipyOptimizerInterface: ``scipy.optimize.minimize`` (method L-BFGS-B unless
    ``method=`` says otherwise; other keyword arguments are passed on) driving a session.
    scipy is not a minitf dependency: it is imported when ``minimize`` runs."""

    _DEFAULT_METHOD = "L-BFGS-B"

    def _minimize(self, initial_val, loss_grad_func, equality_funcs, equality_grad_funcs,
                  inequality_funcs, inequality_grad_funcs, packed_bounds, step_callback,
                  optimizer_kwargs):
        def loss_grad_func_wrapper(x):
            loss, gradient = loss_grad_func(x)
            return np.float64(loss), gradient.astype("float64")  # as the solvers want

        optimizer_kwargs = dict(optimizer_kwargs)
        method = optimizer_kwargs.pop("method", self._DEFAULT_METHOD)
        def double(fn):  # newer scipy (SLSQP) takes float64 only
            return lambda x: np.asarray(fn(x), np.float64)

        constraints = [{"type": kind, "fun": double(f), "jac": double(j)}
                       for kind, funcs, grads in (("eq", equality_funcs, equality_grad_funcs),
                                                  ("ineq", inequality_funcs,
                                                   inequality_grad_funcs))
                       for f, j in zip(funcs, grads)]
        kwargs = {"jac": True, "callback": step_callback, "method": method,
                  "constraints": constraints, "bounds": packed_bounds}
        for key in kwargs:
            if key in optimizer_kwargs:
                if key == "bounds":
                    raise ValueError("Bounds must be set using the var_to_bounds argument")
                raise ValueError(f"Optimizer keyword arg '{key}' is set automatically and "
                                 "cannot be injected manually")
        kwargs.update(optimizer_kwargs)
        try:
            import scipy.optimize
        except ImportError as e:
            raise ImportError("ScipyOptimizerInterface needs scipy (scipy.optimize), which "
                              "is not installed: pip install scipy") from e
        result = scipy.optimize.minimize(loss_grad_func_wrapper,
                                         np.asarray(initial_val, np.float64), **kwargs)
        lines = ["Optimization terminated with:", "  Message: %s",
                 "  Objective function value: %f"]
        args = [result.message, result.fun]
        for attr, line in (("nit", "  Number of iterations: %d"),
                           ("nfev", "  Number of functions evaluations: %d")):
            if hasattr(result, attr):
                lines.append(line)
                args.append(getattr(result, attr))
        tf.logging.info("\n".join(lines), *args)
        return result["x"]


def _static_shape(var) -> tuple:
    shape = var.shape
    if not shape.is_fully_defined():
        raise ValueError(f"ExternalOptimizerInterface needs variables of known shape: "
                         f"{var.op.name} has shape {shape}")
    return tuple(shape.as_list())
