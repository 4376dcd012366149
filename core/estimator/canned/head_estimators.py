"""``tf.estimator.LinearEstimator``, ``DNNEstimator`` and ``DNNLinearCombinedEstimator`` (TF
1.15's v1 canned estimators with a user-given head, e.g. ``tf.contrib.estimator.multi_label_head``
or ``tf.estimator.MultiLabelHead``): the same networks, variable names and default optimizers
as the classifiers and regressors of linear.py, dnn.py and dnn_linear_combined.py."""

from __future__ import annotations

from ... import nn
from .dnn import _DNN
from .dnn_linear_combined import _DNNLinearCombined
from .linear import _check_combiner, _Linear


class LinearEstimator(_Linear):
    """A linear model over feature columns with a user-given head."""

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None,
                 partitioner=None, sparse_combiner="sum"):
        _check_combiner(sparse_combiner)
        self._init(head, feature_columns, model_dir, optimizer, config, partitioner, None,
                   sparse_combiner)


class DNNEstimator(_DNN):
    """A feed-forward network over feature columns with a user-given head."""

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=nn.relu, dropout=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, batch_norm=False):
        self._init(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn,
                   dropout, input_layer_partitioner, config, warm_start_from, batch_norm)


class DNNLinearCombinedEstimator(_DNNLinearCombined):
    """A linear model and a feed-forward network whose logits are added ("wide & deep"),
    with a user-given head."""

    def __init__(self, head, model_dir=None, linear_feature_columns=None,
                 linear_optimizer="Ftrl", dnn_feature_columns=None, dnn_optimizer="Adagrad",
                 dnn_hidden_units=None, dnn_activation_fn=nn.relu, dnn_dropout=None,
                 input_layer_partitioner=None, config=None, linear_sparse_combiner="sum"):
        self._init(head, model_dir, linear_feature_columns, linear_optimizer,
                   dnn_feature_columns, dnn_optimizer, dnn_hidden_units, dnn_activation_fn,
                   dnn_dropout, input_layer_partitioner, config, None, False,
                   linear_sparse_combiner)


__all__ = ["DNNEstimator", "DNNLinearCombinedEstimator", "LinearEstimator"]
