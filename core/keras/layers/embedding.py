"""``tf.keras.layers.Embedding``: rows of an ``embeddings`` matrix ``[input_dim,
output_dim]`` (from ``uniform``: U(-0.05, 0.05)) looked up by integer ids; with
``mask_zero`` the output's ``_keras_mask`` is ``ids != 0``."""

from __future__ import annotations

from ... import dtypes as _dt
from ...graph import convert_to_tensor
from ...nn_embedding import embedding_lookup
from ...ops import logic_ops, math_ops
from ...tensor_shape import TensorShape
from .. import constraints, initializers, regularizers
from ..base_layer import Layer
from .core import _config, _shape

__all__ = ["Embedding"]


class Embedding(Layer):
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,) if input_length else (None,)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError("Both `input_dim` and `output_dim` should be positive, Received "
                             f"input_dim = {input_dim} and output_dim = {output_dim}")
        dtype = kwargs.pop("dtype", None)
        super().__init__(dtype=dtype or "float32",
                         activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else
            embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_length = input_length

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          trainable=True)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return logic_ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).as_list()
        if self.input_length is None:
            return TensorShape(dims + [self.output_dim])
        lengths = [self.input_length] if isinstance(self.input_length, int) else \
            list(self.input_length)
        if len(lengths) != len(dims) - 1:
            raise ValueError(f'"input_length" is {self.input_length}, but received input has '
                             f"shape {tuple(dims)}")
        for i, (s1, s2) in enumerate(zip(lengths, dims[1:])):
            if s1 is not None and s2 is not None and s1 != s2:
                raise ValueError(f'"input_length" is {self.input_length}, but received input '
                                 f"has shape {tuple(dims)}")
            if s1 is None:
                lengths[i] = s2
        return TensorShape([dims[0], *lengths, self.output_dim])

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        if inputs.dtype.base_dtype not in (_dt.int32, _dt.int64):
            inputs = math_ops.cast(inputs, _dt.int32)
        return embedding_lookup(self.embeddings, inputs)

    def get_config(self):
        return _config(
            self, Layer, input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero, input_length=self.input_length)
