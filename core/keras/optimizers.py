"""``tf.keras.optimizers``: TF 1.15's Keras optimizers (OptimizerV2 semantics, graph mode).

The math is tf_keras' (legacy OptimizerV2): epsilon 1e-7, an ``iterations`` int64 counter
giving Adam's bias correction (``beta ** (iterations + 1)``), ``decay`` as ``lr / (1 + decay *
iterations)``, Keras' SGD momentum (``accum = m * accum - lr * g; var += accum``), RMSprop's
mean square starting at zero. Hyperparameters are variables (``optimizer.lr`` can be set with
``K.set_value``, as LearningRateScheduler does), made on first use in the graph being trained.
As in tf_keras, each update is one training kernel (core/ops/training_ops.py: ApplyAdam,
ApplyRMSProp, SparseApplyMomentum, ...) where TF has one, else composed of ops (RMSprop without
momentum, amsgrad, Nadam). ``apply_gradients`` (and so ``minimize`` and ``get_updates``) clips
the gradients (clipvalue, clipnorm, global_clipnorm, in tf_keras' order) and applies a sparse
gradient (IndexedSlices, e.g. an Embedding's) to its rows only, repeated indices summed first.
A variable's ``constraint`` is applied after its update. A TF1 ``tf.train`` optimizer passed to
``Model.compile`` is wrapped in ``TFOptimizer`` (TF1 does the same)."""

from __future__ import annotations

import numpy as np

from ..graph import get_default_graph, name_scope
from ..ops import (constant_ops, gather_ops, graph_compat_train_ops, math_ops, state_ops,
                   training_ops, unary_ops)
from ..ref_variable import Variable
from ..train.optimizer import Optimizer as _TF1Optimizer
from . import schedules  # also tf.keras.optimizers.schedules
from .optimizer_base import Optimizer, _track

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam",
           "TFOptimizer", "get", "serialize", "deserialize"]


def _take_lr(learning_rate, kwargs):
    return kwargs.pop("lr", learning_rate)


def _sqrt(x):
    return unary_ops.sqrt(x)


def _const(value, dtype):
    return constant_ops.constant(value, dtype=dtype)


def _after(deps, fn):
    """``fn()``'s op, made after ``deps`` (tf_keras' ``with tf.control_dependencies``)."""
    with get_default_graph().control_dependencies(deps):
        return fn()


def _decay_then_add(slot, factor, indices, rows):
    """tf_keras' sparse moment update: the whole slot times ``factor``, then ``rows`` added at
    ``indices``; the slot's new value."""
    decayed = state_ops.assign(slot, slot.value() * factor)
    return _after([decayed], lambda: state_ops.scatter_add(slot, indices, rows))


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        if isinstance(momentum, (int, float)) and not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be between [0, 1].")
        self._set_hyper("learning_rate", lr)
        self._set_hyper("momentum", momentum)
        self._momentum = momentum != 0
        self.nesterov = nesterov

    def _create_slots(self, var_list):
        if self._momentum:
            for v in var_list:
                self.add_slot(v, "momentum")

    def _apply_dense(self, grad, var):
        if self._momentum:
            return self._keras_momentum(training_ops.APPLY_MOMENTUM, var, grad)
        lr = math_ops.cast(self._lr_t, var.dtype.base_dtype)
        return training_ops.APPLY_GRADIENT_DESCENT(var, lr, grad).op

    def _apply_sparse_duplicate_indices(self, values, var, indices):
        if self._momentum:
            return super()._apply_sparse_duplicate_indices(values, var, indices)
        # tf_keras: a ScatterAdd of -g * lr; repeated indices add up in turn.
        lr = math_ops.cast(self._lr_t, var.dtype.base_dtype)
        return state_ops.scatter_add(var, indices, -values * lr).op

    def _apply_sparse(self, values, var, indices):
        return self._keras_momentum(training_ops.SPARSE_APPLY_MOMENTUM, var, values, indices)

    def _keras_momentum(self, kernel, var, grad, *indices):
        """Keras' momentum (``accum = m * accum - lr * g; var += accum``; Nesterov: ``var += m
        * accum - lr * g``, TF's ApplyKerasMomentum) is TF1's (Sparse)ApplyMomentum (``accum =
        m * accum + g'; var -= lr' * (Nesterov: g' + m *) accum``) given ``g' = -lr * g`` and
        ``lr' = -1``: the slot holds Keras' velocity, so its value and a changing lr are
        Keras'."""
        dt = var.dtype.base_dtype
        lr = math_ops.cast(self._lr_t, dt)
        return kernel(var, self.get_slot(var, "momentum"), _const(-1.0, dt), grad * -lr,
                      *indices, self._get_hyper("momentum", dt),
                      use_nesterov=bool(self.nesterov)).op

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    momentum=self._serialize_hyper("momentum"), nesterov=self.nesterov)


