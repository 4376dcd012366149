"""``input_layer``, ``linear_model`` and ``make_parse_example_spec``: feature columns turned
into a network's input, a linear model's logits, or the configuration ``tf.parse_example``
reads Examples with. Columns are processed sorted by name, as TF does, which fixes the order of
input_layer's concatenation and of the variables."""

from __future__ import annotations

import collections.abc

import numpy as np

from ..graph import GraphKeys, get_collection, get_default_graph, name_scope
from ..ops import array_ops, concat_split_ops, linalg_ops, math_ops, nn_ops
from ..partitioned_variables import PartitionedVariable
from ..variables import get_variable, variable_scope
from .columns import _CategoricalColumn, _DenseColumn, _FeatureColumn, _LazyBuilder


def _normalize(feature_columns) -> list:
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    if isinstance(feature_columns, collections.abc.Iterator):
        feature_columns = list(feature_columns)
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a _FeatureColumn. Given (type "
                             f"{type(column)}): {column}.")
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    by_name = {}
    for column in feature_columns:
        if column.name in by_name:
            raise ValueError(f"Duplicate feature column name found for columns: {column} and "
                             f"{by_name[column.name]}. This usually means that these columns "
                             f"refer to same base feature. Either one must be discarded or a "
                             f"duplicated but renamed item must be inserted in features dict.")
        by_name[column.name] = column
    return list(feature_columns)


def _collections(weight_collections) -> list:
    out = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in out:
            out.append(key)
    return out


def _same_batch(tensors, columns):
    first = None
    for i, t in enumerate(tensors):
        dim = t.shape[0].value if t.shape.rank else None
        if dim is None:
            continue
        if first is None:
            first = (i, dim)
        elif dim != first[1]:
            raise ValueError(f"Batch size (first dimension) of each feature must be same. "
                             f"Batch size of columns ({columns[first[0]].name}, "
                             f"{columns[i].name}): ({first[1]}, {dim})")


def _flat(tensor, column):
    """``[batch, num_elements]``: each example's values in one row."""
    n = column._variable_shape.num_elements()
    batch = array_ops.shape(tensor)[0]
    return array_ops.reshape(tensor, concat_split_ops.stack([batch, n]))


def input_layer(features, feature_columns, weight_collections=None, trainable=True,
                cols_to_vars=None, cols_to_output_tensors=None):
    """The dense columns' tensors for ``features`` (a dict of Tensors and SparseTensors by
    key), each flattened to ``[batch, n]`` and concatenated in the order of the columns'
    names. Variables (embeddings) are made under ``input_layer/<column>/``."""
    columns = _normalize(feature_columns)
    for column in columns:
        if not isinstance(column, _DenseColumn):
            raise ValueError(f"Items of feature_columns must be a _DenseColumn. You can wrap a "
                             f"categorical column with an embedding_column or indicator_column. "
                             f"Given: {column}")
    weight_collections = _collections(weight_collections)
    with variable_scope(None, default_name="input_layer", values=list(features.values())):
        builder = _LazyBuilder(features)
        outputs, ordered = [], sorted(columns, key=lambda c: c.name)
        for column in ordered:
            with variable_scope(None, default_name=column._var_scope_name) as scope:
                tensor = column._get_dense_tensor(builder, weight_collections=weight_collections,
                                                  trainable=trainable)
                out = _flat(tensor, column)
                outputs.append(out)
                if cols_to_vars is not None:
                    cols_to_vars[column] = get_collection(GraphKeys.GLOBAL_VARIABLES,
                                                          scope=scope.name)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = out
        _same_batch(outputs, ordered)
        return concat_split_ops.concat(outputs, 1)


