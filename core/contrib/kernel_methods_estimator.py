"""``tf.contrib.kernel_methods.KernelLinearClassifier`` (TF 1.15): a linear classifier over
feature columns, some of them first mapped by explicit kernel mappers.

TF 1.15 built it on ``tf.contrib.learn.Estimator`` (which minitf does not provide); here it is
a ``tf.estimator.Estimator`` with the contrib.learn calls it was used through: ``fit``,
``evaluate``, ``predict`` (contrib prediction keys: ``classes`` are int64 class ids,
``probabilities``, ``logits``, and ``logistic`` for two classes), ``predict_classes`` and
``predict_proba``. The model is contrib.learn's linear model: ``weighted_sum_from_feature_columns``
under the variable scope ``linear`` (``linear/<column>/weight``, ``linear/bias_weight``),
Ftrl at ``min(0.2, 1/sqrt(#columns))`` unless an optimizer is given, and the loss averaged
over examples (weighted by ``weight_column_name``). Evaluation returns core's metrics (``loss``,
``accuracy``, ``average_loss``, ... and ``global_step``), not contrib.learn's full set."""

from __future__ import annotations

import math

import minitf as tf

from ..estimator.canned import head as head_lib
from ..estimator.canned.optimizers import get_optimizer_instance
from ..estimator.estimator import Estimator
from ..losses import Reduction
from ..tf_logging import warning

__all__ = ["KernelLinearClassifier"]

_LEARNING_RATE = 0.2
_SCOPE = "linear"


def _check_valid_kernel_mappers(kernel_mappers):
    from .kernel_methods import DenseKernelMapper

    if kernel_mappers is None:
        return True
    return all(isinstance(m, DenseKernelMapper)
               for mappers in kernel_mappers.values() for m in mappers)


def _check_valid_head(head):
    return isinstance(head, (head_lib._BinaryLogisticHead, head_lib._MultiClassHead))


def _update_features_and_columns(features, feature_columns, kernel_mappers_dict):
    """Each real-valued column with mappers gains a ``<name>_MAPPED`` feature: its mappers'
    outputs side by side, with a real-valued column of their total width."""
    from .layers.feature_column import _RealValuedColumn, real_valued_column

    if kernel_mappers_dict is None:
        return features, feature_columns
    mapped_features, mapped_columns = {}, set()
    for feature_column, mappers in kernel_mappers_dict.items():
        column_name = feature_column.name
        if not isinstance(feature_column, _RealValuedColumn):
            warning("Updates are currently supported on RealValuedColumns only. Metadata for "
                    "FeatureColumn %s will not be updated.", column_name)
            continue
        mapped_column_name = column_name + "_MAPPED"
        new_dim = sum(mapper.output_dim for mapper in mappers)
        mapped_columns.add(real_valued_column(mapped_column_name, new_dim))
        outputs = [mapper.map(features[column_name]) for mapper in mappers]
        mapped_features[mapped_column_name] = tf.concat(outputs, 1)
    features = dict(features)
    features.update(mapped_features)
    return features, set(feature_columns) | mapped_columns


def _default_optimizer(feature_columns):
    learning_rate = min(_LEARNING_RATE, 1.0 / math.sqrt(len(feature_columns)))
    return tf.train.FtrlOptimizer(learning_rate=learning_rate)


def _kernel_model_fn(features, labels, mode, head, feature_columns, optimizer, kernel_mappers):
    from .layers.feature_column_ops import weighted_sum_from_feature_columns

    if not isinstance(features, dict):
        raise ValueError(f"KernelLinearClassifier needs a dict of features (column name -> "
                         f"tensor), got {type(features).__name__}")
    features, columns = _update_features_and_columns(features, feature_columns, kernel_mappers)
    with tf.variable_scope(_SCOPE, values=tuple(features.values())) as scope:
        logits, _, _ = weighted_sum_from_feature_columns(
            columns_to_tensors=features, feature_columns=columns,
            num_outputs=head.logits_dimension, weight_collections=[_SCOPE], scope=scope)

    def train_op_fn(loss):
        my_vars = tf.get_collection(_SCOPE)
        grads = tf.gradients(loss, my_vars)
        opt = _default_optimizer(columns) if optimizer is None else \
            get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
        return opt.apply_gradients(zip(grads, my_vars),
                                   global_step=tf.train.get_global_step())

    return head.create_estimator_spec(features=features, mode=mode, labels=labels,
                                      train_op_fn=train_op_fn, logits=logits)


def _contrib_predictions(pred, binary):
    """Core head predictions renamed as contrib.learn's heads named them."""
    out = {"logits": pred["logits"], "probabilities": pred["probabilities"],
           "classes": pred["class_ids"][..., 0]}
    if binary:
        out["logistic"] = pred["logistic"]
    return out


