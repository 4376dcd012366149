"""``tf.contrib.layers.utils`` (TF 1.x's layers/utils.py): end-point aliases and collections,
and the small helpers its layers share (static conditionals, argument normalisation, shape
dimensions).

TF1 tags each collected layer output with ``tensor.aliases`` (the layer's scope name), and
slim's models build their end-points dicts from those aliases. minitf's tensors have fixed
slots, so the aliases live in a table per graph instead (outside the graph's collections, which
a meta graph would try to record); an ``aliases`` attribute is read too where a tensor has one.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict, namedtuple

from ...graph import Tensor, get_default_graph
from ...ref_variable import Variable
from ...tensor_conversion import constant_value as _static_value
from ...tensor_shape import TensorShape

# TF 1.15's __all__; the alias helpers and NamedOutputs are module attributes besides
__all__ = ["collect_named_outputs", "constant_value", "static_cond", "smart_cond",
           "get_variable_collections", "two_element_tuple", "n_positive_integers",
           "channel_dimension", "last_dimension"]

# (name, outputs) of one end point, as TF1's models returned them
NamedOutputs = namedtuple("NamedOutputs", ["name", "outputs"])

# graph -> {id(tensor): [alias, ...]}; a graph's tensors live as long as it does
_ALIASES = weakref.WeakKeyDictionary()


def append_tensor_alias(tensor, alias):
    """Adds ``alias`` (a trailing ``/`` dropped) to ``tensor``'s aliases; returns it."""
    alias = alias[:-1] if alias.endswith("/") else alias
    _ALIASES.setdefault(tensor.graph, {}).setdefault(id(tensor), []).append(alias)
    return tensor


def get_tensor_aliases(tensor) -> list:
    """``tensor``'s aliases, else its name (its op's name for output 0), as TF1's."""
    aliases = list(getattr(tensor, "aliases", None) or [])
    aliases += [a for a in _ALIASES.get(tensor.graph, {}).get(id(tensor), ())
                if a not in aliases]
    if aliases:
        return aliases
    return [tensor.op.name] if tensor.name.endswith(":0") else [tensor.name]


def gather_tensors_aliases(tensors) -> list:
    """Every alias of ``tensors``, in order."""
    return [alias for tensor in tensors for alias in get_tensor_aliases(tensor)]


def collect_named_outputs(collections, alias, outputs):
    """Adds ``outputs`` to ``collections`` under ``alias`` (nothing without collections)."""
    if collections:
        append_tensor_alias(outputs, alias)
        graph = get_default_graph()
        for key in ([collections] if isinstance(collections, str) else collections):
            graph.add_to_collection(key, outputs)
    return outputs


def convert_collection_to_dict(collection, clear_collection=False):
    """An OrderedDict ``{alias: tensor}`` over the tensors in ``collection``."""
    graph = get_default_graph()
    output = OrderedDict((alias, tensor) for tensor in graph.get_collection(collection)
                         for alias in get_tensor_aliases(tensor))
    if clear_collection:
        graph.clear_collection(collection)
    return output


def get_variable_collections(variables_collections, name):
    """A dict of collections gives the entry for ``name``; a list is everyone's."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name, None)
    return variables_collections


def constant_value(value_or_tensor_or_var, dtype=None):
    """The value of ``value_or_tensor_or_var`` when known at graph construction: a Python
    value is its own, a tensor's is its static value (None when it needs a run), a variable
    has none. ``dtype``, when given, must be the tensor's or variable's."""
    if value_or_tensor_or_var is None:
        raise ValueError("value_or_tensor_or_var cannot be None")
    value = value_or_tensor_or_var
    if not isinstance(value, (Tensor, Variable)):
        return value
    if dtype and value.dtype != dtype:
        raise ValueError(f"It has the wrong type {value.dtype} instead of {dtype}")
    return None if isinstance(value, Variable) else _static_value(value)


def static_cond(pred, fn1, fn2):
    """``fn1()`` if the Python value ``pred`` is true, else ``fn2()``."""
    if not callable(fn1):
        raise TypeError("fn1 must be callable.")
    if not callable(fn2):
        raise TypeError("fn2 must be callable.")
    return fn1() if pred else fn2()


def smart_cond(pred, fn1, fn2, name=None):
    """``static_cond`` when ``pred``'s value is known at graph construction (so only one
    branch is built), else a ``tf.cond``."""
    known = constant_value(pred)
    if known is not None:
        return static_cond(known, fn1, fn2)
    from ...control_flow import cond

    return cond(pred, fn1, fn2, name=name)


def _dimension(shape, index, min_rank):
    """Dimension ``index`` of ``shape``, which must be known, of rank ``min_rank`` or more."""
    dims = shape.dims
    if dims is None:
        raise ValueError("dims of shape must be known but is None")
    if len(dims) < min_rank:
        raise ValueError(f"rank of shape must be at least {min_rank} not: {len(dims)}")
    value = dims[index].value
    if value is None:
        raise ValueError(f"dimension {index} of shape must be known but is None: {shape}")
    return value


def channel_dimension(shape, data_format, min_rank=1):
    """The channels dimension of ``shape``: index 1 for ``'channels_first'``, the last for any
    other ``data_format`` (TF1 tests for that one spelling only: ``'NCHW'`` reads the last)."""
    return _dimension(shape, 1 if data_format == "channels_first" else -1, min_rank)


def last_dimension(shape, min_rank=1):
    """The last dimension of ``shape``, which must be known, of rank ``min_rank`` or more."""
    return _dimension(shape, -1, min_rank)


def two_element_tuple(int_or_tuple):
    """``(height, width)`` from one int (used twice), a pair or a TensorShape of rank 2."""
    if isinstance(int_or_tuple, (list, tuple)):
        if len(int_or_tuple) != 2:
            raise ValueError(f"Must be a list with 2 elements: {int_or_tuple}")
        return int(int_or_tuple[0]), int(int_or_tuple[1])
    if isinstance(int_or_tuple, int):
        return int(int_or_tuple), int(int_or_tuple)
    if isinstance(int_or_tuple, TensorShape) and len(int_or_tuple) == 2:
        return int_or_tuple[0], int_or_tuple[1]
    raise ValueError("Must be an int, a list with 2 elements or a TensorShape of length 2")


def n_positive_integers(n, value):
    """A tuple of ``n`` positive ints from one value convertible to int (repeated) or a
    sequence of ``n`` of them (a TensorShape of rank ``n`` too)."""
    n_given = n
    n = int(n)
    if n < 1 or n != n_given:
        raise ValueError("n must be a positive integer")
    try:
        value = int(value)
    except (TypeError, ValueError):
        return _n_from_sequence(n, value)
    if value < 1:
        raise ValueError(f"expected positive integer, but received {value}")
    return (value,) * n


def _n_from_sequence(n, value):
    expected = f"Expected sequence of {n} positive integers, but received {value!r}"
    if len(value) != n:
        raise ValueError(expected)
    try:
        values = tuple(int(x) for x in value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(expected) from None
    for x in values:
        if x < 1:
            raise ValueError(f"expected positive integer, but received {x}")
    return values