def _weighted_sum(column, builder, units, sparse_combiner, weight_collections, trainable):
    """One column's ``[batch, units]`` share of the logits, with its ``weights`` variable."""
    from ..init_ops import zeros_initializer
    from ..sparse import reshape, safe_embedding_lookup_sparse

    categorical = isinstance(column, _CategoricalColumn)
    # TF's layer builds ``weights`` before it calls the column, whose own variables (an
    # embedding column's embedding_weights) come after it.
    rows = column._num_buckets if categorical else column._variable_shape.num_elements()
    var = get_variable("weights", [rows, units], initializer=zeros_initializer(),
                       trainable=trainable, collections=weight_collections)
    if categorical:
        pair = column._get_sparse_tensors(builder, weight_collections=weight_collections,
                                          trainable=trainable)

        def per_example(sp):  # one row of ids per example, whatever the ids' rank
            return reshape(sp, concat_split_ops.stack([sp.dense_shape[0], np.int64(-1)]))

        ids = per_example(pair.id_tensor)
        weights = None if pair.weight_tensor is None else per_example(pair.weight_tensor)
        return safe_embedding_lookup_sparse(var, ids, sparse_weights=weights,
                                            combiner=sparse_combiner, name="weighted_sum")
    tensor = _flat(column._get_dense_tensor(builder, weight_collections=weight_collections,
                                            trainable=trainable), column)
    return linalg_ops.matmul(tensor, var, name="weighted_sum")


def linear_model(features, feature_columns, units=1, sparse_combiner="sum",
                 weight_collections=None, trainable=True, cols_to_vars=None):
    """``sum over columns of column @ weights + bias_weights``: ``[batch, units]`` logits.
    Categorical columns are looked up in their weights (combined by ``sparse_combiner``:
    "sum", "mean" or "sqrtn"); dense ones multiplied. Variables are TF's:
    ``linear_model/<column>/weights`` and ``linear_model/bias_weights``, zeros at first."""
    from ..init_ops import zeros_initializer

    columns = _normalize(feature_columns)
    for column in columns:
        if not isinstance(column, (_DenseColumn, _CategoricalColumn)):
            raise ValueError(f"Items of feature_columns must be either a _DenseColumn or "
                             f"_CategoricalColumn. Given: {column}")
    if sparse_combiner not in ("sum", "mean", "sqrtn"):
        raise ValueError(f"sparse_combiner must be one of 'mean', 'sqrtn' or 'sum', got "
                         f"{sparse_combiner!r}")
    weight_collections = _collections(weight_collections)
    # TF reserves a variable scope for the model and then one per column (at the caller's
    # scope: a second model's columns are "price_1"...), then builds the model as a layer.
    model_scope, base = _reserve("linear_model")
    ordered = sorted(columns, key=lambda c: c.name)
    scopes = [_reserve(column._var_scope_name)[1] for column in ordered]
    graph = get_default_graph()
    results = {}
    # TF's layer puts the ops under "<unique base>/<base>/" (linear_model_1/linear_model/...)
    # and the variables under the reserved scope (linear_model/...).
    with name_scope(None, default_name=base), graph.name_scope(base), \
            variable_scope(model_scope, auxiliary_name_scope=False):
        builder = _LazyBuilder(features)
        sums = []
        for column, short in zip(ordered, scopes):
            with variable_scope(short, auxiliary_name_scope=False) as scope, \
                    graph.name_scope(short):
                sums.append(_weighted_sum(column, builder, units, sparse_combiner,
                                          weight_collections, trainable))
                results[column] = get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope.name)
        _same_batch(sums, ordered)
        no_bias = math_ops.add_n(sums, name="weighted_sum_no_bias")
        bias = get_variable("bias_weights", [units], initializer=zeros_initializer(),
                            trainable=trainable, collections=weight_collections)
        predictions = nn_ops.bias_add(no_bias, bias, name="weighted_sum")
    # TF lists the bias layer's first variable: a partitioned bias' first part only
    results["bias"] = [list(bias)[0] if isinstance(bias, PartitionedVariable) else bias]
    if cols_to_vars is not None:
        cols_to_vars.update(results)
    return predictions


def _reserve(default_name):
    """A new variable scope named after ``default_name`` (and the name scope TF's opens:
    ``default_name`` made unique among name scopes); its scope and last component."""
    with variable_scope(None, default_name=default_name, auxiliary_name_scope=False) as scope, \
            name_scope(None, default_name=default_name):
        pass
    return scope, scope.name.rsplit("/", 1)[-1]


def make_parse_example_spec(feature_columns) -> dict:
    """The ``tf.parse_example`` configuration of the features the columns read: a
    FixedLenFeature or VarLenFeature by key."""
    result = {}
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"All feature_columns must be _FeatureColumn instances. Given: "
                             f"{column}")
        for key, value in column._parse_example_spec.items():
            if key in result and value != result[key]:
                raise ValueError(f"feature_columns contain different parse_spec for key {key}. "
                                 f"Given {value} and {result[key]}")
        result.update(column._parse_example_spec)
    return result
