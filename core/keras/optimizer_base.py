"""The base of ``tf.keras.optimizers`` (core/keras/optimizers.py has the concrete ones):
hyperparameters as variables, ``iterations``, clipping and sparse gradients in
``apply_gradients``, constraints after updates, slots, configs."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..clip_ops import clip_by_global_norm, clip_by_norm
from ..gradients import gradients as _gradients
from ..graph import convert_to_tensor, get_default_graph, name_scope
from ..indexed_slices import IndexedSlices
from ..ops import array_ops, math_ops, state_ops
from ..ref_variable import Variable
from ..train.optimizer import _deduplicate
from . import schedules
from .schedules import LearningRateSchedule

__all__ = ["Optimizer"]


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
        self._hyper["decay"] = self._initial_decay  # opt.decay, a variable K.set_value sets
        self.clipnorm = kwargs.pop("clipnorm", None)
        self.clipvalue = kwargs.pop("clipvalue", None)
        self.global_clipnorm = kwargs.pop("global_clipnorm", None)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("Cannot accept both `clipnorm` and `global_clipnorm`. Received: "
                             f"`clipnorm`={self.clipnorm}, "
                             f"`global_clipnorm`={self.global_clipnorm}.")
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
            if isinstance(value, LearningRateSchedule):  # called with the step by _decayed_lr
                return value
            if isinstance(value, (Variable,)) or callable(value):
                return value() if callable(value) else value
            with name_scope(self._name + "/"):
                v = _track(Variable(np.float32(value), name=name, trainable=False,
                                    use_resource=None))
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
                                                   dtype=_dt.int64, use_resource=None))
        return self._iterations

    def _decayed_lr(self, dtype):
        lr = self._get_hyper("learning_rate", dtype)
        if isinstance(lr, LearningRateSchedule):
            lr = math_ops.cast(lr(math_ops.cast(self.iterations.value(), dtype)), dtype)
        if self._initial_decay > 0.0:  # as tf_keras: decided when the update is built
            step = math_ops.cast(self.iterations.value(), dtype)
            lr = lr / (1.0 + self._get_hyper("decay", dtype) * step)
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
                                       use_resource=None))
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
        """The gradients, unclipped (tf_keras: apply_gradients clips them); a sparse one stays
        an IndexedSlices."""
        params = list(params)
        grads = _gradients(loss, params)
        for g, p in zip(grads, params):
            if g is None:
                raise ValueError(f"Variable {p} has `None` for gradient. Please make sure that "
                                 "all of your ops have a gradient defined (i.e. are "
                                 "differentiable). Common ops without gradient: K.argmax, "
                                 "K.round, K.eval.")
        return grads

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        return [self.apply_gradients(list(zip(grads, params)))]

    def minimize(self, loss, var_list, grad_loss=None, name=None):
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = _gradients(loss, var_list, grad_ys=grad_loss)
        return self.apply_gradients(list(zip(grads, var_list)), name=name)

    def _transform_gradients(self, pairs):
        """tf_keras' order: clip each gradient by value, then each by its norm, then all by
        their global norm. An IndexedSlices has its values clipped and stays sparse."""
        if self.clipvalue is not None:
            pairs = [(math_ops.clip_by_value(g, -self.clipvalue, self.clipvalue), v)
                     for g, v in pairs]
        if self.clipnorm is not None:
            pairs = [(clip_by_norm(g, self.clipnorm), v) for g, v in pairs]
        if self.global_clipnorm is not None:
            clipped, _ = clip_by_global_norm([g for g, _ in pairs], self.global_clipnorm)
            pairs = list(zip(clipped, [v for _, v in pairs]))
        return pairs

    def apply_gradients(self, grads_and_vars, name=None):
        grads_and_vars = list(grads_and_vars)
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
            pairs = self._transform_gradients(pairs)
            updates = []
            for g, v in pairs:
                with name_scope("update_" + v.op.name.replace(":", "_")):
                    updates.append(self._update(g, v, graph))
            with graph.control_dependencies(updates):
                return state_ops.assign_add(iterations, np.int64(1)).op

    def _update(self, grad, var, graph):
        constraint = getattr(var, "constraint", None)
        if isinstance(grad, IndexedSlices):
            if constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable. "
                                   f"Received: grad={grad}, var.constraint={constraint}.")
            return self._apply_sparse_duplicate_indices(grad.values, var, grad.indices)
        up = self._apply_dense(grad, var)
        if constraint is None:
            return up
        with graph.control_dependencies([up]):
            return state_ops.assign(var, constraint(var.value())).op

    def _apply_sparse_duplicate_indices(self, values, var, indices):
        """tf_keras' default: repeated indices summed, then ``_apply_sparse``."""
        summed, unique = _deduplicate(values, indices)
        return self._apply_sparse(summed, var, unique)

    def _apply_sparse(self, values, var, indices):
        """Without a sparse rule of its own, the dense update of the densified gradient."""
        dense = IndexedSlices(values, indices, array_ops.shape(var))
        return self._apply_dense(convert_to_tensor(dense), var)

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
        if isinstance(self._hyper.get(name), LearningRateSchedule):
            return schedules.serialize(self._hyper[name])
        v = self._hyper_vars.get(name)
        if v is not None:
            from .backend import get_value
            return float(get_value(v))
        return self._hyper[name]

    def get_config(self):
        config = {"name": self._name, "decay": self._serialize_hyper("decay")}
        for k in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, k) is not None:
                config[k] = getattr(self, k)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)
