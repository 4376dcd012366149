"""``tf.contrib.kernel_methods`` (TF 1.15): explicit kernel maps and a linear classifier on
them. ``RandomFourierFeatureMapper`` approximates the Gaussian (RBF) kernel with random Fourier
features (Rahimi & Recht, 2007): ``sqrt(2/D) cos(x Omega + b)``, ``Omega`` and ``b`` drawn
by numpy from ``seed`` exactly as TF 1.15 drew them and stored as float32 constants.
``sparse_multiclass_hinge_loss`` is Crammer & Singer's multiclass hinge loss.
``KernelLinearClassifier`` is in kernel_methods_estimator.py."""

from __future__ import annotations

import abc
import math

import numpy as np

import minitf as tf

from ..graph import GraphKeys
from ..losses import Reduction
from .kernel_methods_estimator import KernelLinearClassifier

__all__ = ["KernelLinearClassifier", "RandomFourierFeatureMapper",
           "sparse_multiclass_hinge_loss"]


class InvalidShapeError(Exception):
    """A tensor's shape is not the one a kernel mapper expects."""


class DenseKernelMapper(abc.ABC):
    """A kernel mapper from dense ``[batch, input_dim]`` inputs to dense outputs."""

    @abc.abstractmethod
    def map(self, input_tensor):
        """The mapped ``input_tensor``."""

    @property
    @abc.abstractmethod
    def name(self):
        """The mapper's name."""

    @property
    @abc.abstractmethod
    def output_dim(self):
        """The dimension of the mapped features."""


class RandomFourierFeatureMapper(DenseKernelMapper):
    """Random Fourier features for ``exp(-||x - y||^2 / (2 stddev^2))``: each input row
    ``x [input_dim]`` maps to ``sqrt(2 / output_dim) * cos(x Omega + b)`` with ``Omega ~
    N(0, 1/stddev^2)`` and ``b ~ U[0, 2 pi)``, fixed by ``seed`` (same seed, same map)."""

    def __init__(self, input_dim, output_dim, stddev=1.0, seed=1, name=None):
        self._input_dim = input_dim
        self._output_dim = output_dim
        self._stddev = stddev
        self._seed = seed
        self._name = name

    @property
    def name(self):
        """The name given, else the object's id as a string."""
        return self._name or str(id(self))

    @property
    def input_dim(self):
        return self._input_dim

    @property
    def output_dim(self):
        return self._output_dim

    def map(self, input_tensor):
        """``[batch, output_dim]`` features of the ``[batch, input_dim]`` ``input_tensor``;
        InvalidShapeError if its rank or width is wrong."""
        input_tensor = tf.convert_to_tensor(input_tensor)
        shape = input_tensor.get_shape()
        if shape.rank != 2:
            raise InvalidShapeError(f"The shape of the tensor should be 2. Got "
                                    f"{shape.rank} instead.")
        features_dim = shape[1].value
        if features_dim != self._input_dim:
            raise InvalidShapeError(f"Invalid dimension: expected {self._input_dim} input "
                                    f"features, got {features_dim} instead.")
        # TF 1.15 reseeds numpy's global generator and draws normal then uniform; the same
        # draws from a private RandomState give the same map without touching global state.
        rng = np.random.RandomState(self._seed)
        omega = rng.normal(scale=1.0 / self._stddev, size=[self._input_dim, self._output_dim])
        bias = rng.uniform(low=0.0, high=2 * np.pi, size=[self._output_dim])
        omega_matrix = tf.constant(omega, dtype=tf.float32)
        bias = tf.constant(bias, dtype=tf.float32)
        x_omega_plus_bias = tf.add(tf.matmul(input_tensor, omega_matrix), bias)
        return math.sqrt(2.0 / self._output_dim) * tf.cos(x_omega_plus_bias)


def sparse_multiclass_hinge_loss(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Crammer-Singer hinge loss per example, ``max_c(logits_c - logits_label + [c !=
    label])``, weighted and reduced as ``tf.losses`` does. ``labels`` are int32/int64 class
    ids ``[batch]`` or ``[batch, 1]``; ``logits`` are ``[batch, num_classes]``."""
    with tf.name_scope(scope, "sparse_multiclass_hinge_loss", (logits, labels)) as scope:
        logits = tf.convert_to_tensor(logits, name="logits")
        labels = tf.convert_to_tensor(labels, name="labels")
        logits_rank = logits.get_shape().rank
        if logits_rank != 2:
            raise ValueError(f"logits should have rank 2 ([batch_size, num_classes]). Given "
                             f"rank is {logits_rank}")
        num_classes = logits.get_shape()[1].value
        if num_classes is None:
            raise ValueError(f"logits must have a known number of classes, got shape "
                             f"{logits.get_shape()}")
        logits = tf.cast(logits, tf.float32)
        if labels.dtype != tf.int32 and labels.dtype != tf.int64:
            raise ValueError(f"Invalid dtype for labels: {labels.dtype}. Acceptable dtypes: "
                             "int32 and int64")
        labels_rank = labels.get_shape().rank
        if labels_rank not in [1, 2]:
            raise ValueError(f"labels should have rank 1 ([batch_size]) or 2 ([batch_size, "
                             f"1]). Given rank is {labels_rank}")
        with tf.control_dependencies(
                [tf.assert_less(labels, tf.cast(num_classes, labels.dtype))]):
            labels = tf.reshape(labels, shape=[-1])

        weights = tf.convert_to_tensor(weights)
        weights_rank = weights.get_shape().rank
        if weights_rank not in [0, 1, 2]:
            raise ValueError(f"non-scalar weights should have rank 1 ([batch_size]) or 2 "
                             f"([batch_size, 1]). Given rank is {weights_rank}")
        if weights_rank > 0:
            weights = tf.reshape(weights, shape=[-1])
            weights.get_shape().assert_is_compatible_with(labels.get_shape())

        # The logit of each example's true class, then every class's margin over it.
        batch_size = tf.shape(logits)[0]
        example_indices = tf.reshape(tf.range(batch_size), shape=[-1, 1])
        indices = tf.concat([example_indices,
                             tf.reshape(tf.cast(labels, example_indices.dtype), shape=[-1, 1])],
                            axis=1)
        label_logits = tf.reshape(tf.gather_nd(params=logits, indices=indices), shape=[-1, 1])
        one_cold_labels = tf.one_hot(indices=labels, depth=num_classes, on_value=0.0,
                                     off_value=1.0)
        margin = tf.nn.relu(logits - label_logits + one_cold_labels)
        loss = tf.reduce_max(margin, axis=1)
        return tf.losses.compute_weighted_loss(loss, weights, scope, loss_collection,
                                               reduction=reduction)
