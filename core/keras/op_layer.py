"""Raw TensorFlow ops between Keras layers (``Model(x, Dense(2)(x) * 2.0)``): as TF1 Keras'
``create_keras_history``, every op between Keras tensors and a tensor without
``_keras_history`` becomes a ``TensorFlowOpLayer`` (named ``tf_op_layer_<op name>``) whose node
records the op's Keras inputs; inputs that do not come from Keras are evaluated once and kept
as constants. Calling the model on new inputs re-creates each op (``Graph.create_op``) with the
same type and attrs."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .. import nest
from ..graph import convert_to_tensor, get_default_graph
from ..tensor_shape import TensorShape
from . import backend
from .base_layer import Layer
from .node import Node

__all__ = ["TensorFlowOpLayer", "create_keras_history", "uses_keras_history"]

PREFIX = "tf_op_layer_"


def _attr_to_json(value):
    if isinstance(value, _dt.DType):
        return {"dtype": value.name}
    if isinstance(value, TensorShape):
        return {"shape": value.as_list() if value.rank is not None else None}
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, (list, tuple)):
        return [_attr_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _attr_from_json(value):
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if key == "dtype":
            return _dt.as_dtype(inner)
        if key == "shape":
            return TensorShape(inner)
        if key == "bytes":
            return inner.encode("latin-1")
    if isinstance(value, list):
        return [_attr_from_json(v) for v in value]
    return value


class TensorFlowOpLayer(Layer):
    """One raw op as a layer: ``call(inputs)`` makes an op of ``op_type`` with ``attrs`` on
    the Keras inputs, the ``constants`` (input index -> value) filling the other inputs."""

    def __init__(self, op_type, attrs=None, constants=None, name=None, trainable=True,
                 dtype=None, num_inputs=None):
        super().__init__(name=PREFIX + name if name else None, trainable=trainable, dtype=dtype)
        self.op_type = op_type
        self.op_attrs = dict(attrs or {})
        self.constants = {int(k): v for k, v in (constants or {}).items()}
        self.num_inputs = num_inputs
        self.built = True

    def call(self, inputs):
        given = iter(nest.flatten(inputs))
        count = self.num_inputs if self.num_inputs is not None else \
            len(nest.flatten(inputs)) + len(self.constants)
        args = [convert_to_tensor(np.asarray(self.constants[i])) if i in self.constants
                else next(given) for i in range(count)]
        name = self.name[len(PREFIX):] if self.name.startswith(PREFIX) else self.name
        op = get_default_graph().create_op(self.op_type, args, attrs=self.op_attrs,
                                           name=name.rsplit("/", 1)[-1])
        return op.outputs[0] if len(op.outputs) == 1 else list(op.outputs)

    def get_config(self) -> dict:
        return {"name": self.name[len(PREFIX):], "trainable": self.trainable,
                "dtype": self.dtype or backend.floatx(), "op_type": self.op_type,
                "attrs": {k: _attr_to_json(v) for k, v in self.op_attrs.items()},
                "constants": {str(k): {"value": np.asarray(v).tolist(),
                                       "dtype": np.asarray(v).dtype.name}
                              for k, v in self.constants.items()},
                "num_inputs": self.num_inputs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["attrs"] = {k: _attr_from_json(v) for k, v in config.get("attrs", {}).items()}
        config["constants"] = {
            k: np.asarray(v["value"], dtype=v["dtype"]) if isinstance(v, dict) else v
            for k, v in (config.get("constants") or {}).items()}
        return cls(**config)


def uses_keras_history(tensors) -> bool:
    """Whether some tensor upstream of ``tensors`` came from a Keras layer or Input."""
    seen, visited, stack = set(), [], list(nest.flatten(tensors))
    while stack:
        t = stack.pop()
        if id(t) in seen or not hasattr(t, "op") or getattr(t, "_keras_history_checked", None):
            continue
        seen.add(id(t))
        if getattr(t, "_keras_history", None) is not None:
            return True
        visited.append(t)
        stack.extend(t.op.inputs)
    for t in visited:  # none of these leads to Keras: later walks stop at them
        try:
            t._keras_history_checked = True
        except AttributeError:
            pass
    return False


def create_keras_history(tensors) -> list:
    """Wraps the ops that made ``tensors`` (back to Keras tensors) as TensorFlowOpLayers;
    returns the layers made."""
    created, done = [], set()

    def visit(t):
        if getattr(t, "_keras_history", None) is not None or id(t.op) in done:
            return
        done.add(id(t.op))
        op = t.op
        keras_inputs, constants = [], {}
        for i, x in enumerate(op.inputs):
            if uses_keras_history(x):
                visit(x)
                keras_inputs.append(x)
            else:
                constants[i] = backend.get_session().run(x)
        layer = TensorFlowOpLayer(op.type, op.attrs, constants, name=op.name,
                                  num_inputs=len(op.inputs))
        created.append(layer)
        Node(layer, (keras_inputs,), {}, list(op.outputs))

    for t in nest.flatten(tensors):
        if hasattr(t, "op") and uses_keras_history(t):
            visit(t)
    return created