class RMSprop(Optimizer):
    """With momentum, (Sparse)Apply(Centered)RMSProp (epsilon inside the square root, as
    tf_keras passes it). Without, tf_keras' composed update (epsilon outside the root); a
    sparse gradient then decays the whole mean square and moves only its rows of the
    variable, as tf_keras does."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="RMSprop", **kwargs):
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", lr)
        self._set_hyper("rho", rho)
        self._set_hyper("momentum", momentum)
        self._momentum = momentum != 0
        self.epsilon = epsilon
        self.centered = centered

    def _create_slots(self, var_list):  # tf_keras' order: every rms, then momentum, then mg
        for slot, wanted in (("rms", True), ("momentum", self._momentum),
                             ("mg", self.centered)):
            for v in var_list if wanted else ():
                self.add_slot(v, slot)

    def _coefficients(self, var):
        dt = var.dtype.base_dtype
        return (math_ops.cast(self._lr_t, dt), self._get_hyper("rho", dt),
                _const(self.epsilon, dt))

    def _kernel(self, dense, var, *grad_args):
        lr, rho, eps = self._coefficients(var)
        slots = [self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        if self.centered:
            slots.insert(0, self.get_slot(var, "mg"))
        kernel = {(True, False): training_ops.APPLY_RMS_PROP,
                  (True, True): training_ops.APPLY_CENTERED_RMS_PROP,
                  (False, False): training_ops.SPARSE_APPLY_RMS_PROP,
                  (False, True): training_ops.SPARSE_APPLY_CENTERED_RMS_PROP}[
                      (dense, bool(self.centered))]
        momentum = self._get_hyper("momentum", var.dtype.base_dtype)
        return kernel(var, *slots, lr, rho, momentum, eps, *grad_args).op

    def _apply_dense(self, grad, var):
        if self._momentum:
            return self._kernel(True, var, grad)
        lr, rho, eps = self._coefficients(var)
        rms = self.get_slot(var, "rms")
        denom = state_ops.assign(rms, rho * rms.value() + (1.0 - rho) * unary_ops.square(grad))
        if self.centered:
            mg = self.get_slot(var, "mg")
            mg_t = state_ops.assign(mg, rho * mg.value() + (1.0 - rho) * grad)
            denom = denom - unary_ops.square(mg_t)
        return state_ops.assign_sub(var, lr * grad / (_sqrt(denom) + eps)).op

    def _apply_sparse(self, values, var, indices):
        if self._momentum:
            return self._kernel(False, var, values, indices)
        lr, rho, eps = self._coefficients(var)
        rms_t = _decay_then_add(self.get_slot(var, "rms"), rho, indices,
                                values * values * (1.0 - rho))
        denom = gather_ops.gather(rms_t, indices)
        if self.centered:
            mg_t = _decay_then_add(self.get_slot(var, "mg"), rho, indices, values * (1.0 - rho))
            denom = denom - unary_ops.square(gather_ops.gather(mg_t, indices))
        return state_ops.scatter_add(var, indices, -lr * values / (_sqrt(denom) + eps)).op

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    rho=self._serialize_hyper("rho"), momentum=self._serialize_hyper("momentum"),
                    epsilon=self.epsilon, centered=self.centered)


class Adagrad(Optimizer):
    """(Sparse)ApplyAdagradV2: ``accum += g^2; var -= lr * g / (sqrt(accum) + epsilon)``."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value must be non-negative: "
                             f"{initial_accumulator_value}")
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", lr)
        self._initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "accumulator", self._initial_accumulator_value)

    def _adagrad(self, kernel, var, *grad_args):
        dt = var.dtype.base_dtype
        return kernel(var, self.get_slot(var, "accumulator"), math_ops.cast(self._lr_t, dt),
                      _const(self.epsilon, dt), *grad_args).op

    def _apply_dense(self, grad, var):
        return self._adagrad(graph_compat_train_ops.APPLY_ADAGRAD_V2, var, grad)

    def _apply_sparse(self, values, var, indices):
        return self._adagrad(graph_compat_train_ops.SPARSE_APPLY_ADAGRAD_V2, var, values,
                             indices)

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    initial_accumulator_value=self._initial_accumulator_value,
                    epsilon=self.epsilon)


