"""``tf.contrib.layers.utils`` (TF 1.x's layers/utils.py): end-point aliases and collections.

TF1 tags each collected layer output with ``tensor.aliases`` (the layer's scope name), and
slim's models build their end-points dicts from those aliases. minitf's tensors have fixed
slots, so the aliases live in a table per graph instead (outside the graph's collections, which
a meta graph would try to record); an ``aliases`` attribute is read too where a tensor has one.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from ...graph import get_default_graph

__all__ = ["append_tensor_alias", "collect_named_outputs", "convert_collection_to_dict",
           "gather_tensors_aliases", "get_tensor_aliases", "get_variable_collections",
           "last_dimension"]

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


def last_dimension(shape, min_rank=1):
    """The last dimension of ``shape``, which must be known, of rank ``min_rank`` or more."""
    dims = shape.dims
    if dims is None:
        raise ValueError("dims of shape must be known but is None")
    if len(dims) < min_rank:
        raise ValueError(f"rank of shape must be at least {min_rank} not: {len(dims)}")
    value = dims[-1].value
    if value is None:
        raise ValueError(f"dimension -1 of shape must be known but is None: {shape}")
    return value
