"""``tf.contrib.slim`` (TF 1.x): contrib.layers' layers, initializers and regularizers,
contrib.framework's arg_scope and variables API, contrib's losses and metrics, and slim's
training (``learning``) and evaluation loops, ``slim.nets``' models, and slim's data pipeline:
``dataset``, ``data_decoder``, ``data_provider``, ``tfexample_decoder``,
``dataset_data_provider``, ``parallel_reader``, ``prefetch_queue`` and ``queues``; plus
``model_analyzer`` and ``summaries``, and the names slim saw of contrib.layers' Python package
that contrib.layers itself did not export (``bucketize``, ``scattered_embedding_lookup``...)."""

import types as _types

import minitf as _tf

from .. import framework as _framework
from .. import layers as _layers
from .. import losses, metrics  # noqa: F401 - slim.losses / slim.metrics are contrib's
from ..framework_extra import __all__ as _framework_extra_all
from . import evaluation, learning, model_analyzer, nets, summaries  # noqa: F401
from . import (data_decoder, data_provider, dataset, dataset_data_provider,  # noqa: F401
               parallel_reader, prefetch_queue, queues, tfexample_decoder)

# contrib.framework's arg scopes and variables (not its tensor utilities: slim took only
# those two modules)
_framework_all = [n for n in _framework.__all__ if n not in _framework_extra_all]
globals().update({name: getattr(_framework, name) for name in _framework_all})

# contrib.layers' functions, and the submodules TF's star import of its layers package
# brought along (slim's nets call slim.utils.collect_named_outputs)
globals().update({name: value for name, value in vars(_layers).items()
                  if not name.startswith("_") and not isinstance(value, _types.ModuleType)})
_LAYERS_MODULES = ("initializers", "layers", "regularizers", "utils")
globals().update({name: getattr(_layers, name) for name in _LAYERS_MODULES})


def bucketize(input_tensor, boundaries, name=None):
    """The bucket of each value of ``input_tensor`` (int32): how many of the sorted
    ``boundaries`` are <= it (a Bucketize op)."""
    from ...ops.feature_ops import BUCKETIZE

    if not isinstance(boundaries, (list, tuple)):
        raise TypeError(f"Expected list for 'boundaries' argument to 'Bucketize' Op, not "
                        f"{boundaries!r}.")
    return BUCKETIZE(input_tensor, boundaries=[float(b) for b in boundaries],
                     name=name or "Bucketize")


def _partitions(params):
    from ...partitioned_variables import PartitionedVariable

    if isinstance(params, PartitionedVariable):
        params = list(params)
    return params if isinstance(params, list) else [params]


def scattered_embedding_lookup(params, values, dimension, name=None, hash_key=None):
    """``[d0, ..., dn, dimension]`` embeddings of ``values`` by parameter hashing: component
    ``i`` of value ``v`` is the weight at a fingerprint of (v, i) modulo the number of
    weights (``params``: one rank-1 tensor, or a list of "div"-partitioned ones)."""
    if dimension is None:
        raise ValueError("You must specify dimension.")
    from ..layers.feature_column import sparse_feature_cross

    params = _partitions(params)
    with _tf.name_scope(name, "scattered_embedding_lookup", params + [dimension, values]):
        values_shape = _tf.shape(values)
        values = _tf.reshape(values, [-1, 1])
        if dimension <= 0:
            raise ValueError(f"Dimension must be >0. Given is {dimension}")
        candidates = _tf.tile(_tf.expand_dims(_tf.range(0, dimension), 0), _tf.shape(values))
        sizes = []
        for p in params:
            shape = p.get_shape()
            shape.assert_has_rank(1)
            shape.assert_is_fully_defined()
            sizes.append(shape[0].value)
        num_params = sum(sizes)
        for i, size in enumerate(sizes):  # the "div" split: the first ones one longer
            expected = (num_params - i - 1) // len(params) + 1
            if size != expected:
                raise ValueError(f"Tensor {i} in params has size {size}, expected {expected}.")
        # each value crossed with each component index, hashed into the weights
        ids = sparse_feature_cross([candidates, values], hashed_output=True,
                                   num_buckets=num_params, hash_key=hash_key)
        ids = _tf.sparse_tensor_to_dense(ids)
        result = _tf.nn.embedding_lookup(params, ids, partition_strategy="div")
        return _tf.reshape(result, _tf.concat([values_shape, [dimension]], 0))