class Adadelta(Optimizer):
    """(Sparse)ApplyAdadelta with slots accum_grad and accum_var."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", lr)
        self._set_hyper("rho", rho)
        self.epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "accum_grad")
        for v in var_list:
            self.add_slot(v, "accum_var")

    def _adadelta(self, kernel, var, *grad_args):
        dt = var.dtype.base_dtype
        return kernel(var, self.get_slot(var, "accum_grad"), self.get_slot(var, "accum_var"),
                      math_ops.cast(self._lr_t, dt), self._get_hyper("rho", dt),
                      _const(self.epsilon, dt), *grad_args).op

    def _apply_dense(self, grad, var):
        return self._adadelta(training_ops.APPLY_ADADELTA, var, grad)

    def _apply_sparse(self, values, var, indices):
        return self._adadelta(training_ops.SPARSE_APPLY_ADADELTA, var, values, indices)

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    rho=self._serialize_hyper("rho"), epsilon=self.epsilon)


class _AdamBase(Optimizer):
    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, kwargs):
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", lr)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "m")
        for v in var_list:
            self.add_slot(v, "v")

    def _betas(self, dt):
        return self._get_hyper("beta_1", dt), self._get_hyper("beta_2", dt)

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    beta_1=self._serialize_hyper("beta_1"),
                    beta_2=self._serialize_hyper("beta_2"), epsilon=self.epsilon)


class Adam(_AdamBase):
    """ApplyAdam; amsgrad (no kernel here) composed of ops. A sparse gradient: tf_keras'
    update, where m and v decay everywhere and the rows get their gradient, so every row of
    the variable moves (as in tf_keras)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)
        self.amsgrad = amsgrad

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        if self.amsgrad:
            for v in var_list:
                self.add_slot(v, "vhat")

    def _coefficients(self, dt):
        """lr, beta_1, beta_2, beta_1^t, beta_2^t (t = iterations + 1), epsilon."""
        b1, b2 = self._betas(dt)
        step = math_ops.cast(self._step, dt)
        return (math_ops.cast(self._lr_t, dt), b1, b2, math_ops.pow(b1, step),
                math_ops.pow(b2, step), _const(self.epsilon, dt))

    def _apply_dense(self, grad, var):
        lr, b1, b2, b1p, b2p, eps = self._coefficients(var.dtype.base_dtype)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        if not self.amsgrad:
            return training_ops.APPLY_ADAM(var, m, v, b1p, b2p, lr, b1, b2, eps, grad).op
        m_t = state_ops.assign_add(m, (grad - m.value()) * (1.0 - b1))
        v_t = state_ops.assign_add(v, (unary_ops.square(grad) - v.value()) * (1.0 - b2))
        return self._step_var(var, lr, b1p, b2p, eps, m_t, v_t)

    def _step_var(self, var, lr, b1p, b2p, eps, m_t, v_t):
        if self.amsgrad:
            vhat = self.get_slot(var, "vhat")
            v_t = state_ops.assign(vhat, math_ops.maximum(vhat.value(), v_t))
        lr = lr * _sqrt(1.0 - b2p) / (1.0 - b1p)
        return state_ops.assign_sub(var, lr * m_t / (_sqrt(v_t) + eps)).op

    def _apply_sparse(self, values, var, indices):
        lr, b1, b2, b1p, b2p, eps = self._coefficients(var.dtype.base_dtype)
        m_t = _decay_then_add(self.get_slot(var, "m"), b1, indices, values * (1.0 - b1))
        v_t = _decay_then_add(self.get_slot(var, "v"), b2, indices,
                              values * values * (1.0 - b2))
        return self._step_var(var, lr, b1p, b2p, eps, m_t, v_t)

    def get_config(self):
        return dict(super().get_config(), amsgrad=self.amsgrad)