class _KernelEstimator(Estimator):
    """A linear model over (possibly kernel-mapped) feature columns."""

    def __init__(self, feature_columns=None, model_dir=None, weight_column_name=None,
                 head=None, optimizer=None, kernel_mappers=None, config=None):
        if not feature_columns and not kernel_mappers:
            raise ValueError("You should set at least one of feature_columns, kernel_mappers.")
        if not _check_valid_kernel_mappers(kernel_mappers):
            raise ValueError("Invalid kernel mappers.")
        if not _check_valid_head(head):
            raise ValueError(f"head type: {type(head)} is not supported. Supported head types: "
                             "_BinaryLogisticHead, _MultiClassHead.")
        columns = tuple(feature_columns or [])
        mappers = dict(kernel_mappers) if kernel_mappers else None
        self._head = head

        def model_fn(features, labels, mode):
            return _kernel_model_fn(features, labels, mode, head, columns, optimizer, mappers)

        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config)

    # -- contrib.learn's Estimator calls ---------------------------------------------------------
    @staticmethod
    def _only_input_fn(x, y, batch_size, input_fn):
        if x is not None or y is not None or batch_size is not None:
            raise ValueError("minitf's KernelLinearClassifier takes input_fn only: x, y and "
                             "batch_size (contrib.learn's deprecated numpy path) are not "
                             "supported; wrap arrays with tf.estimator.inputs.numpy_input_fn.")
        if input_fn is None:
            raise ValueError("Either x or input_fn must be provided.")

    def fit(self, x=None, y=None, input_fn=None, steps=None, batch_size=None, monitors=None,
            max_steps=None):
        """Trains for ``steps`` more steps (or up to ``max_steps``) on ``input_fn``'s
        ``(features, labels)``; ``monitors`` are SessionRunHooks. Returns self."""
        self._only_input_fn(x, y, batch_size, input_fn)
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        self.train(input_fn=input_fn, hooks=monitors, steps=steps, max_steps=max_steps)
        return self

    def evaluate(self, x=None, y=None, input_fn=None, feed_fn=None, batch_size=None,
                 steps=None, metrics=None, name=None, checkpoint_path=None, hooks=None,
                 log_progress=True):
        """The eval metrics over ``steps`` batches of ``input_fn`` (to its end if None)."""
        self._only_input_fn(x, y, batch_size, input_fn)
        if feed_fn is not None or metrics is not None:
            raise ValueError("feed_fn and metrics (contrib.learn MetricSpecs) are not "
                             "supported by minitf's KernelLinearClassifier.")
        return super().evaluate(input_fn=input_fn, steps=steps, hooks=hooks,
                                checkpoint_path=checkpoint_path, name=name)

    def predict(self, x=None, input_fn=None, batch_size=None, outputs=None, as_iterable=True,
                iterate_batches=False):
        """Predictions with contrib.learn's keys (``outputs`` picks some): a generator of
        per-example dicts (of batches with ``iterate_batches``), or with ``as_iterable=False``
        one dict of arrays over all of ``input_fn``'s data."""
        import numpy as np

        self._only_input_fn(x, None, batch_size, input_fn)
        binary = isinstance(self._head, head_lib._BinaryLogisticHead)
        keys = ["logits", "probabilities", "classes"] + (["logistic"] if binary else [])
        outputs = list(outputs) if outputs else keys
        unknown = [k for k in outputs if k not in keys]
        if unknown:
            raise ValueError(f"Unknown prediction keys {unknown}; available: {keys}")
        batches = (
            {k: v for k, v in _contrib_predictions(b, binary).items() if k in outputs}
            for b in super().predict(input_fn=input_fn, yield_single_examples=False))
        if not as_iterable:
            got = list(batches)
            return {k: np.concatenate([b[k] for b in got]) for k in outputs}
        if iterate_batches:
            return batches
        return ({k: b[k][i] for k in outputs} for b in batches
                for i in range(len(b[outputs[0]])))

    def predict_classes(self, input_fn=None):
        """A generator of predicted class ids (int64), one per example."""
        return (pred["classes"] for pred in self.predict(input_fn=input_fn,
                                                         outputs=["classes"]))

    def predict_proba(self, input_fn=None):
        """A generator of ``[n_classes]`` class probabilities, one per example."""
        return (pred["probabilities"] for pred in self.predict(input_fn=input_fn,
                                                               outputs=["probabilities"]))


class KernelLinearClassifier(_KernelEstimator):
    """A linear classifier (``n_classes`` >= 2, logistic for 2, softmax above) over
    ``feature_columns`` and the kernel-mapped versions of the real-valued columns keyed in
    ``kernel_mappers`` (``{column: [mapper, ...]}``; a column only there is used only
    mapped)."""

    def __init__(self, feature_columns=None, model_dir=None, n_classes=2,
                 weight_column_name=None, optimizer=None, kernel_mappers=None, config=None):
        if n_classes is None or n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for classification: {n_classes}.")
        if n_classes == 2:
            head = head_lib._BinaryLogisticHead(weight_column=weight_column_name,
                                                loss_reduction=Reduction.MEAN)
        else:
            head = head_lib._MultiClassHead(n_classes, weight_column=weight_column_name,
                                            loss_reduction=Reduction.MEAN)
        super().__init__(feature_columns=feature_columns, model_dir=model_dir,
                         weight_column_name=weight_column_name, head=head,
                         optimizer=optimizer, kernel_mappers=kernel_mappers, config=config)
