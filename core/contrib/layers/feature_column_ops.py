"""``tf.contrib.layers``' builders over its feature columns (feature_column.py): a DNN's input
(``input_from_feature_columns``), a linear model's logits (``weighted_sum_from_feature_columns``,
``joint_weighted_sum_from_feature_columns``), Example parsing, the transforms alone, and
real-valued columns inferred from inputs.

Columns are processed sorted by their ``key``, as TF does, which fixes the concatenation order
and the variables: ``<scope>/<column name>/weights`` (an embedding, or a sparse column's linear
weights), ``.../weight`` for a dense column's linear weights, ``<scope>/bias_weight``; all are
model variables, linear ones zeros at first."""

from __future__ import annotations

import numpy as np

import minitf as tf

from .feature_column import (_FeatureColumn, _reshape_real_valued_tensor,
                             create_feature_spec_for_parsing, real_valued_column)
from .feature_column_more import _embeddings_from_arguments, _maybe_restore_from_checkpoint

__all__ = ["check_feature_columns", "infer_real_valued_columns",
           "infer_real_valued_columns_from_input", "infer_real_valued_columns_from_input_fn",
           "input_from_feature_columns", "joint_weighted_sum_from_feature_columns",
           "parse_feature_columns_from_examples", "transform_features",
           "weighted_sum_from_feature_columns"]


def check_feature_columns(feature_columns):
    """Raises if ``feature_columns`` is a dict, holds something other than a contrib feature
    column, or holds two columns with the same key."""
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    seen = set()
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise TypeError(f"feature_columns should only contain instances of "
                            f"tf.contrib.layers' _FeatureColumn (core tf.feature_column "
                            f"columns go to tf.feature_column.input_layer). Given column is "
                            f"{column}")
        if column.key in seen:
            raise ValueError(f"Duplicate feature column key found for column: {column.name}. "
                             f"This usually means that the column is almost identical to "
                             f"another column, and one must be discarded.")
        seen.add(column.key)


class _Transformer:
    """Transforms columns into ``columns_to_tensors`` (raw features by name, transformed ones
    by column), each once."""

    def __init__(self, columns_to_tensors):
        self._columns_to_tensors = columns_to_tensors

    def transform(self, feature_column):
        if feature_column in self._columns_to_tensors:
            return self._columns_to_tensors[feature_column]
        feature_column.insert_transformed_feature(self._columns_to_tensors)
        if feature_column not in self._columns_to_tensors:
            raise ValueError(f"Column {feature_column.name} is not supported.")
        return self._columns_to_tensors[feature_column]


def _ordered(feature_columns, allow_empty=False):
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    columns = list(feature_columns)
    check_feature_columns(columns)
    if not columns and not allow_empty:
        raise ValueError("feature_columns must not be empty.")
    return sorted(set(columns), key=lambda c: c.key)


def _add_variable_collection(weight_collections):
    if weight_collections:
        weight_collections = list(set(list(weight_collections) +
                                      [tf.GraphKeys.GLOBAL_VARIABLES]))
    return weight_collections


def input_from_feature_columns(columns_to_tensors, feature_columns, weight_collections=None,
                               trainable=True, scope=None, cols_to_outs=None):
    """The DNN input for ``columns_to_tensors`` (raw features by name): each column's dense
    tensor, ``[batch, n]``, concatenated in key order. Embeddings are
    ``input_from_feature_columns/<column name>/weights``; ``cols_to_outs`` (a dict) gets each
    column's output."""
    if cols_to_outs is not None and not isinstance(cols_to_outs, dict):
        raise ValueError("cols_to_outs must be a dict unless None")
    columns_to_tensors = dict(columns_to_tensors)
    ordered = _ordered(feature_columns)
    with tf.variable_scope(scope, default_name="input_from_feature_columns",
                           values=list(columns_to_tensors.values())):
        outputs = []
        transformer = _Transformer(columns_to_tensors)
        weight_collections = _add_variable_collection(weight_collections)
        for column in ordered:
            with tf.variable_scope(None, default_name=column.name,
                                   values=list(columns_to_tensors.values())):
                transformed = transformer.transform(column)
                try:
                    args = column._deep_embedding_lookup_arguments(transformed)
                    outputs.append(_embeddings_from_arguments(column, args, weight_collections,
                                                              trainable))
                except NotImplementedError as ee:
                    try:
                        outputs.append(column._to_dnn_input_layer(
                            transformed, weight_collections, trainable, output_rank=2))
                    except ValueError as e:
                        raise ValueError(f"Error creating input layer for column: "
                                         f"{column.name}.\n{e}, {ee}") from e
            if cols_to_outs is not None:
                cols_to_outs[column] = outputs[-1]
        return tf.concat(outputs, 1)


