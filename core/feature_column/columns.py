"""The feature columns' protocol, the lazy builder that transforms features once, the helpers
that turn dense inputs sparse, and the numeric, bucketized and identity columns (the others are
in categorical.py and dense.py). Columns are namedtuples, as TF's, so equal columns are one
builder entry.

A column implements TF 1.x's (underscored) protocol: ``name``, ``_parse_example_spec``,
``_transform_feature(builder)``; a dense one ``_variable_shape`` and ``_get_dense_tensor``; a
categorical one ``_num_buckets`` and ``_get_sparse_tensors`` (an IdWeightPair). The base classes
add TF 1.15's public protocol (feature_column_v2's) over it: ``parse_example_spec``,
``variable_shape``, ``num_buckets``, ``parents``, ``transform_feature`` and
``get_dense_tensor``/``get_sparse_tensors`` (given a builder: ``FeatureTransformationCache``),
and ``get_config``/``from_config`` with TF's config dicts (``serialize_feature_column``)."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..array_extra import convert_to_tensor_or_sparse_tensor as _tensor_or_sparse
from ..graph import convert_to_tensor, name_scope
from ..ops import array_ops, concat_split_ops, gather_ops, logic_ops, math_ops, transform_ops
from ..ops.feature_ops import BUCKETIZE
from ..ops.parsing_ops import FixedLenFeature, VarLenFeature
from ..sparse_tensor import SparseTensor

class _FeatureColumn:
    """Any feature column."""

    # The namedtuple fields holding the column's inputs (feature keys or columns): TF's
    # ``parents``. None: not declared (tf.contrib's columns), so neither parents nor v2.
    _parent_fields = None

    @property
    def _var_scope_name(self) -> str:
        return self.name

    # -- TF 1.15's public protocol, over the underscored one ------------------------------------
    @property
    def parse_example_spec(self) -> dict:
        return self._parse_example_spec

    @property
    def parents(self) -> list:
        """The feature keys and columns this column is computed from, as TF lists them."""
        if self._parent_fields is None:
            raise NotImplementedError(f"{type(self).__name__} does not list its parents")
        out = []
        for field in self._parent_fields:
            value = getattr(self, field)
            if isinstance(value, tuple) and not isinstance(value, _FeatureColumn):
                out.extend(value)  # a crossed column's keys
            else:
                out.append(value)
        return out

    @property
    def _is_v2_column(self) -> bool:
        # TF's: true for its base columns; a wrapper is v2 when the columns it wraps are.
        if self._parent_fields is None:
            return False
        return all(p._is_v2_column for p in self.parents if isinstance(p, _FeatureColumn))

    def transform_feature(self, transformation_cache, state_manager=None):
        """``_transform_feature`` of a ``FeatureTransformationCache`` (minitf's builder);
        ``state_manager`` is unused (see ``_check_state_manager``)."""
        self._check_state_manager(state_manager)
        return self._transform_feature(transformation_cache)

    # Keys TF 2 added to a class's config, with the value that means TF 1.15's behaviour.
    _later_config_keys = {}

    # Columns that make variables (embeddings) override this: minitf makes them with
    # tf.get_variable in the current variable scope, as the v1 protocol does, not through a
    # Keras StateManager.
    _makes_variables = False

    def _check_state_manager(self, state_manager):
        if state_manager is not None and self._makes_variables:
            raise NotImplementedError(
                f"{self.name}: a state_manager is not supported; minitf makes the column's "
                "variables with tf.get_variable in the current variable scope: pass "
                "state_manager=None")

    def get_config(self) -> dict:
        """TF's config: the column's fields by name, nested columns as ``{"class_name",
        "config"}``, dtypes by name, functions by name, initializers as Keras serializes
        them."""
        from .serialization import _to_config

        _serializable(type(self))
        return {f: _to_config(v) for f, v in zip(self._fields, self)}

    @classmethod
    def from_config(cls, config, custom_objects=None, columns_by_name=None):
        """The column ``get_config`` (minitf's or TF's) describes; ``custom_objects`` names
        functions, initializers and column classes it refers to; ``columns_by_name``
        shares one column among the configs that nest it."""
        from .serialization import _from_config

        _serializable(cls)
        config = dict(config)
        for key, default in cls._later_config_keys.items():  # TF 2's, where TF 1.15's default
            if key in config and config.pop(key) != default:
                raise NotImplementedError(f"{cls.__name__}: {key} other than {default!r} is not "
                                          "supported")
        if set(config) != set(cls._fields):
            raise ValueError(f"Invalid config: {config}, expected keys: {cls._fields}")
        if columns_by_name is None:
            columns_by_name = {}
        return cls(**{f: _from_config(f, config[f], custom_objects, columns_by_name)
                      for f in cls._fields})


class _DenseColumn(_FeatureColumn):
    """A column input_layer can take: a dense tensor of ``[batch] + _variable_shape``."""

    @property
    def variable_shape(self):
        return self._variable_shape

    def get_dense_tensor(self, transformation_cache, state_manager=None):
        self._check_state_manager(state_manager)
        return self._get_dense_tensor(transformation_cache)


class _CategoricalColumn(_FeatureColumn):
    """A column of sparse ids in ``[0, _num_buckets)``, optionally weighted."""

    IdWeightPair = collections.namedtuple("IdWeightPair", ["id_tensor", "weight_tensor"])

    @property
    def num_buckets(self) -> int:
        return self._num_buckets

    def get_sparse_tensors(self, transformation_cache, state_manager=None):
        self._check_state_manager(state_manager)
        return self._get_sparse_tensors(transformation_cache)


# -- configs (TF's feature_column/serialization.py) ----------------------------------------------
_CLASSES = {}  # config class name -> column class


def _register(name=None):
    """Makes a column class (de)serializable under ``name``: TF's class name by default, the
    minitf name without its leading underscore."""
    def register(cls):
        _CLASSES[name or cls.__name__.lstrip("_")] = cls
        return cls
    return register


def _config_name(cls):
    return next((n for n, c in _CLASSES.items() if c is cls), None)


def _serializable(cls):
    if _config_name(cls) is None:
        raise NotImplementedError(f"{cls.__name__} has no config (get_config/from_config)")


# -- the builder ----------------------------------------------------------------------------------
class _LazyBuilder:
    """Raw features by key, each column's transform computed once per builder (TF's
    _LazyBuilder; also its FeatureTransformationCache, whose ``get`` takes a state manager,
    unused here): rank-1 features become ``[batch, 1]``."""

    def __init__(self, features):
        self._features = dict(features)
        self._cache = {}

    def get(self, key, state_manager=None):
        if key in self._cache:
            return self._cache[key]
        if isinstance(key, str):
            if key not in self._features:
                raise ValueError(f"Feature {key} is not in features dictionary.")
            out = self._raw(key)
        elif isinstance(key, _FeatureColumn):
            out = key._transform_feature(self)
            if out is None:
                raise ValueError(f"Column {key.name} is not supported.")
        else:
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        self._cache[key] = out
        return out

    def _raw(self, key):
        value = _tensor_or_sparse(self._features[key])
        rank = value.shape.rank
        if rank == 0:
            raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {value}")
        if rank is None:  # known only when run: expand a vector then, as TF does
            from ..control_flow import cond

            return cond(logic_ops.equal(_rank_of(value), 1), lambda: _expand(value),
                        lambda: value)
        return _expand(value) if rank == 1 else value


FeatureTransformationCache = _LazyBuilder  # TF's v2 name: transform_feature(cache, None)


def _rank_of(value):
    """The rank at run time; a SparseTensor's is its dense_shape's length."""
    if isinstance(value, SparseTensor):
        return array_ops.size(value.dense_shape)
    return array_ops.rank(value)


def _expand(value):
    if isinstance(value, SparseTensor):
        from ..sparse import reshape

        return reshape(value, concat_split_ops.stack([value.dense_shape[0], np.int64(1)]))
    return transform_ops.expand_dims(value, -1)




def _to_sparse(value, ignore_value=None):
    """A SparseTensor as is; a dense tensor without its ignore values (-1 for integers, '' for
    strings, 0 otherwise), which mark missing entries."""
    value = _tensor_or_sparse(value)
    if isinstance(value, SparseTensor):
        return value
    with name_scope(None, "to_sparse_input", [value]):
        if ignore_value is None:
            ignore_value = "" if value.dtype == _dt.string else \
                -1 if value.dtype.is_integer else 0
        ignore = convert_to_tensor(np.asarray(ignore_value, value.dtype.as_numpy_dtype)
                                   if value.dtype != _dt.string else ignore_value,
                                   dtype=value.dtype, name="ignore_value")
        indices = logic_ops.where(logic_ops.not_equal(value, ignore), name="indices")
        out = SparseTensor(indices, gather_ops.gather_nd(value, indices, name="values"),
                           array_ops.shape(value, out_type=_dt.int64, name="dense_shape"))
    out._shape = value.shape
    return out


def _string_or_int(dtype, prefix):
    if dtype != _dt.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype!r}.")


def _key_is_string(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def _same_kind(column, tensor):
    if column.dtype.is_integer != tensor.dtype.is_integer:
        raise ValueError(f"Column dtype and SparseTensors dtype must be compatible. key: "
                         f"{column.key}, column dtype: {column.dtype!r}, tensor dtype: "
                         f"{tensor.dtype!r}")
    _string_or_int(tensor.dtype, f"column_name: {column.key} input_tensor")


def _with_values(sp, values):
    out = SparseTensor(sp.indices, values, sp.dense_shape)
    out._shape = sp.shape
    return out


class _IdsOnly:
    """Categorical columns whose transform is their ids, unweighted."""

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CategoricalColumn.IdWeightPair(inputs.get(self), None)

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}


# -- numeric and bucketized -----------------------------------------------------------------------
@_register()
class _NumericColumn(_DenseColumn, collections.namedtuple(
        "_NumericColumn", ["key", "shape", "default_value", "dtype", "normalizer_fn"])):
    _parent_fields = ("key",)
    name = property(lambda self: self.key)
    _variable_shape = property(lambda self: _shape(self.shape))

    @property
    def _parse_example_spec(self):
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    def _transform_feature(self, inputs):
        value = inputs.get(self.key)
        if isinstance(value, SparseTensor):
            raise ValueError(f"The corresponding Tensor of numerical column must be a Tensor. "
                             f"SparseTensor is not supported. key: {self.key}")
        if self.normalizer_fn is not None:
            value = self.normalizer_fn(value)
        return math_ops.cast(value, _dt.float32)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return inputs.get(self)


def _shape(dims):
    from ..tensor_shape import TensorShape

    return TensorShape(list(dims))


def _check_default(shape, default, dtype, key):
    """TF's rules: an int, a float for a float column, or nested lists of them shaped
    ``shape``; given back as (nested) tuples."""
    if default is None:
        return None

    def fill(dims, v):
        return tuple(fill(dims[1:], v) for _ in range(dims[0])) if dims else v

    def fits(v, dims):
        if isinstance(v, (list, tuple)) != bool(dims):
            return False
        return not dims or (len(v) == dims[0] and all(fits(e, dims[1:]) for e in v))

    def flat(v):
        return [x for e in v for x in flat(e)] if isinstance(v, (list, tuple)) else [v]

    def as_tuple(v):
        return tuple(as_tuple(e) for e in v) if isinstance(v, (list, tuple)) else v

    if isinstance(default, bool):
        pass  # a bool is neither, as TF's checks read it
    elif isinstance(default, int) or (isinstance(default, float) and dtype.is_floating):
        return fill(shape, default)
    if hasattr(default, "tolist"):
        default = default.tolist()
    if isinstance(default, (list, tuple)):
        if not fits(default, shape):
            raise ValueError(f"The shape of default_value must be equal to given shape. "
                             f"default_value: {default}, shape: {shape}, key: {key}")
        values = flat(default)
        if all(isinstance(v, int) for v in values) or (
                any(isinstance(v, float) for v in values) and dtype.is_floating):
            return as_tuple(default)
    raise TypeError(f"default_value must be compatible with dtype. default_value: {default}, "
                    f"dtype: {dtype!r}, key: {key}")


def _check_numeric(key, shape, dtype) -> tuple:
    """A numeric column's ``shape`` (a tuple of positive ints) and ``dtype`` (integer or
    floating), with TF's errors (its _check_shape)."""
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    for d in shape:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if d < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: "
                             f"{key}")
    dtype = _dt.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype!r}, key: {key}")
    return shape, dtype


