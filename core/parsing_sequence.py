"""``tf.io.parse_single_sequence_example`` and ``tf.io.parse_sequence_example``: serialized
``tf.train.SequenceExample`` records -> (context, feature lists[, lengths]) dicts of tensors.

Both build one ParseSequenceExampleV2 node, as TF 2.x's ``tf.compat.v1`` does, so the graphs
export to GraphDefs TF reads. Feature configurations are parsing_ops' (FixedLenFeature,
FixedLenSequenceFeature, VarLenFeature); RaggedFeature is refused (no RaggedTensor here).
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .default_graph import name_scope
from .graph import convert_to_tensor
from .ops.parsing_ops import (FixedLenFeature, FixedLenSequenceFeature,
                              VarLenFeature, _key_array, _parsed_sparse, _ParseParams,
                              assert_scalar, dense_dtype_and_shape)
from .ops.parsing_sequence_ops import PARSE_SEQUENCE_EXAMPLE_V2

__all__ = ["parse_single_sequence_example", "parse_sequence_example"]


def _params(features, kinds: tuple) -> _ParseParams:
    """TF's _ParseOpParams of the context (FixedLenFeature) or the feature lists
    (FixedLenSequenceFeature); an unparsable dtype is left to the op's type check (TF's
    TypeError naming the parameter)."""
    params = _ParseParams(features, kinds + (VarLenFeature,))
    for k, f in zip(params.dense_keys, params.dense_features):
        dense_dtype_and_shape(k, f)
    return params


def _list_dense_config(key, feature):
    """(dtype, row shape, allowed missing) of a FixedLenSequenceFeature in sequence_features."""
    if feature.default_value is not None:
        raise ValueError(f"Value feature_list.dense_defaults[{key}] must be None")
    return (*dense_dtype_and_shape(key, feature), bool(feature.allow_missing))


def _parse(serialized, context_features, sequence_features, names, name):
    """TF's _parse_sequence_example_raw: the ParseSequenceExampleV2 node (named ``name``, in a
    scope of that name or "ParseSequenceExample"), its keys as the op's own Const inputs."""
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    ctx = _params(context_features, (FixedLenFeature,))
    lists = _params(sequence_features, (FixedLenSequenceFeature,))
    ctx_specs = ctx.dense_specs()
    fl_configs = [_list_dense_config(k, f) for k, f in zip(lists.dense_keys,
                                                           lists.dense_features)]
    with name_scope(name, "ParseSequenceExample", [serialized]):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        if serialized.shape.rank is not None and serialized.shape.rank > 1:
            raise ValueError(f"Input serialized must be a scalar or a vector, got shape "
                             f"{serialized.shape}")
        outs = PARSE_SEQUENCE_EXAMPLE_V2(
            serialized, np.zeros([0], object) if names is None else names,
            _key_array(ctx.sparse_keys), _key_array(ctx.dense_keys), _key_array([]),
            _key_array(lists.sparse_keys), _key_array(lists.dense_keys), _key_array([]),
            np.array([m for _, _, m in fl_configs], bool), ctx.dense_defaults(ctx_specs),
            Ncontext_sparse=len(ctx.sparse_keys), Nfeature_list_sparse=len(lists.sparse_keys),
            Nfeature_list_dense=len(lists.dense_keys), context_sparse_types=ctx.sparse_types,
            context_ragged_value_types=[], context_ragged_split_types=[],
            context_dense_shapes=[s for _, s in ctx_specs],
            feature_list_dense_types=[t for t, _, _ in fl_configs],
            feature_list_sparse_types=lists.sparse_types,
            feature_list_ragged_value_types=[], feature_list_ragged_split_types=[],
            feature_list_dense_shapes=[s for _, s, _ in fl_configs], name=name)
    outs = list(outs) if isinstance(outs, list) else [outs]
    context = _sparse_dict(ctx.sparse_keys, outs)
    context.update(zip(ctx.dense_keys, outs[:len(ctx.dense_keys)]))
    del outs[:len(ctx.dense_keys)]
    feature_lists = _sparse_dict(lists.sparse_keys, outs)
    feature_lists.update(zip(lists.dense_keys, outs[:len(lists.dense_keys)]))
    lengths = dict(zip(lists.dense_keys, outs[len(lists.dense_keys):]))
    return context, feature_lists, lengths


def _sparse_dict(keys, outs) -> dict:
    """SparseTensors of the first 3*len(keys) outputs (indices, values, shapes), removed."""
    n = len(keys)
    result = {k: _parsed_sparse(outs[i], outs[n + i], outs[2 * n + i])
              for i, k in enumerate(keys)}
    del outs[:3 * n]
    return result


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """One serialized SequenceExample (a scalar) -> (context, feature_lists): context tensors
    of their feature's shape; a FixedLenSequenceFeature gives [steps] + shape; a VarLenFeature
    a SparseTensor ([longest] in the context, [steps, longest] in a feature list). Built as
    TF builds it: the scalar checked in a "ParseSingleExample" scope (a run-time Assert when
    its rank is unknown), then parsed in "ParseSequenceExample", both in
    "ParseSingleSequenceExample"."""
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    if example_name is not None:
        example_name = np.reshape(np.asarray(example_name, dtype=object), [1])
    with name_scope(name, "ParseSingleSequenceExample", [serialized]):
        with name_scope(name, "ParseSingleExample", [serialized]):
            serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
            serialized = assert_scalar(serialized, "serialized")
        context, lists, _ = _parse(serialized, context_features, sequence_features,
                                   example_name, name)
    return context, lists


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """A batch (vector) of serialized SequenceExamples -> (context, feature_lists, lengths):
    feature lists padded to the batch's longest with 0 / b"", and ``lengths`` the number of
    steps of each record's dense feature lists ([batch] int64, keyed as the dense lists)."""
    serialized = convert_to_tensor(serialized, dtype=_dt.string)
    if serialized.shape.rank not in (None, 1):
        raise ValueError(f"Input serialized must be a vector, got shape {serialized.shape}")
    with name_scope(name, "ParseSequenceExample", [serialized]):
        return _parse(serialized, context_features, sequence_features, example_names, name)
