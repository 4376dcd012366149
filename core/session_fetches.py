"""Session.run's fetches: a fetch structure flattened into unique tensors and target ops, and
the results rebuilt in its shape (TF's fetch handling: flatten, dedupe, rebuild); composite
fetches (SparseTensor, IndexedSlices, RaggedTensor) through a small registry."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import dtypes as _dt
from .graph import Graph, Operation, Tensor
from .indexed_slices import IndexedSlices, IndexedSlicesValue
from .sparse_tensor import SparseTensor, SparseTensorValue


# -- fetches ------------------------------------------------------------------------------------
class _Fetches:
    """Flattens a fetch structure into unique tensors and target ops; rebuilds the results.

    Duplicates are computed once and the same object is placed at every position; Operation
    leaves give None; lists, tuples, namedtuples and mappings keep their type and order.
    """

    __slots__ = ("tensors", "targets", "_build")

    def __init__(self, graph: Graph, fetches):
        self.tensors: list[Tensor] = []
        self.targets: list[Operation] = []
        index: dict[Tensor, int] = {}
        self._build = self._mapper(graph, fetches, index)

    def _mapper(self, graph, fetch, index):
        if isinstance(fetch, (list, tuple)) and not _is_leaf(fetch):
            subs = [self._mapper(graph, f, index) for f in fetch]
            ftype = type(fetch)
            if ftype is list:
                return lambda vals: [m(vals) for m in subs]
            if ftype is tuple:
                return lambda vals: tuple(m(vals) for m in subs)
            if hasattr(fetch, "_fields"):  # namedtuple
                return lambda vals: ftype(*[m(vals) for m in subs])
            return lambda vals: ftype(m(vals) for m in subs)
        composite = _registered(_COMPOSITE_FETCHES, fetch)
        if composite is not None:  # e.g. a SparseTensor comes back as a SparseTensorValue
            components, build = composite
            subs = [self._mapper(graph, p, index) if p is not None else (lambda vals: None)
                    for p in components(fetch)]
            return lambda vals: build([m(vals) for m in subs])
        if isinstance(fetch, Mapping):
            keys = list(fetch.keys())
            subs = [self._mapper(graph, fetch[k], index) for k in keys]
            ftype = type(fetch)

            def build_map(vals):
                out = ftype() if ftype is not dict else {}
                for k, m in zip(keys, subs):
                    out[k] = m(vals)
                return out
            return build_map
        element = _fetch_element(graph, fetch)
        if isinstance(element, Operation):
            if element not in self.targets:
                self.targets.append(element)
            return lambda vals: None
        i = index.get(element)
        if i is None:
            i = index[element] = len(self.tensors)
            self.tensors.append(element)
        return lambda vals: vals[i]

    def build(self, values):
        return self._build(values)


# Composite fetches: a class -> (its component tensors or composites, or None; the value built
# from their fetched values). Only fetch structures look here, never the one-tensor fast path.
_COMPOSITE_FETCHES: dict = {}


def register_fetch_composite(cls, components, build):
    """Session.run fetches an instance of ``cls`` as ``build(values)``, ``values`` being
    those of ``components(instance)`` (each a tensor, a composite fetched in turn, or None)."""
    _COMPOSITE_FETCHES[cls] = (components, build)


def _registered(registry: dict, obj):
    """``obj``'s entry in a composite registry, by its class or a base class; else None."""
    for cls in type(obj).__mro__:
        entry = registry.get(cls)
        if entry is not None:
            return entry
    return None


register_fetch_composite(IndexedSlices, lambda s: (s.values, s.indices, s.dense_shape),
                         lambda parts: IndexedSlicesValue(*parts))
register_fetch_composite(SparseTensor, lambda s: (s.indices, s.values, s.dense_shape),
                         lambda parts: SparseTensorValue(*parts))


def _is_leaf(x) -> bool:
    return isinstance(x, (Tensor, Operation)) or hasattr(x, "_as_graph_element")


def _fetch_element(graph: Graph, fetch):
    if fetch is None:
        raise TypeError(f"Fetch argument None has invalid type {type(None)}")
    try:
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except TypeError as e:
        raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)!r}, must be a "
                        f"string or Tensor. ({e})") from None
    except (ValueError, KeyError) as e:
        msg = e.args[0] if e.args else str(e)
        raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. "
                         f"({msg})") from None
    if not graph.is_fetchable(element):
        raise ValueError(f"Operation {element.name!r} has been marked as not fetchable.")
    return element


def _to_result(v):
    # TF returns a rank-0 value the graph computed as a numpy scalar (np.float32, bytes).
    if type(v) is np.ndarray and v.ndim == 0:
        return v[()]
    return v


def _to_results(values, fetches, feeds, feed_dict=None) -> list:
    """``_to_result`` of each fetched value, but a fetched feed comes back as the array fed,
    rank 0 included, as in TF (its Python layer answers those from the feed_dict: a string
    feed as given, looked up in ``feed_dict`` when there is one)."""
    if len(values) > 1:
        values = _unshared(values, fetches, feeds)
    if not feeds:
        return [_to_result(v) for v in values]
    fed = set(feeds)
    return [(v if t._dtype is not _dt.string or feed_dict is None else
             _string_as_fed(t, v, feed_dict))
            if t in fed else _to_result(v) for t, v in zip(fetches, values)]


def _string_as_fed(t, v, feed_dict):
    from .session_feeds import _as_fed  # (session_feeds imports this module)

    return _as_fed(t, v, feed_dict)


def _unshared(values: list, fetches, feeds) -> list:
    """``values``, each array sharing memory with one before it copied: TF hands back an
    array of its own per distinct fetched tensor, while a plan's may be one array (an
    Identity runs as its input) or views of one (Reshape, Transpose, a slice), so writing
    to one result would change another. Fetched feeds are left as fed (Plan.run has copied
    what views a feed); one fetch never gets here, so the one-tensor path pays nothing."""
    owners = set()  # first, cheaply: is any memory owned by one object twice?
    for v in values:
        if type(v) is np.ndarray:
            owner = id(v) if v.base is None else id(_owner(v))
            if owner in owners:
                break
            owners.add(owner)
    else:
        return values
    out = list(values)
    kept: dict[int, list] = {}  # id of the memory's owner -> the arrays handed out
    for k, v in enumerate(values):
        if type(v) is not np.ndarray or not v.ndim or (feeds and fetches[k] in feeds):
            continue  # (rank 0 comes back as a numpy scalar of its own)
        others = kept.setdefault(id(_owner(v)), [])
        if any(np.may_share_memory(v, w) for w in others):
            out[k] = v.copy()
        else:
            others.append(v)
    return out


def _owner(v: np.ndarray):
    """The object at the end of ``v``'s chain of bases (numpy collapses the chains of views
    of arrays; other buffer holders, as_strided's, may not)."""
    while (base := getattr(v, "base", None)) is not None:
        v = base
    return v
