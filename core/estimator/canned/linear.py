"""``tf.estimator.LinearClassifier`` and ``LinearRegressor`` (TF 1.x's v1 canned estimators):
``tf.feature_column.linear_model`` logits under the variable scope ``linear`` (variables
``linear/linear_model/<column>/weights`` and ``linear/linear_model/bias_weights``), trained by
Ftrl at 0.2 unless another optimizer is given."""

from __future__ import annotations

from ... import summary
from ...partitioned_variables import min_max_variable_partitioner
from ...variables import variable_scope
from ..estimator import Estimator
from . import head as head_lib
from ._common import check_features
from .optimizers import get_optimizer_instance

_LEARNING_RATE = 0.2


def _fraction_of_zero(variables):
    """The fraction of zeros over every weight variable (TF's ``fraction_of_zero_weights``)."""
    from ... import nn
    from ...ops import array_ops, concat_split_ops

    flat = [array_ops.reshape(v, [-1]) for v in variables]
    return nn.zero_fraction(concat_split_ops.concat(flat, axis=0))


def _linear_logits(features, feature_columns, units, sparse_combiner):
    from ...feature_column import linear_model

    cols_to_vars = {}
    logits = linear_model(features, feature_columns, units=units,
                          sparse_combiner=sparse_combiner, cols_to_vars=cols_to_vars)
    bias = cols_to_vars.pop("bias")
    if units > 1:
        summary.histogram("bias", bias[0])
    else:
        summary.scalar("bias", bias[0][0])
    weights = [v for vs in cols_to_vars.values() for v in vs]
    if weights:
        summary.scalar("fraction_of_zero_weights", _fraction_of_zero(weights))
    return logits


def _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner,
                     config, sparse_combiner="sum"):
    check_features(features)
    optimizer = get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
    num_ps_replicas = config.num_ps_replicas if config else 0
    # As TF1: the weights are partitioned (one part without parameter servers:
    # linear/linear_model/x/weights/part_0, saved as linear/linear_model/x/weights) and the
    # head, hence the optimizer, is built in the scope: Adam's linear/head/beta1_power, and
    # slots made as linear/linear/linear_model/x/weights/part_0/Ftrl, which slot_creator saves
    # as linear/linear_model/x/weights/part_0/Ftrl (it cuts len("<part>/") characters off the
    # slot's name, which the outer "linear/" has lengthened).
    with variable_scope("linear", values=tuple(features.values()),
                        partitioner=partitioner or min_max_variable_partitioner(
                            max_partitions=num_ps_replicas, min_slice_size=64 << 20)):
        logits = _linear_logits(features, feature_columns, head.logits_dimension,
                                sparse_combiner)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels,
                                          optimizer=optimizer, logits=logits)


def _check_combiner(sparse_combiner):
    if sparse_combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"sparse_combiner must be one of 'mean', 'sqrtn' or 'sum', got "
                         f"{sparse_combiner!r}")


class _Linear(Estimator):
    def _init(self, head, feature_columns, model_dir, optimizer, config, partitioner,
              warm_start_from, sparse_combiner):
        columns = tuple(feature_columns or [])

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(features, labels, mode, head, columns, optimizer,
                                    partitioner, config, sparse_combiner)

        Estimator.__init__(self, model_fn=_model_fn, model_dir=model_dir, config=config,
                           warm_start_from=warm_start_from)


class LinearClassifier(_Linear):
    """A linear model for binary (``n_classes=2``, sigmoid) or multi-class (softmax)
    classification over feature columns."""

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, partitioner=None,
                 warm_start_from=None, loss_reduction="weighted_sum", sparse_combiner="sum"):
        _check_combiner(sparse_combiner)
        head = head_lib.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                   loss_reduction)
        self._init(head, feature_columns, model_dir, optimizer, config, partitioner,
                   warm_start_from, sparse_combiner)


class LinearRegressor(_Linear):
    """A linear model for regression (mean squared error) over feature columns."""

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction="weighted_sum", sparse_combiner="sum"):
        _check_combiner(sparse_combiner)
        head = head_lib.regression_head(label_dimension, weight_column, loss_reduction)
        self._init(head, feature_columns, model_dir, optimizer, config, partitioner,
                   warm_start_from, sparse_combiner)