class Adamax(_AdamBase):
    """ApplyAdaMax; a sparse gradient updates its rows of m, v and the variable only
    (tf_keras' gather / scatter update)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Adamax", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)

    def _coefficients(self, dt):
        b1, b2 = self._betas(dt)
        return (math_ops.cast(self._lr_t, dt), b1, b2,
                math_ops.pow(b1, math_ops.cast(self._step, dt)), _const(self.epsilon, dt))

    def _apply_dense(self, grad, var):
        lr, b1, b2, b1p, eps = self._coefficients(var.dtype.base_dtype)
        return graph_compat_train_ops.APPLY_ADA_MAX(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"), b1p, lr, b1, b2, eps, grad).op

    def _apply_sparse(self, values, var, indices):
        lr, b1, b2, b1p, eps = self._coefficients(var.dtype.base_dtype)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_rows = gather_ops.gather(m.value(), indices) * b1 + values * (1.0 - b1)
        m_t = _after([m_rows], lambda: state_ops.scatter_update(m, indices, m_rows))
        v_rows = math_ops.maximum(gather_ops.gather(v.value(), indices) * b2,
                                  unary_ops.abs(values))
        v_t = _after([v_rows], lambda: state_ops.scatter_update(v, indices, v_rows))
        var_rows = -lr / (1.0 - b1p) * (m_rows / (v_rows + eps))
        var_t = _after([var_rows], lambda: state_ops.scatter_add(var, indices, var_rows))
        return constant_ops.group(var_t, m_t, v_t)


class Nadam(_AdamBase):
    """Keras' Nadam: the momentum schedule ``beta_1 * (1 - 0.5 * 0.96 ** (0.004 * t))`` and a
    running product of it (``momentum_cache``)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Nadam", **kwargs):
        # As tf_keras, the decay is the momentum schedule's (its config reports it as "decay"),
        # never a learning-rate decay; a config's "decay" comes back as that schedule's.
        schedule_decay = kwargs.pop("schedule_decay", kwargs.pop("decay", 0.004))
        if isinstance(kwargs.get("lr", learning_rate), schedules.LearningRateSchedule):
            raise ValueError("The Nadam optimizer does not support "
                             "tf.keras.optimizers.LearningRateSchedules as the learning rate.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)
        self._schedule_decay = schedule_decay
        self._m_cache = None

    def get_config(self):
        return dict(super().get_config(), decay=self._schedule_decay)

    def _create_slots(self, var_list):
        if self._m_cache is None or self._m_cache.graph is not get_default_graph():
            with name_scope(self._name + "/"):
                self._m_cache = _track(Variable(np.float32(1.0), name="momentum_cache",
                                                trainable=False, use_resource=None))
            self._weights.append(self._m_cache)
        super()._create_slots(var_list)

    def _prepare(self, dtype):
        self._lr_t = self._get_hyper("learning_rate", dtype)  # Nadam: no lr decay
        self._step = math_ops.cast(self.iterations.value() + 1, dtype)
        b1 = self._get_hyper("beta_1", dtype)
        decay = self._schedule_decay
        self._mu_t = b1 * (1.0 - 0.5 * math_ops.pow(0.96, decay * self._step))
        self._mu_t1 = b1 * (1.0 - 0.5 * math_ops.pow(0.96, decay * (self._step + 1.0)))
        self._m_sched_new = state_ops.assign(self._m_cache,
                                             self._m_cache.value() * self._mu_t)
        self._m_sched_next = self._m_sched_new * self._mu_t1

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        b1, b2 = self._betas(dt)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        g_prime = grad / (1.0 - self._m_sched_new)
        m_t = state_ops.assign(m, b1 * m.value() + (1.0 - b1) * grad)
        m_t_prime = m_t / (1.0 - self._m_sched_next)
        v_t = state_ops.assign(v, b2 * v.value() + (1.0 - b2) * unary_ops.square(grad))
        v_t_prime = v_t / (1.0 - math_ops.pow(b2, self._step))
        m_t_bar = (1.0 - self._mu_t) * g_prime + self._mu_t1 * m_t_prime
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        return state_ops.assign_sub(var, self._lr_t * m_t_bar / (_sqrt(v_t_prime) + eps)).op

    def _apply_sparse(self, values, var, indices):
        """tf_keras' sparse Nadam: m and v decay everywhere, the variable moves at the rows."""
        dt = var.dtype.base_dtype
        b1, b2 = self._betas(dt)
        m_t = _decay_then_add(self.get_slot(var, "m"), b1, indices, values * (1.0 - b1))
        v_t = _decay_then_add(self.get_slot(var, "v"), b2, indices,
                              values * values * (1.0 - b2))
        m_t_bar = (1.0 - self._mu_t) * (values / (1.0 - self._m_sched_new)) + self._mu_t1 * (
            gather_ops.gather(m_t, indices) / (1.0 - self._m_sched_next))
        v_t_prime = gather_ops.gather(v_t, indices) / (1.0 - math_ops.pow(b2, self._step))
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        return state_ops.scatter_add(
            var, indices, -self._lr_t * m_t_bar / (_sqrt(v_t_prime) + eps)).op


class TFOptimizer(Optimizer):
    """A TF1 ``tf.train`` optimizer under Keras' API; ``iterations`` is its global step."""

    def __init__(self, optimizer, iterations=None):
        super().__init__(type(optimizer).__name__)
        self.optimizer = optimizer
        self._iterations = iterations

    def get_updates(self, loss, params):
        pairs = self.optimizer.compute_gradients(loss, list(params))
        return [self.optimizer.apply_gradients(pairs, global_step=self.iterations)]

    def apply_gradients(self, grads_and_vars, name=None):
        return self.optimizer.apply_gradients(grads_and_vars, global_step=self.iterations)

    @property
    def weights(self):
        return self.optimizer.variables()

    def get_config(self):
        raise ValueError("A TF1 tf.train optimizer cannot be serialized by Keras; use a "
                         "keras.optimizers optimizer to save it with the model.")


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
            "adam": Adam, "adamax": Adamax, "nadam": Nadam}


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    found = {k: v for k, v in _BY_NAME.items()}
    found.update({c.__name__: c for c in _BY_NAME.values()})
    found.update(custom_objects or {})
    name = config["class_name"]
    cls = found.get(name) or found.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer: {name}. Please ensure this object is passed to "
                         "the `custom_objects` argument.")
    return cls.from_config(config.get("config", {}), custom_objects)


def get(identifier):
    """An optimizer for a Keras optimizer, a TF1 ``tf.train`` optimizer (wrapped), a name such
    as ``'adam'`` (default settings) or a ``{'class_name', 'config'}`` dict."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, _TF1Optimizer):
        return TFOptimizer(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
