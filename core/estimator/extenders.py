"""``tf.estimator.add_metrics`` (TF 1.15's tensorflow_estimator extenders.py): the one
tf.contrib.estimator also exports (core/contrib/estimator.py), imported on first call since
that module loads the contrib heads."""

from __future__ import annotations


def add_metrics(estimator, metric_fn):
    """A new Estimator (same model_dir, config and warm start) whose evaluation also runs
    the metrics ``metric_fn`` returns: a dict of ``(value, update_op)`` by name (a name
    already there is replaced). ``metric_fn`` takes any of ``features``, ``labels``,
    ``predictions`` and ``config``, nothing else (ValueError)."""
    from ..contrib.estimator import add_metrics as _add_metrics

    return _add_metrics(estimator, metric_fn)
