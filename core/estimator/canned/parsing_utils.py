"""``tf.estimator.classifier_parse_example_spec`` / ``regressor_parse_example_spec``: the
``tf.parse_example`` configuration of a canned estimator's features, label and weight."""

from __future__ import annotations

from ... import dtypes as _dt


def _label_spec(feature_columns, label_key, label_dtype, label_default, weight_column, shape):
    from ...feature_column import make_parse_example_spec, numeric_column
    from ...ops.parsing_ops import FixedLenFeature

    spec = make_parse_example_spec(feature_columns)
    if label_key in spec:
        raise ValueError(f"label should not be used as feature. label_key: {label_key}, "
                         f"features: {list(spec)}")
    spec[label_key] = FixedLenFeature(shape, label_dtype, label_default)
    if isinstance(weight_column, str):
        weight_column = numeric_column(weight_column)
    if weight_column is not None:
        if weight_column.key in spec:
            raise ValueError(f"weight_column should not be used as feature. weight_column: "
                             f"{weight_column.key}, features: {list(spec)}")
        spec.update(weight_column._parse_example_spec)
    return spec


def classifier_parse_example_spec(feature_columns, label_key, label_dtype=_dt.int64,
                                  label_default=None, weight_column=None):
    """``tf.parse_example``'s spec for a classifier's features, label and weight."""
    return _label_spec(feature_columns, label_key, label_dtype, label_default, weight_column,
                       (1,))


def regressor_parse_example_spec(feature_columns, label_key, label_dtype=_dt.float32,
                                 label_default=None, label_dimension=1, weight_column=None):
    """``tf.parse_example``'s spec for a regressor's features, label and weight."""
    return _label_spec(feature_columns, label_key, label_dtype, label_default, weight_column,
                       (label_dimension,))
