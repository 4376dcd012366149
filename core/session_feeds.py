"""Session.run's feeds: feed_dict keys resolved to tensors, composite feeds expanded into
their components, and each value checked and converted to the tensor's dtype and shape."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import Graph, Operation, Tensor
from .nest import flatten, is_nested
from .sparse_tensor import SparseTensor, SparseTensorValue
from .session_fetches import _registered
from .session_handle import HandleFeedError, TensorHandle, check_handle_feed


# -- feeds --------------------------------------------------------------------------------------
def _feed_key(graph: Graph, key, kind: str = "feed_dict key") -> Tensor:
    if isinstance(key, Tensor) and key.graph is graph:
        return key
    try:
        return graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
    except (TypeError, ValueError, KeyError) as e:
        msg = e.args[0] if e.args else str(e)
        raise TypeError(f"Cannot interpret {kind} as Tensor: {msg}") from None


# Composite feeds: a class -> (its component tensors; the values fed to them, from the value
# fed to it). feed_dict keys, make_callable's and partial_run_setup's feeds expand through it.
_COMPOSITE_FEEDS: dict = {}


def register_feed_composite(cls, components, split):
    """Session.run feeds an instance of ``cls`` by feeding its tensors ``components(instance)``
    the values ``split(instance, value)`` (one each; TypeError or ValueError for a bad value)."""
    _COMPOSITE_FEEDS[cls] = (components, split)


def _feed_composite(key):
    """The registered (components, split) of ``key``'s class, or None."""
    return _registered(_COMPOSITE_FEEDS, key)


def _feed_parts(key) -> tuple:
    # A composite feeds its components, anything else itself.
    entry = _feed_composite(key)
    return (key,) if entry is None else tuple(entry[0](key))


def _expand_feed(key, value):
    """The (tensor or name, value) pairs a feed of ``key`` with ``value`` makes."""
    entry = _feed_composite(key)
    return ((key, value),) if entry is None else \
        zip(entry[0](key), entry[1](key, value), strict=True)


def _sparse_split(key: SparseTensor, value):
    """A SparseTensor's feed: a SparseTensorValue or an (indices, values, dense_shape)
    tuple, as in TF1, fed to its three tensors."""
    if not (isinstance(value, (SparseTensorValue, tuple, list)) and len(value) == 3):
        raise TypeError(f"The value of a SparseTensor feed must be a SparseTensorValue or a "
                        f"(indices, values, dense_shape) tuple, got {_short(value)} for {key!r}")
    return value


register_feed_composite(SparseTensor, lambda s: (s.indices, s.values, s.dense_shape),
                        _sparse_split)


def _check_feed(t: Tensor, value):
    """Converts a feed value to the tensor's dtype and checks it against its static shape."""
    np_type = t._dtype._np
    if type(value) is np.ndarray and value.dtype.type is np_type and np_type is not np.object_:
        arr = value
    else:
        if type(value) is TensorHandle:  # Session.run feeds the tensor it names
            raise HandleFeedError(value)
        if isinstance(value, (Tensor, Operation)):
            raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed "
                            "values include Python scalars, strings, lists, numpy ndarrays, or "
                            "TensorHandles. For reference, the tensor object was "
                            f"{value!r} which was passed to the feed with key {t!r}.")
        if hasattr(value, "_as_graph_element"):  # a Variable: TF's numpy conversion fails so
            raise ValueError(f"Cannot feed value {_short(value)} for Tensor {t.name}: a "
                             "variable is not a feed value (setting an array element with a "
                             "sequence.); feed the value sess.run(variable) gives instead.")
        if isinstance(value, int) and _int_mismatch(value, t._dtype, np_type):
            # TF's check: the Python int (bools too) converted to the dtype must equal it
            raise TypeError(f"Type of feed value {value} with type {type(value)} is not "
                            "compatible with Tensor type "
                            f"{object if np_type is np.object_ else np_type}. Try explicitly "
                            "setting the type of the feed tensor to a larger type (e.g. int64).")
        if t._dtype is _dt.string:
            check_handle_feed(t, value)
        try:
            if t._dtype is _dt.string:
                arr = _string_array(value)
            else:
                arr = _numeric_array(value, np_type)
        except (TypeError, ValueError) as e:
            # TF raises what numpy's conversion does (None, a dict: TypeError); strings are
            # converted later in TF, and refused here as ValueError
            numeric_type = isinstance(e, TypeError) and t._dtype is not _dt.string
            raise (TypeError if numeric_type else ValueError)(
                f"Cannot feed value {_short(value)} for Tensor {t.name} of dtype "
                f"{t._dtype.name}: {e}") from None
        except OverflowError as e:  # ints beyond 64 bits: TF's cast overflows too
            raise OverflowError(f"Cannot feed value {_short(value)} for Tensor {t.name} of "
                                f"dtype {t._dtype.name}: {e}") from None
    dims = t._shape._dims
    if dims is not None:
        shape = arr.shape
        if shape != dims:  # equal tuples is the common case; else check dim by dim
            ok = len(shape) == len(dims)
            if ok:
                for d, n in zip(dims, shape):
                    if d is not None and d != n:
                        ok = False
                        break
            if not ok:
                raise ValueError(f"Cannot feed value of shape {shape} for Tensor {t.name}, "
                                 f"which has shape {t._shape}")
    return arr