def numeric_column(key, shape=(1,), default_value=None, dtype=_dt.float32, normalizer_fn=None):
    """A dense column of ``shape`` floats per example (cast to float32, normalized by
    ``normalizer_fn``); ``default_value`` fills missing values when parsing Examples."""
    shape, dtype = _check_numeric(key, shape, dtype)
    default_value = _check_default(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    _key_is_string(key)
    return _NumericColumn(key, shape, default_value, dtype, normalizer_fn)


@_register()
class _BucketizedColumn(_DenseColumn, _CategoricalColumn, collections.namedtuple(
        "_BucketizedColumn", ["source_column", "boundaries"])):
    _parent_fields = ("source_column",)
    name = property(lambda self: f"{self.source_column.name}_bucketized")
    _parse_example_spec = property(lambda self: self.source_column._parse_example_spec)
    _num_buckets = property(lambda self: (len(self.boundaries) + 1) *
                            self.source_column.shape[0])

    @property
    def _variable_shape(self):
        return _shape(tuple(self.source_column.shape) + (len(self.boundaries) + 1,))

    def _transform_feature(self, inputs):
        source = inputs.get(self.source_column)
        return BUCKETIZE(source, boundaries=[float(b) for b in self.boundaries],
                         name="Bucketize")

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return transform_ops.one_hot(math_ops.cast(inputs.get(self), _dt.int64),
                                     len(self.boundaries) + 1, on_value=1.0, off_value=0.0)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        # Bucket b of source dimension i is id i * (len(boundaries) + 1) + b.
        buckets = inputs.get(self)
        batch = array_ops.shape(buckets)[0]
        width = self.source_column.shape[0]
        rows = array_ops.reshape(transform_ops.tile(transform_ops.expand_dims(
            array_ops.range_(0, batch), 1), [1, width]), (-1,))
        cols = transform_ops.tile(array_ops.range_(0, width), concat_split_ops.stack([batch]))
        ids = array_ops.reshape(buckets, (-1,)) + (len(self.boundaries) + 1) * cols
        indices = math_ops.cast(transform_ops.transpose(concat_split_ops.stack((rows, cols))),
                                _dt.int64)
        shape = math_ops.cast(concat_split_ops.stack([batch, width]), _dt.int64)
        return _CategoricalColumn.IdWeightPair(SparseTensor(indices, ids, shape), None)


def bucketized_column(source_column, boundaries):
    """The one-hot bucket of each value of a 1-D numeric column: ``boundaries`` (sorted) cut
    the line into ``len(boundaries) + 1`` buckets, each including its left boundary."""
    if not isinstance(source_column, _NumericColumn):
        raise ValueError(f"source_column must be a column generated with numeric_column(). "
                         f"Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: "
                         f"{source_column}")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, (list, tuple)) or any(
            a >= b for a, b in zip(boundaries, boundaries[1:])):
        raise ValueError("boundaries must be a sorted list.")
    return _BucketizedColumn(source_column, tuple(boundaries))


