"""``tf.keras.Input`` and ``tf.keras.layers.InputLayer``: a model's entry point is a placeholder
(``input_1``, ``input_2``... per graph, as TF1 Keras names them) or a tensor the user gives,
wrapped in an InputLayer whose single Node marks where the functional graph starts."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import get_default_graph
from ..ops.constant_ops import placeholder
from ..sparse_tensor import sparse_placeholder
from ..tensor_shape import TensorShape
from . import backend
from .base_layer import Layer
from .node import Node

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """``InputLayer(input_shape=None, batch_size=None, dtype=None, input_tensor=None,
    sparse=False, name=None, **kwargs)`` (or ``batch_input_shape=``)."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=False, name=None, ragged=False, **kwargs):
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {list(kwargs)}")
        if ragged:
            raise ValueError("minitf's Keras has no ragged inputs (ragged=True).")
        if input_shape is not None and batch_input_shape is not None:
            raise ValueError("Only provide the input_shape OR batch_input_shape argument to "
                             "InputLayer, not both at the same time.")
        if input_tensor is not None and batch_input_shape is None:
            batch_input_shape = tuple(TensorShape(input_tensor.shape).as_list()) \
                if TensorShape(input_tensor.shape).rank is not None else None
        if batch_input_shape is not None:
            batch_size = batch_input_shape[0]
            input_shape = tuple(batch_input_shape[1:])
        if not name:
            name = f"input_{backend.get_uid('input')}"
        if dtype is None:
            dtype = backend.floatx() if input_tensor is None else input_tensor.dtype
        dtype = _dt.as_dtype(dtype).base_dtype.name
        super().__init__(dtype=dtype, name=name)
        self.built = True
        self.sparse = bool(sparse)
        self.ragged = False
        self.supports_masking = True
        if input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        if input_tensor is None:
            graph = get_default_graph()
            with graph.as_default(), graph.name_scope(None):
                make = sparse_placeholder if sparse else placeholder
                input_tensor = make(dtype, shape=batch_input_shape, name=self.name)
            self.is_placeholder = True
        else:
            if not hasattr(input_tensor, "graph") and not hasattr(input_tensor, "op"):
                raise ValueError("You should not pass a non-symbolic tensor to InputLayer "
                                 f"(input_tensor={input_tensor!r}).")
            self.is_placeholder = False
        self._batch_input_shape = batch_input_shape
        input_tensor._keras_mask = None
        Node(self, (input_tensor,), {}, input_tensor)

    def get_config(self) -> dict:
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "sparse": self.sparse, "ragged": self.ragged, "name": self.name,
                "optional": False}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("optional", None)
        return cls(**config)

    # Keras reports an InputLayer's shapes as a one-element list: [(None, 4)].
    @property
    def input_shape(self):
        return [super().input_shape]

    @property
    def output_shape(self):
        return [super().output_shape]


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False,  # noqa: N802
          tensor=None, ragged=False, batch_shape=None, **kwargs):
    """A Keras tensor: ``Input(shape=(3,))`` is a ``float32`` placeholder of shape [None, 3]
    named ``input_1`` (``name`` if given), or ``tensor`` itself when given."""
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {list(kwargs)}")
    if sparse and ragged:
        raise ValueError("Cannot set both sparse and ragged to True in a Keras input.")
    if shape is not None and batch_shape is not None:
        raise ValueError("Only provide the shape OR batch_shape argument to Input, not both "
                         "at the same time.")
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Please provide to Input a `shape` or a `tensor` or a `type_spec` "
                         "argument. Note that `shape` does not include the batch dimension.")
    if isinstance(shape, int):
        shape = (shape,)
    layer_kwargs = {"name": name, "dtype": dtype, "sparse": sparse, "ragged": ragged,
                    "input_tensor": tensor}
    if batch_shape is not None:
        layer_kwargs["batch_input_shape"] = tuple(batch_shape)
    else:
        layer_kwargs["input_shape"] = None if shape is None else tuple(shape)
        layer_kwargs["batch_size"] = batch_size
    layer = InputLayer(**layer_kwargs)
    return layer._inbound_nodes[0].outputs
