"""``tf.contrib.gan.features`` (TF 1.15's features/python): weight clipping for WGAN
discriminators and conditioning a tensor on a label/embedding (clip_weights.py and
conditioning_utils.py). random_tensor_pool and virtual_batchnorm are not provided."""

from __future__ import annotations

import minitf as tf

from .opt_extra import VariableClippingOptimizer

__all__ = ["clip_discriminator_weights", "clip_variables", "condition_tensor",
           "condition_tensor_from_onehot"]


def clip_variables(optimizer, variables, weight_clip):
    """``optimizer`` wrapped so each of ``variables`` is clipped elementwise to
    [-weight_clip, weight_clip] after every update (a norm over no dimensions is |w|)."""
    return VariableClippingOptimizer(opt=optimizer,
                                     vars_to_clip_dims={var: [] for var in variables},
                                     max_norm=weight_clip, use_locking=True,
                                     colocate_clip_ops_with_vars=True)


def clip_discriminator_weights(optimizer, model, weight_clip):
    """clip_variables over ``model.discriminator_variables``."""
    return clip_variables(optimizer, model.discriminator_variables, weight_clip)


def _dynamic_shape(tensor):
    static = tensor.shape.as_list()
    dynamic = tf.shape(tensor)
    return [d if d is not None else dynamic[i] for i, d in enumerate(static)]


def condition_tensor(tensor, conditioning):
    """``tensor`` plus a linear map (``fully_connected`` variables, no activation) of the
    flattened ``conditioning`` to ``tensor``'s per-example size, reshaped to its shape."""
    tensor = tf.convert_to_tensor(tensor)
    conditioning = tf.convert_to_tensor(conditioning)
    if not tensor.shape[1:].is_fully_defined():
        raise ValueError("`tensor` must have fully defined dimensions after the first; "
                         f"got shape {tensor.shape}.")
    num_features = tensor.shape[1:].num_elements()
    mapped = tf.contrib.layers.linear(tf.contrib.layers.flatten(conditioning), num_features)
    if not mapped.shape.is_compatible_with(tensor.shape):
        mapped = tf.reshape(mapped, _dynamic_shape(tensor))
    return tensor + mapped


def condition_tensor_from_onehot(tensor, one_hot_labels, embedding_size=256):
    """condition_tensor on ``one_hot_labels`` @ an 'embedding' variable
    [num_classes, embedding_size]."""
    one_hot_labels = tf.convert_to_tensor(one_hot_labels)
    if one_hot_labels.shape.ndims != 2 or not one_hot_labels.shape[1:].is_fully_defined():
        raise ValueError("`one_hot_labels` must have rank 2 and a known number of classes; "
                         f"got shape {one_hot_labels.shape}.")
    num_classes = one_hot_labels.shape[1].value
    embedding = tf.get_variable("embedding", [num_classes, embedding_size])
    return condition_tensor(tensor, tf.matmul(one_hot_labels, embedding))
