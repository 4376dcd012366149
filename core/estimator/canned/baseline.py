"""``tf.estimator.BaselineClassifier``, ``BaselineRegressor`` and ``BaselineEstimator`` (TF
1.15's v1 canned estimators, tensorflow_estimator canned/baseline.py): the features are
ignored; the model learns one bias per output (``baseline/bias``, zeros at the start), so it
predicts the label mean (regression) or the class frequencies (classification). Trained by
Ftrl at 0.3 unless another optimizer is given; the v1 loss is reduced by ``SUM``."""

from __future__ import annotations

from ...variables import variable_scope
from ..estimator import Estimator
from . import head as head_lib
from .optimizers import get_optimizer_instance

_LEARNING_RATE = 0.3


def _weight_column_key(weight_column):
    from ...feature_column.columns import _NumericColumn

    if weight_column is None or isinstance(weight_column, str):
        return weight_column
    if not isinstance(weight_column, _NumericColumn):
        raise TypeError(f"Weight column must be either a string or _NumericColumn. Given "
                        f"type: {type(weight_column)}.")
    return weight_column.key


def _batch_size_and_checks(features, weight_column_key):
    """The batch size (first dimension of the first feature that is not the weight) and
    assertions that every other such feature has it: TF leaves the weight out so serving
    does not need it."""
    from ...graph import convert_to_tensor
    from ...ops.logging_ops import assert_equal
    from ...ops.shape_ops import shape

    if not isinstance(features, dict):
        features = {None: features}  # one Tensor: TF documents it; its batch is its dim 0
    batch_size, checks = None, []
    for key, feature in features.items():
        if key == weight_column_key:
            continue
        first_dim = shape(convert_to_tensor(feature))[0]
        if batch_size is None:
            batch_size = first_dim
        else:
            check = assert_equal(batch_size, first_dim)
            if check is not None:
                checks.append(check)
    if batch_size is None:
        raise ValueError("Baseline estimators need at least one feature (other than the "
                         f"weight column) to know the batch size; got features {features!r}")
    return batch_size, checks


def _baseline_logits(features, num_outputs, weight_column=None):
    """``bias * ones([batch_size, num_outputs])`` with ``bias`` = ``baseline/bias``."""
    from ...graph import control_dependencies
    from ...init_ops import zeros_initializer
    from ...ops.concat_split_ops import stack
    from ...ops.fill_ops import ones
    from ...variable_scopes import get_variable

    batch_size, checks = _batch_size_and_checks(features, _weight_column_key(weight_column))
    with control_dependencies(checks):
        with variable_scope("baseline"):
            bias = get_variable("bias", shape=[num_outputs], initializer=zeros_initializer())
            return bias * ones(stack([batch_size, num_outputs]))


def _baseline_model_fn(features, labels, mode, head, optimizer, weight_column=None,
                       config=None):
    from ...train.step import get_global_step

    del config  # unused, as in TF
    logits = _baseline_logits(features, head.logits_dimension, weight_column)

    def train_op_fn(loss):
        opt = get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
        return opt.minimize(loss, global_step=get_global_step())

    return head.create_estimator_spec(features=features, mode=mode, logits=logits,
                                      labels=labels, train_op_fn=train_op_fn)


class BaselineClassifier(Estimator):
    """Ignores the features and learns the class distribution of the labels: binary
    (``n_classes=2``, sigmoid) or multi-class (softmax) logits that are one bias each."""

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, loss_reduction="weighted_sum"):
        head = head_lib.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                   loss_reduction)

        def _model_fn(features, labels, mode, config):
            return _baseline_model_fn(features, labels, mode, head, optimizer,
                                      weight_column=weight_column, config=config)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


class BaselineRegressor(Estimator):
    """Ignores the features and learns the (weighted) mean of each of ``label_dimension``
    targets."""

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl",
                 config=None, loss_reduction="weighted_sum"):
        head = head_lib.regression_head(label_dimension, weight_column, loss_reduction)

        def _model_fn(features, labels, mode, config):
            # TF's v1 regressor does not tell the logits about the weight column, so the
            # weight feature is batch-size checked too.
            return _baseline_model_fn(features, labels, mode, head, optimizer, config=config)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


class BaselineEstimator(Estimator):
    """A bias-only model under a given ``head`` (e.g. ``tf.contrib.estimator.multi_label_head``
    or ``tf.estimator.MultiLabelHead``)."""

    def __init__(self, head, model_dir=None, optimizer="Ftrl", config=None):
        def _model_fn(features, labels, mode, config):
            return _baseline_model_fn(features, labels, mode, head, optimizer, config=config)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)