def _linear_lookup(column, columns_to_tensors, args, num_outputs, trainable,
                   weight_collections):
    """A sparse column's share of the logits: its ids' rows of ``<column>/weights``."""
    from ..framework import model_variable

    with tf.variable_scope(None, default_name=column.name,
                           values=list(columns_to_tensors.values())):
        variable = model_variable("weights", shape=[args.vocab_size, num_outputs],
                                  dtype=tf.float32, initializer=args.initializer,
                                  trainable=trainable, collections=weight_collections)
        predictions = tf.nn.safe_embedding_lookup_sparse(
            variable, args.input_tensor, sparse_weights=args.weight_tensor,
            combiner=args.combiner, name=column.name + "_weights")
    return [variable], predictions


def _dense_linear(column, columns_to_tensors, transformed, num_outputs, trainable,
                  weight_collections):
    """A dense column's share of the logits: ``[batch, n] @ <column>/weight``."""
    from ..framework import model_variable

    with tf.variable_scope(None, default_name=column.name,
                           values=list(columns_to_tensors.values())):
        tensor = _reshape_real_valued_tensor(column._to_dense_tensor(transformed), 2,
                                             column.name)
        width = tensor.shape[1].value
        if width is None:
            raise ValueError(f"Column {column.name}'s inner dimension must be known, got shape "
                             f"{tensor.shape}.")
        variable = model_variable("weight", shape=[width, num_outputs],
                                  initializer=tf.zeros_initializer(), trainable=trainable,
                                  collections=weight_collections)
        return [variable], tf.matmul(tensor, variable, name="matmul")


def weighted_sum_from_feature_columns(columns_to_tensors, feature_columns, num_outputs,
                                      weight_collections=None, trainable=True, scope=None):
    """A linear model's ``[batch, num_outputs]`` predictions: per column (in key order) its
    ids' weights, combined by the column's combiner ("sum" by default), or its values times
    its weights, summed, plus ``bias_weight``. Returns (predictions, {column: [variable]},
    bias)."""
    columns_to_tensors = dict(columns_to_tensors)
    ordered = _ordered(feature_columns)
    with tf.variable_scope(scope, default_name="weighted_sum_from_feature_columns",
                           values=list(columns_to_tensors.values())):
        outputs, column_to_variable = [], {}
        transformer = _Transformer(columns_to_tensors)
        for column in ordered:
            transformed = transformer.transform(column)
            try:
                try:
                    args = column._wide_embedding_lookup_arguments(transformed)
                except NotImplementedError:
                    variable, predictions = _dense_linear(
                        column, columns_to_tensors, transformed, num_outputs, trainable,
                        weight_collections)
                else:
                    variable, predictions = _linear_lookup(
                        column, columns_to_tensors, args, num_outputs, trainable,
                        weight_collections)
            except ValueError as e:
                raise ValueError(f"Error creating weighted sum for column: {column.name}.\n"
                                 f"{e}") from e
            outputs.append(tf.reshape(predictions, (-1, num_outputs)))
            column_to_variable[column] = variable
            _maybe_restore_from_checkpoint(column._checkpoint_path(), variable)
        bias = _bias(num_outputs, trainable, weight_collections)
        return tf.nn.bias_add(tf.add_n(outputs), bias), column_to_variable, bias


def _bias(num_outputs, trainable, weight_collections):
    from ..framework import model_variable

    return model_variable("bias_weight", shape=[num_outputs],
                          initializer=tf.zeros_initializer(), trainable=trainable,
                          collections=_add_variable_collection(weight_collections))


