"""``tf.estimator.DNNClassifier`` and ``DNNRegressor`` (TF 1.x's v1 canned estimators): an
``input_layer`` of the feature columns, dense hidden layers and a logits layer under the
variable scope ``dnn`` (``dnn/hiddenlayer_<i>/kernel|bias``, ``dnn/logits/kernel|bias``,
glorot-uniform kernels), trained by Adagrad at 0.05 unless another optimizer is given."""

from __future__ import annotations

from ... import nn, summary
from ...partitioned_variables import min_max_variable_partitioner
from ...variables import variable_scope
from ..estimator import Estimator
from ..model_fn import ModeKeys
from . import head as head_lib
from ._common import check_features
from .optimizers import get_optimizer_instance

_LEARNING_RATE = 0.05


def _dense(net, units, activation, scope):
    """TF's ``core_layers.dense(..., name=scope)``: kernel and bias right in ``scope``."""
    from ...init_ops import glorot_uniform_initializer, zeros_initializer
    from ...ops.linalg_ops import matmul
    from ...variables import get_variable

    kernel = get_variable("kernel", [net.shape[-1].value, units],
                          initializer=glorot_uniform_initializer())
    bias = get_variable("bias", [units], initializer=zeros_initializer())
    out = nn.bias_add(matmul(net, kernel), bias)
    return activation(out) if activation is not None else out


def _layer_summary(value, tag):
    summary.scalar(f"{tag}/fraction_of_zero_values", nn.zero_fraction(value))
    summary.histogram(f"{tag}/activation", value)


def _dnn_logits(features, mode, units, hidden_units, feature_columns, activation_fn, dropout,
                batch_norm, input_layer_partitioner=None):
    from ... import layers
    from ...feature_column import input_layer

    training = mode == ModeKeys.TRAIN
    with variable_scope("input_from_feature_columns", values=tuple(features.values()),
                        partitioner=input_layer_partitioner):
        net = input_layer(features, feature_columns)
    for layer_id, n in enumerate(hidden_units):
        with variable_scope(f"hiddenlayer_{layer_id}", values=(net,)) as scope:
            net = _dense(net, n, activation_fn, scope)
            if dropout is not None and training:
                net = layers.dropout(net, rate=dropout, training=True)
            if batch_norm:
                net = layers.batch_normalization(net, momentum=0.999, training=training,
                                                 name=f"batchnorm_{layer_id}")
        _layer_summary(net, scope.name)
    with variable_scope("logits", values=(net,)) as scope:
        logits = _dense(net, units, None, scope)
    _layer_summary(logits, scope.name)
    return logits


def _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer,
                  activation_fn, dropout, input_layer_partitioner, config, batch_norm=False):
    check_features(features)
    optimizer = get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
    num_ps_replicas = config.num_ps_replicas if config else 0
    # As TF1: every variable of the scope is partitioned (one part without parameter servers:
    # dnn/hiddenlayer_0/kernel/part_0, saved as dnn/hiddenlayer_0/kernel), and the head, hence
    # the optimizer, is built inside it: Adam's dnn/head/beta1_power, and slots made in the
    # scope dnn/dnn/hiddenlayer_0/kernel/part_0/Adagrad, which slot_creator saves as
    # dnn/hiddenlayer_0/kernel/t_0/Adagrad (it cuts len("<part>/") characters off the slot's
    # name, which the outer "dnn/" has lengthened).
    with variable_scope("dnn", values=tuple(features.values()),
                        partitioner=min_max_variable_partitioner(
                            max_partitions=num_ps_replicas)):
        logits = _dnn_logits(features, mode, head.logits_dimension, hidden_units,
                             feature_columns, activation_fn, dropout, batch_norm,
                             input_layer_partitioner or min_max_variable_partitioner(
                                 max_partitions=num_ps_replicas, min_slice_size=64 << 20))
        return head.create_estimator_spec(features=features, mode=mode, labels=labels,
                                          optimizer=optimizer, logits=logits)


class _DNN(Estimator):
    def _init(self, head, hidden_units, feature_columns, model_dir, optimizer, activation_fn,
              dropout, input_layer_partitioner, config, warm_start_from, batch_norm):
        columns = tuple(feature_columns or [])
        hidden_units = tuple(hidden_units)

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(features, labels, mode, head, hidden_units, columns,
                                 optimizer, activation_fn, dropout, input_layer_partitioner,
                                 config, batch_norm)

        Estimator.__init__(self, model_fn=_model_fn, model_dir=model_dir, config=config,
                           warm_start_from=warm_start_from)


class DNNClassifier(_DNN):
    """A feed-forward network for binary (sigmoid) or multi-class (softmax) classification
    over feature columns."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2,
                 weight_column=None, label_vocabulary=None, optimizer="Adagrad",
                 activation_fn=nn.relu, dropout=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, loss_reduction="weighted_sum", batch_norm=False):
        head = head_lib.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                   loss_reduction)
        self._init(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn,
                   dropout, input_layer_partitioner, config, warm_start_from, batch_norm)


class DNNRegressor(_DNN):
    """A feed-forward network for regression (mean squared error) over feature columns."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1,
                 weight_column=None, optimizer="Adagrad", activation_fn=nn.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction="weighted_sum", batch_norm=False):
        head = head_lib.regression_head(label_dimension, weight_column, loss_reduction)
        self._init(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn,
                   dropout, input_layer_partitioner, config, warm_start_from, batch_norm)
