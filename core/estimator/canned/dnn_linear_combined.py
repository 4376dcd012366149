"""``tf.estimator.DNNLinearCombinedClassifier`` and ``DNNLinearCombinedRegressor`` (TF 1.x's v1
"wide & deep" canned estimators): the logits are the sum of a linear model's (scope ``linear``,
Ftrl at min(0.005, 1/sqrt(number of linear columns)) unless another optimizer is given) and a
DNN's (scope ``dnn``, Adagrad at 0.001). Each optimizer trains its own part's variables, and
the global step goes up once per step."""

from __future__ import annotations

import math

from ... import nn
from ...variables import variable_scope
from ..estimator import Estimator
from . import head as head_lib
from ._common import check_features_and_partitioner
from .dnn import _dnn_logits, _layer_summary
from .linear import _check_combiner, _linear_logits
from .optimizers import get_optimizer_instance

_DNN_LEARNING_RATE = 0.001
_LINEAR_LEARNING_RATE = 0.005


def _columns(linear_feature_columns, dnn_feature_columns):
    linear, dnn = tuple(linear_feature_columns or ()), tuple(dnn_feature_columns or ())
    if not linear and not dnn:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be "
                         "defined.")
    return linear, dnn


def _model_fn(features, labels, mode, head, linear_columns, linear_optimizer, dnn_columns,
              dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout,
              input_layer_partitioner, batch_norm, linear_sparse_combiner):
    from ...graph import GraphKeys, control_dependencies, get_collection
    from ...ops.array_ops import group
    from ...ops.state_ops import assign_add
    from ...train.step import get_global_step

    check_features_and_partitioner(features, input_layer_partitioner, "input_layer_partitioner")
    parts = []  # (logits, optimizer, absolute scope name)
    if dnn_columns:
        if not dnn_hidden_units:
            raise ValueError("dnn_hidden_units must be defined when dnn_feature_columns is "
                             "specified.")
        optimizer = get_optimizer_instance(dnn_optimizer, learning_rate=_DNN_LEARNING_RATE)
        with variable_scope("dnn", values=tuple(features.values())) as scope:
            logits = _dnn_logits(features, mode, head.logits_dimension, dnn_hidden_units,
                                 dnn_columns, dnn_activation_fn, dnn_dropout, batch_norm)
        parts.append((logits, optimizer, scope.name))
    if linear_columns:
        rate = min(_LINEAR_LEARNING_RATE, 1.0 / math.sqrt(len(linear_columns)))
        optimizer = get_optimizer_instance(linear_optimizer, learning_rate=rate)
        with variable_scope("linear", values=tuple(features.values())) as scope:
            logits = _linear_logits(features, linear_columns, head.logits_dimension,
                                    linear_sparse_combiner)
            _layer_summary(logits, scope.name)
        parts.append((logits, optimizer, scope.name))
    logits = parts[0][0] if len(parts) == 1 else parts[0][0] + parts[1][0]

    def train_op_fn(loss):
        # Each part's optimizer minimizes over its own scope's variables; the global step
        # counts the combined step once.
        train_op = group(*[opt.minimize(loss, var_list=get_collection(
            GraphKeys.TRAINABLE_VARIABLES, scope=name)) for _, opt, name in parts])
        with control_dependencies([train_op]):
            return assign_add(get_global_step(), 1)

    return head.create_estimator_spec(features=features, mode=mode, labels=labels,
                                      train_op_fn=train_op_fn, logits=logits)


class _DNNLinearCombined(Estimator):
    def _init(self, head, model_dir, linear_feature_columns, linear_optimizer,
              dnn_feature_columns, dnn_optimizer, dnn_hidden_units, dnn_activation_fn,
              dnn_dropout, input_layer_partitioner, config, warm_start_from, batch_norm,
              linear_sparse_combiner):
        _check_combiner(linear_sparse_combiner)
        linear, dnn = _columns(linear_feature_columns, dnn_feature_columns)
        hidden = tuple(dnn_hidden_units) if dnn_hidden_units else ()

        def model_fn(features, labels, mode, config):
            return _model_fn(features, labels, mode, head, linear, linear_optimizer, dnn,
                             dnn_optimizer, hidden, dnn_activation_fn, dnn_dropout,
                             input_layer_partitioner, batch_norm, linear_sparse_combiner)

        Estimator.__init__(self, model_fn=model_fn, model_dir=model_dir, config=config,
                           warm_start_from=warm_start_from)


class DNNLinearCombinedClassifier(_DNNLinearCombined):
    """A linear model and a feed-forward network whose logits are added, for binary or
    multi-class classification ("wide & deep")."""

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=nn.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, loss_reduction="weighted_sum", batch_norm=False,
                 linear_sparse_combiner="sum"):
        head = head_lib.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                   loss_reduction)
        self._init(head, model_dir, linear_feature_columns, linear_optimizer,
                   dnn_feature_columns, dnn_optimizer, dnn_hidden_units, dnn_activation_fn,
                   dnn_dropout, input_layer_partitioner, config, warm_start_from, batch_norm,
                   linear_sparse_combiner)


class DNNLinearCombinedRegressor(_DNNLinearCombined):
    """A linear model and a feed-forward network whose outputs are added, for regression."""

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=nn.relu, dnn_dropout=None, label_dimension=1,
                 weight_column=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, loss_reduction="weighted_sum", batch_norm=False,
                 linear_sparse_combiner="sum"):
        head = head_lib.regression_head(label_dimension, weight_column, loss_reduction)
        self._init(head, model_dir, linear_feature_columns, linear_optimizer,
                   dnn_feature_columns, dnn_optimizer, dnn_hidden_units, dnn_activation_fn,
                   dnn_dropout, input_layer_partitioner, config, warm_start_from, batch_norm,
                   linear_sparse_combiner)