# -- categorical --------------------------------------------------------------------------------
@_register()
class _IdentityCategoricalColumn(_IdsOnly, _CategoricalColumn, collections.namedtuple(
        "_IdentityCategoricalColumn", ["key", "number_buckets", "default_value"])):
    _parent_fields = ("key",)
    name = property(lambda self: self.key)
    dtype = _dt.int64
    _num_buckets = property(lambda self: self.number_buckets)

    def _transform_feature(self, inputs):
        sp = _to_sparse(inputs.get(self.key))
        if not sp.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: "
                             f"{sp.dtype!r}")
        values = math_ops.cast(sp.values, _dt.int64, name="values") \
            if sp.dtype != _dt.int64 else sp.values
        if self.default_value is not None:  # out-of-range ids become the default
            outside = logic_ops.logical_or(
                logic_ops.less(values, np.int64(0)),
                logic_ops.greater_equal(values, np.int64(self.number_buckets)),
                name="out_of_range")
            default = array_ops.fill(array_ops.shape(values), np.int64(self.default_value),
                                     name="default_values")
            values = logic_ops.where_v2(outside, default, values)
        return _with_values(sp, values)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """Integer ids used as they are, in ``[0, num_buckets)``; others become
    ``default_value`` (if given)."""
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and not 0 <= default_value < num_buckets:
        raise ValueError(f"default_value {default_value} not in range [0, {num_buckets}), "
                         f"column_name {key}")
    _key_is_string(key)
    return _IdentityCategoricalColumn(key, num_buckets, default_value)