def joint_weighted_sum_from_feature_columns(columns_to_tensors, feature_columns, num_outputs,
                                            weight_collections=None, trainable=True,
                                            scope=None):
    """``weighted_sum_from_feature_columns`` for unweighted, summed sparse columns with all
    their weights in one variable, ``linear_weights/weights`` (the columns' ids offset one
    after another in key order). Returns (predictions, [variable], bias)."""
    from ..framework import model_variable

    columns_to_tensors = dict(columns_to_tensors)
    ordered = _ordered(feature_columns)
    with tf.variable_scope(scope, default_name="joint_weighted_sum_from_feature_columns",
                           values=list(columns_to_tensors.values())):
        transformer = _Transformer(columns_to_tensors)
        offset, shifted = 0, []
        for column in ordered:
            transformed = transformer.transform(column)
            try:
                args = column._wide_embedding_lookup_arguments(transformed)
            except NotImplementedError as e:
                raise NotImplementedError("Real-valued columns are not supported. Use "
                                          "weighted_sum_from_feature_columns instead, or "
                                          "bucketize these columns.") from e
            if args.weight_tensor is not None:
                raise ValueError(f"Joint sums for weighted sparse columns are not supported "
                                 f"(column {column.name}). Please use "
                                 f"weighted_sum_from_feature_columns instead.")
            if args.combiner != "sum":
                raise ValueError(f"Combiners other than sum are not supported for joint sums "
                                 f"(column {column.name} has {args.combiner!r}). Please use "
                                 f"weighted_sum_from_feature_columns instead.")
            ids = args.input_tensor
            values = tf.cast(ids.values, tf.int64) + offset  # bucket ids are int32
            shifted.append(tf.SparseTensor(ids.indices, values, ids.dense_shape))
            offset += args.vocab_size
        ids = tf.sparse.concat(1, shifted)
        with tf.variable_scope(None, default_name="linear_weights",
                               values=list(columns_to_tensors.values())):
            variable = model_variable("weights", shape=[offset, num_outputs], dtype=tf.float32,
                                      initializer=tf.zeros_initializer(), trainable=trainable,
                                      collections=weight_collections)
            no_bias = tf.nn.safe_embedding_lookup_sparse(variable, ids, combiner="sum",
                                                         name="_weights")
        bias = _bias(num_outputs, trainable, weight_collections)
        return tf.nn.bias_add(no_bias, bias), [variable], bias


def parse_feature_columns_from_examples(serialized, feature_columns, name=None,
                                        example_names=None):
    """``tf.parse_example`` of the columns' base features, with every column transformed:
    a dict of the parsed features by name and the transformed ones by column."""
    ordered = _ordered(feature_columns)
    columns_to_tensors = tf.parse_example(
        serialized=serialized, features=create_feature_spec_for_parsing(ordered), name=name,
        example_names=example_names)
    transformer = _Transformer(columns_to_tensors)
    for column in ordered:
        transformer.transform(column)
    return columns_to_tensors


def transform_features(features, feature_columns):
    """Each column's transformed tensor (ids, bucket ids, normalized values...) for the raw
    ``features``, by column."""
    feature_columns = list(feature_columns)
    columns_to_tensors = dict(features)
    transformer = _Transformer(columns_to_tensors)
    for column in _ordered(feature_columns, allow_empty=True):
        transformer.transform(column)
    return {k: v for k, v in columns_to_tensors.items() if k in feature_columns}


def _infer_real_valued_column_for_tensor(name, tensor):
    if isinstance(tensor, tf.SparseTensor):
        raise ValueError(f"SparseTensor is not supported for auto detection. Please define "
                         f"corresponding FeatureColumn for tensor {name} {tensor}.")
    if not (tensor.dtype.is_integer or tensor.dtype.is_floating):
        raise ValueError(f"Non integer or non floating types are not supported for auto "
                         f"detection. Please define corresponding FeatureColumn for tensor "
                         f"{name} {tensor}.")
    dims = tensor.shape.as_list()[1:] if tensor.shape.rank is not None else None
    if dims is None or any(d is None for d in dims):
        raise ValueError(f"The inner dimensions of tensor {name} must be known for auto "
                         f"detection, got shape {tensor.shape}.")
    return real_valued_column(name, dimension=int(np.prod(dims, dtype=np.int64)),
                              dtype=tensor.dtype)


def infer_real_valued_columns(features):
    """A real-valued column per feature (a Tensor, named '', or a dict of them by name), its
    dimension the feature's inner size and its dtype the feature's."""
    if not isinstance(features, dict):
        return [_infer_real_valued_column_for_tensor("", features)]
    return [_infer_real_valued_column_for_tensor(k, v) for k, v in features.items()]


def infer_real_valued_columns_from_input_fn(input_fn):
    """``infer_real_valued_columns`` of the features ``input_fn()`` returns (built in a
    graph of its own), as tf.contrib.learn's."""
    with tf.Graph().as_default():
        features, _ = input_fn()
        return infer_real_valued_columns(features)


def infer_real_valued_columns_from_input(x):
    """Real-valued columns for a batch ``x`` (an array, or a dict of arrays by feature name):
    dimension the size of one example, dtype the array's, as tf.contrib.learn's."""
    def feature(name, value):
        value = np.asarray(value)
        if value.ndim < 1:
            raise ValueError(f"Input {name or 'x'} must have a batch dimension, got a scalar.")
        dtype = tf.as_dtype(value.dtype) if value.dtype != object else tf.string
        return tf.placeholder(dtype, [None, *value.shape[1:]], name=name or "input")

    def input_fn():
        if isinstance(x, dict):
            return {k: feature(k, v) for k, v in x.items()}, None
        return feature("", x), None
    return infer_real_valued_columns_from_input_fn(input_fn)