def _int_mismatch(value: int, dtype, np_type) -> bool:
    """Whether TF refuses the Python int ``value`` for ``dtype``: it does when the value
    converted differs (an integer out of range, a bool other than 0 or 1, any string);
    floats compare after conversion, so they never differ."""
    if dtype.is_integer:
        info = np.iinfo(np_type)
        return not info.min <= value <= info.max
    return (dtype is _dt.bool and value not in (0, 1)) or dtype is _dt.string


def _numeric_array(value, np_type) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np_type)
    except OverflowError:
        # NumPy 2 refuses out-of-range Python ints; TF converts first and then casts, so they
        # wrap: [2**32 + 5] feeds an int32 tensor 5, [-1] a uint8 one 255.
        return np.asarray(value).astype(np_type)


def _string_array(value) -> np.ndarray:
    """A feed for a tf.string tensor: an object array of bytes (str is UTF-8 encoded), so
    fetches give bytes as in TensorFlow."""
    arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode()
        elif not isinstance(v, bytes):
            raise TypeError(f"Expected bytes or str, got {v!r} of type '{type(v).__name__}'")
    return arr


def _as_fed(t: Tensor, arr, feed_dict):
    """A fetched feed of a tf.string tensor as TF's Python layer gives it back: the value
    given, as an object array (str stays str; ``arr``, what the ops were fed, holds UTF-8
    bytes). The value is looked up again here, so only such fetches pay for it."""
    if t._dtype is not _dt.string or not feed_dict:
        return arr
    for key, value in _flat_feed_items(feed_dict):
        for k, v in ((key, value),) if type(key) is Tensor else _expand_feed(key, value):
            if k is t or _feed_key(t.graph, k) is t:
                return arr if type(v) is TensorHandle else np.asarray(v, dtype=object)
    return arr


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _flat_feed_items(feed_dict) -> list:
    """TF's nest.flatten_dict_items: a nested key (a tuple of tuples, a MultiRNNCell state)
    feeds its leaves the leaves of its value, which must be as many; no leaf key may repeat."""
    items, nested = [], False
    for key, value in feed_dict.items():
        if type(key) is Tensor or not is_nested(key):
            items.append((key, value))
            continue
        nested = True
        keys, values = flatten(key), flatten(value)
        if len(keys) != len(values):
            raise ValueError(f"Could not flatten dictionary. Key had {len(keys)} elements, but "
                             f"value had {len(values)} elements. Key: {keys!r}, value: "
                             f"{values!r}.")
        items += zip(keys, values)
    if nested:  # a nested key's leaves may repeat another key
        seen = set()
        for key, _ in items:
            if key in seen:
                raise ValueError(f"Cannot flatten dict because this key is not unique: {key}")
            seen.add(key)
    return items