def scattered_embedding_lookup_sparse(params, sparse_values, dimension, combiner=None,
                                      default_value=None, name=None, hash_key=None):
    """``[N, dimension]`` embeddings of the rows of the 2-D SparseTensor ``sparse_values``:
    each value's ``scattered_embedding_lookup`` combined per row ("mean", "sqrtn", "sum");
    an empty row embeds ``default_value`` (a fixed string or int by default)."""
    if combiner is None:
        _tf.logging.warn('The default value of combiner will change from "mean" to "sqrtn" '
                         "after 2016/11/01.")
        combiner = "mean"
    params = _partitions(params)
    if not isinstance(sparse_values, _tf.SparseTensor):
        raise TypeError("sparse_values must be SparseTensor")
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError("Combiner must be one of 'mean', 'sqrtn' or 'sum'.")
    with _tf.name_scope(name, "scattered_embedding_lookup_sparse",
                        params + [sparse_values]) as scope:
        if default_value is None:  # arbitrary, to make collisions unlikely
            default_value = "6ZxWzWOHxZ" if sparse_values.dtype == _tf.string else 1288896567
        sparse_values, _ = _tf.sparse_fill_empty_rows(sparse_values, default_value)
        segment_ids = _tf.cast(sparse_values.indices[:, 0], _tf.int32)
        values, idx = _tf.unique(sparse_values.values)
        embeddings = scattered_embedding_lookup(params, values, dimension, hash_key=hash_key)
        combine = {"sum": _tf.sparse_segment_sum, "mean": _tf.sparse_segment_mean,
                   "sqrtn": _tf.sparse_segment_sqrt_n}[combiner]
        return combine(embeddings, idx, segment_ids, name=scope)


def embedding_lookup_sparse_with_distributed_aggregation(params, sp_ids, sp_weights,
                                                         partition_strategy="mod", name=None,
                                                         combiner=None, max_norm=None):
    """``tf.nn.embedding_lookup_sparse``, which TF 1.x's contrib computed with each
    partition's rows combined where they live (a placement choice, same values here)."""
    if combiner is None:
        _tf.logging.warn('The default value of combiner will change from "mean" to "sqrtn" '
                         "after 2016/11/01.")
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError("combiner must be one of 'mean', 'sqrtn' or 'sum'")
    if not isinstance(sp_ids, _tf.SparseTensor):
        raise TypeError("sp_ids must be SparseTensor")
    if sp_weights is not None and not isinstance(sp_weights, _tf.SparseTensor):
        raise TypeError("sp_weights must be either None or SparseTensor")
    return _tf.nn.embedding_lookup_sparse(_partitions(params), sp_ids, sp_weights,
                                          partition_strategy=partition_strategy, name=name,
                                          combiner=combiner, max_norm=max_norm)


__all__ = sorted({*_framework_all, "evaluation", "learning", "losses", "metrics", "nets",
                  "data_decoder", "data_provider", "dataset", "dataset_data_provider",
                  "parallel_reader", "prefetch_queue", "queues", "tfexample_decoder",
                  "model_analyzer", "summaries", "bucketize", "scattered_embedding_lookup",
                  "scattered_embedding_lookup_sparse",
                  "embedding_lookup_sparse_with_distributed_aggregation", *_LAYERS_MODULES,
                  *(name for name, value in vars(_layers).items()
                    if not name.startswith("_") and not isinstance(value, _types.ModuleType))})
