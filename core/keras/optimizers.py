"""``tf.keras.optimizers``: TF 1.15's Keras optimizers (OptimizerV2 semantics, graph mode).

The math is tf_keras' (legacy OptimizerV2): epsilon 1e-7 added outside the square root, an
``iterations`` int64 counter giving Adam's bias correction (``beta ** (iterations + 1)``),
``decay`` as ``lr / (1 + decay * iterations)``, Keras' SGD momentum (``accum = m * accum -
lr * g; var += accum``), RMSprop's mean square starting at zero. Hyperparameters are variables
(``optimizer.lr`` can be set with ``K.set_value``, as LearningRateScheduler does), made on
first use in the graph being trained. Updates are assign ops composed of minitf math; a
variable's ``constraint`` is applied after its update. A TF1 ``tf.train`` optimizer passed to
``Model.compile`` is wrapped in ``TFOptimizer`` (TF1 does the same)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..clip_ops import clip_by_norm
from ..gradients import gradients as _gradients
from ..graph import convert_to_tensor, get_default_graph, name_scope
from ..indexed_slices import IndexedSlices
from ..ops import constant_ops, math_ops, state_ops, unary_ops
from ..ref_variable import Variable
from ..train.optimizer import Optimizer as _TF1Optimizer

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam",
           "TFOptimizer", "get", "serialize", "deserialize"]


def _track(v):
    from .backend import track_variable
    track_variable(v)
    return v


class Optimizer:
    """OptimizerV2's graph-mode API: get_updates / get_gradients / apply_gradients / minimize,
    slots, hyperparameter variables, iterations, get/set_weights and config."""

    _HYPERS: tuple = ()

    def __init__(self, name, **kwargs):
        allowed = {"clipnorm", "clipvalue", "lr", "decay", "global_clipnorm"}
        for k in kwargs:
            if k not in allowed:
                raise TypeError(f"Unexpected keyword argument passed to optimizer: {k}")
        self._name = name
        self._hyper: dict = {}
        self._hyper_vars: dict = {}
        self._slots: dict = {}
        self._iterations = None
        self._initial_decay = float(kwargs.pop("decay", 0.0))
        if self._initial_decay < 0.0:
            raise ValueError(f"decay cannot be less than 0: {self._initial_decay}")
        self.clipnorm = kwargs.pop("clipnorm", None)
        self.clipvalue = kwargs.pop("clipvalue", None)
        self.global_clipnorm = kwargs.pop("global_clipnorm", None)
        self._weights: list = []

    # -- hyperparameters ----------------------------------------------------------------------
    def _set_hyper(self, name, value):
        if name in self._hyper_vars:
            from .backend import set_value
            set_value(self._hyper_vars[name], value)
        else:
            self._hyper[name] = value

    def _get_hyper(self, name, dtype=None):
        v = self._hyper_vars.get(name)
        if v is None or v.graph is not get_default_graph():
            value = self._hyper[name]
            if isinstance(value, (Variable,)) or callable(value):
                return value() if callable(value) else value
            with name_scope(self._name + "/"):
                v = _track(Variable(np.float32(value), name=name, trainable=False,
                                    use_resource=True))
            self._hyper_vars[name] = v
        return v if dtype is None else math_ops.cast(v.value(), dtype)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "lr":
            name = "learning_rate"
        if name in self.__dict__.get("_hyper", {}):
            return self._get_hyper(name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name == "lr":
            name = "learning_rate"
        if "_hyper" in self.__dict__ and name in self._hyper:
            self._set_hyper(name, value)
        else:
            super().__setattr__(name, value)

    @property
    def iterations(self):
        if self._iterations is None or self._iterations.graph is not get_default_graph():
            with name_scope(self._name + "/"):
                self._iterations = _track(Variable(np.int64(0), name="iter", trainable=False,
                                                   dtype=_dt.int64, use_resource=True))
        return self._iterations

    def _decayed_lr(self, dtype):
        lr = self._get_hyper("learning_rate", dtype)
        if self._initial_decay > 0.0:
            step = math_ops.cast(self.iterations.value(), dtype)
            lr = lr / (1.0 + self._initial_decay * step)
        return lr

    # -- slots --------------------------------------------------------------------------------
    def add_slot(self, var, slot_name, initializer=0.0):
        key = (var, slot_name)
        if key not in self._slots:
            value = np.full(var.shape.as_list(), initializer,
                            var.dtype.base_dtype.as_numpy_dtype)
            with get_default_graph().control_dependencies(None), \
                    name_scope(f"{self._name}/{var.op.name}/"):
                slot = _track(Variable(value, name=slot_name, trainable=False,
                                       use_resource=True))
            self._slots[key] = slot
            self._weights.append(slot)
        return self._slots[key]

    def get_slot(self, var, slot_name):
        return self._slots[(var, slot_name)]

    def get_slot_names(self):
        return sorted({name for _, name in self._slots})

    def _create_slots(self, var_list):
        pass

    # -- the update ---------------------------------------------------------------------------
    def get_gradients(self, loss, params):
        params = list(params)
        grads = _gradients(loss, params)
        for g, p in zip(grads, params):
            if g is None:
                raise ValueError(f"Variable {p} has `None` for gradient. Please make sure that "
                                 "all of your ops have a gradient defined (i.e. are "
                                 "differentiable). Common ops without gradient: K.argmax, "
                                 "K.round, K.eval.")
        grads = [convert_to_tensor(g) if isinstance(g, IndexedSlices) else g for g in grads]
        if self.clipnorm is not None:
            grads = [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.clipvalue is not None:
            grads = [math_ops.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        return [self.apply_gradients(list(zip(grads, params)))]

    def minimize(self, loss, var_list, grad_loss=None, name=None):
        if callable(var_list):
            var_list = var_list()
        grads = _gradients(loss, list(var_list), grad_ys=grad_loss)
        return self.apply_gradients([(g, v) for g, v in zip(grads, var_list) if g is not None],
                                    name=name)

    def apply_gradients(self, grads_and_vars, name=None):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: "
                             f"{[v.name for _, v in grads_and_vars]}.")
        graph = get_default_graph()
        iterations = self.iterations
        with graph.control_dependencies(None):
            self._create_slots([v for _, v in pairs])
        with name_scope(name or self._name):
            self._prepare(pairs[0][1].dtype.base_dtype)
            updates = []
            for g, v in pairs:
                if isinstance(g, IndexedSlices):
                    g = convert_to_tensor(g)
                with name_scope("update_" + v.op.name.replace(":", "_")):
                    up = self._apply_dense(g, v)
                    if getattr(v, "constraint", None) is not None:
                        with graph.control_dependencies([up]):
                            up = state_ops.assign(v, v.constraint(v.value())).op
                    updates.append(up)
            with graph.control_dependencies(updates):
                return state_ops.assign_add(iterations, np.int64(1)).op

    def _prepare(self, dtype):
        self._lr_t = self._decayed_lr(dtype)
        self._step = math_ops.cast(self.iterations.value() + 1, dtype)

    def _apply_dense(self, grad, var):
        raise NotImplementedError("Must be implemented in subclasses.")

    # -- state and config ---------------------------------------------------------------------
    @property
    def weights(self):
        return ([self._iterations] if self._iterations is not None else []) + self._weights

    def variables(self):
        return self.weights

    def get_weights(self):
        from .backend import batch_get_value
        return batch_get_value(self.weights)

    def set_weights(self, weights):
        from .backend import batch_set_value
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on optimizer {self._name} "
                             f"with a weight list of length {len(weights)}, but the optimizer "
                             f"was expecting {len(params)} weights.")
        batch_set_value(list(zip(params, weights)))

    def _serialize_hyper(self, name):
        v = self._hyper_vars.get(name)
        if v is not None:
            from .backend import get_value
            return float(get_value(v))
        return self._hyper[name]

    def get_config(self):
        config = {"name": self._name}
        if self._initial_decay:
            config["decay"] = self._initial_decay
        for k in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, k) is not None:
                config[k] = getattr(self, k)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        return cls(**config)


def _take_lr(learning_rate, kwargs):
    return kwargs.pop("lr", learning_rate)


def _sqrt(x):
    return unary_ops.sqrt(x)


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
        lr = math_ops.cast(self._lr_t, var.dtype.base_dtype)
        if not self._momentum:
            return state_ops.assign_sub(var, lr * grad).op
        m = self._get_hyper("momentum", var.dtype.base_dtype)
        accum = self.get_slot(var, "momentum")
        accum_t = state_ops.assign(accum, accum.value() * m - lr * grad)
        step = accum_t * m - lr * grad if self.nesterov else accum_t
        return state_ops.assign_add(var, step).op

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    momentum=self._serialize_hyper("momentum"), nesterov=self.nesterov)


class RMSprop(Optimizer):
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

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "rms")
            if self._momentum:
                self.add_slot(v, "momentum")
            if self.centered:
                self.add_slot(v, "mg")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        lr, rho = math_ops.cast(self._lr_t, dt), self._get_hyper("rho", dt)
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        rms = self.get_slot(var, "rms")
        rms_t = state_ops.assign(rms, rho * rms.value() + (1.0 - rho) * unary_ops.square(grad))
        denom = rms_t
        if self.centered:
            mg = self.get_slot(var, "mg")
            mg_t = state_ops.assign(mg, rho * mg.value() + (1.0 - rho) * grad)
            denom = rms_t - unary_ops.square(mg_t)
        if self._momentum:  # ResourceApply(Centered)RMSProp: epsilon inside the root
            mom = self.get_slot(var, "momentum")
            m = self._get_hyper("momentum", dt)
            mom_t = state_ops.assign(mom, m * mom.value() + lr * grad / _sqrt(denom + eps))
            return state_ops.assign_sub(var, mom_t).op
        return state_ops.assign_sub(var, lr * grad / (_sqrt(denom) + eps)).op

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    rho=self._serialize_hyper("rho"), momentum=self._serialize_hyper("momentum"),
                    epsilon=self.epsilon, centered=self.centered)


class Adagrad(Optimizer):
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

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        acc = self.get_slot(var, "accumulator")
        acc_t = state_ops.assign_add(acc, unary_ops.square(grad))
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        return state_ops.assign_sub(
            var, math_ops.cast(self._lr_t, dt) * grad / (_sqrt(acc_t) + eps)).op

    def get_config(self):
        return dict(super().get_config(), learning_rate=self._serialize_hyper("learning_rate"),
                    initial_accumulator_value=self._initial_accumulator_value,
                    epsilon=self.epsilon)


class Adadelta(Optimizer):
    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        lr = _take_lr(learning_rate, kwargs)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", lr)
        self._set_hyper("rho", rho)
        self.epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "accum_grad")
            self.add_slot(v, "accum_var")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        rho, eps = self._get_hyper("rho", dt), constant_ops.constant(self.epsilon, dtype=dt)
        ag, av = self.get_slot(var, "accum_grad"), self.get_slot(var, "accum_var")
        ag_t = state_ops.assign(ag, rho * ag.value() + (1.0 - rho) * unary_ops.square(grad))
        update = _sqrt(av.value() + eps) / _sqrt(ag_t + eps) * grad
        av_t = state_ops.assign(av, rho * av.value() + (1.0 - rho) * unary_ops.square(update))
        with get_default_graph().control_dependencies([av_t]):
            return state_ops.assign_sub(var, math_ops.cast(self._lr_t, dt) * update).op

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
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)
        self.amsgrad = amsgrad

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        if self.amsgrad:
            for v in var_list:
                self.add_slot(v, "vhat")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        b1, b2 = self._betas(dt)
        step = math_ops.cast(self._step, dt)
        lr = math_ops.cast(self._lr_t, dt) * _sqrt(1.0 - math_ops.pow(b2, step)) / (
            1.0 - math_ops.pow(b1, step))
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = state_ops.assign_add(m, (grad - m.value()) * (1.0 - b1))
        v_t = state_ops.assign_add(v, (unary_ops.square(grad) - v.value()) * (1.0 - b2))
        if self.amsgrad:
            vhat = self.get_slot(var, "vhat")
            v_t = state_ops.assign(vhat, math_ops.maximum(vhat.value(), v_t))
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        return state_ops.assign_sub(var, lr * m_t / (_sqrt(v_t) + eps)).op

    def get_config(self):
        return dict(super().get_config(), amsgrad=self.amsgrad)


class Adamax(_AdamBase):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Adamax", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        b1, b2 = self._betas(dt)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = state_ops.assign(m, b1 * m.value() + (1.0 - b1) * grad)
        v_t = state_ops.assign(v, math_ops.maximum(b2 * v.value(), unary_ops.abs(grad)))
        lr = math_ops.cast(self._lr_t, dt) / (1.0 - math_ops.pow(b1, self._step))
        eps = constant_ops.constant(self.epsilon, dtype=dt)
        return state_ops.assign_sub(var, lr * m_t / (v_t + eps)).op


class Nadam(_AdamBase):
    """Keras' Nadam: the momentum schedule ``beta_1 * (1 - 0.5 * 0.96 ** (0.004 * t))`` and a
    running product of it (``momentum_cache``)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Nadam", **kwargs):
        schedule_decay = kwargs.pop("schedule_decay", 0.004)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, kwargs)
        self._schedule_decay = schedule_decay
        self._m_cache = None

    def _create_slots(self, var_list):
        if self._m_cache is None or self._m_cache.graph is not get_default_graph():
            with name_scope(self._name + "/"):
                self._m_cache = _track(Variable(np.float32(1.0), name="momentum_cache",
                                                trainable=False, use_resource=True))
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
    return cls.from_config(config.get("config", {}))


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
