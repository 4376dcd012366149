"""``tf.io.parse_single_sequence_example`` and ``tf.io.parse_sequence_example``: serialized
``tf.train.SequenceExample`` records -> (context, feature lists[, lengths]) dicts of tensors.

Both build one ParseSequenceExampleV2 node, as TF 2.x's ``tf.compat.v1`` does, so the graphs
export to GraphDefs TF reads. Feature configurations are parsing_ops' (FixedLenFeature,
FixedLenSequenceFeature, VarLenFeature); RaggedFeature is refused (no RaggedTensor here).
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .ops.array_ops import constant
from .ops.parsing_ops import (_FEATURE_DTYPES, FixedLenFeature, FixedLenSequenceFeature,
                              VarLenFeature, _dense_config, _parsed_sparse,
                              dense_dtype_and_shape)
from .ops.parsing_sequence_ops import PARSE_SEQUENCE_EXAMPLE_V2

__all__ = ["parse_single_sequence_example", "parse_sequence_example"]


def _strings(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = [k.encode() for k in items]
    return out


def _sparse_keys(features: dict) -> list[str]:
    keys = sorted(k for k, f in features.items() if isinstance(f, VarLenFeature))
    for k in keys:
        if _dt.as_dtype(features[k].dtype) not in _FEATURE_DTYPES:
            raise ValueError(f"Feature '{k}': dtype must be tf.float32, tf.int64 or tf.string, "
                             f"got {_dt.as_dtype(features[k].dtype).name}")
    return keys


def _check_kinds(features: dict, allowed: tuple) -> None:
    for key, feature in features.items():
        if not isinstance(feature, allowed + (VarLenFeature,)):
            raise ValueError(f"Unsupported {type(feature).__name__} {feature!r} for key '{key}'")


def _list_dense_config(key, feature):
    """(dtype, row shape, allowed missing) of a FixedLenSequenceFeature in sequence_features."""
    if feature.default_value is not None:
        raise ValueError(f"Value feature_list.dense_defaults[{key}] must be None")
    return (*dense_dtype_and_shape(key, feature), bool(feature.allow_missing))


def _parse(serialized, context_features, sequence_features, names, scope):
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    context_features = dict(context_features or {})
    sequence_features = dict(sequence_features or {})
    _check_kinds(context_features, (FixedLenFeature,))
    _check_kinds(sequence_features, (FixedLenSequenceFeature,))
    ctx_sparse = _sparse_keys(context_features)
    ctx_dense = sorted(k for k in context_features if k not in ctx_sparse)
    ctx_configs = [_dense_config(k, context_features[k]) for k in ctx_dense]
    fl_sparse = _sparse_keys(sequence_features)
    fl_dense = sorted(k for k in sequence_features if k not in fl_sparse)
    fl_configs = [_list_dense_config(k, sequence_features[k]) for k in fl_dense]
    with name_scope(scope), name_scope("ParseSequenceExample"):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        if serialized.shape.rank is not None and serialized.shape.rank > 1:
            raise ValueError(f"Input serialized must be a scalar or a vector, got shape "
                             f"{serialized.shape}")
        names = constant(_strings([]), _dt.string) if names is None else \
            convert_to_tensor(names, dtype=_dt.string)
        defaults = [d if isinstance(d, Tensor) else constant(d, t, name="Const")
                    for t, _, d in ctx_configs]
        outs = PARSE_SEQUENCE_EXAMPLE_V2(
            serialized, names, constant(_strings(ctx_sparse), _dt.string),
            constant(_strings(ctx_dense), _dt.string), constant(_strings([]), _dt.string),
            constant(_strings(fl_sparse), _dt.string), constant(_strings(fl_dense), _dt.string),
            constant(_strings([]), _dt.string),
            constant(np.array([m for _, _, m in fl_configs], bool), _dt.bool), defaults,
            Ncontext_sparse=len(ctx_sparse), Nfeature_list_sparse=len(fl_sparse),
            Nfeature_list_dense=len(fl_dense),
            context_sparse_types=[_dt.as_dtype(context_features[k].dtype) for k in ctx_sparse],
            context_ragged_value_types=[], context_ragged_split_types=[],
            context_dense_shapes=[s for _, s, _ in ctx_configs],
            feature_list_dense_types=[t for t, _, _ in fl_configs],
            feature_list_sparse_types=[_dt.as_dtype(sequence_features[k].dtype)
                                       for k in fl_sparse],
            feature_list_ragged_value_types=[], feature_list_ragged_split_types=[],
            feature_list_dense_shapes=[s for _, s, _ in fl_configs],
            name="ParseSequenceExampleV2")
    outs = list(outs) if isinstance(outs, list) else [outs]
    context = _sparse_dict(ctx_sparse, outs)
    context.update(zip(ctx_dense, outs[:len(ctx_dense)]))
    del outs[:len(ctx_dense)]
    lists = _sparse_dict(fl_sparse, outs)
    lists.update(zip(fl_dense, outs[:len(fl_dense)]))
    lengths = dict(zip(fl_dense, outs[len(fl_dense):]))
    return context, lists, lengths


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
    a SparseTensor ([longest] in the context, [steps, longest] in a feature list)."""
    serialized = convert_to_tensor(serialized, dtype=_dt.string)
    if serialized.shape.rank not in (None, 0):
        raise ValueError(f"Input serialized must be a scalar, got shape {serialized.shape}")
    if example_name is not None:
        example_name = np.reshape(np.asarray(example_name, dtype=object), [1])
    context, lists, _ = _parse(serialized, context_features, sequence_features, example_name,
                               name or "ParseSingleSequenceExample")
    return context, lists


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """A batch (vector) of serialized SequenceExamples -> (context, feature_lists, lengths):
    feature lists padded to the batch's longest with 0 / b"", and ``lengths`` the number of
    steps of each record's dense feature lists ([batch] int64, keyed as the dense lists)."""
    serialized = convert_to_tensor(serialized, dtype=_dt.string)
    if serialized.shape.rank not in (None, 1):
        raise ValueError(f"Input serialized must be a vector, got shape {serialized.shape}")
    return _parse(serialized, context_features, sequence_features, example_names,
                  name or "ParseSequenceExample")
