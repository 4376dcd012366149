"""``tf.contrib.framework.nest`` (TF 1.15): tf.nest's five public functions (minitf.nest) plus
the rest of TF's nest utilities that contrib exposed: paths through a structure
(``yield_flat_paths``, ``flatten_with_tuple_paths``...), partial flattening against a shallower
structure (``assert_shallow_structure``, ``flatten_up_to``, ``map_structure_up_to``...) and
``flatten_dict_items``.

A path is the tuple of keys leading to a leaf: list and tuple positions, mapping keys (sorted,
as nest orders mappings), namedtuple and attrs field names; with ``expand_composites`` a
composite adds its type's name, then the component's position (TF's keys).
"""

from __future__ import annotations

import collections.abc as _abc

from ..nest import (_children, _composite_kind, _is_attrs, _is_namedtuple, _nested,
                    _sequence_like, assert_same_structure, flatten, is_nested, map_structure,
                    pack_sequence_as)

__all__ = [
    "assert_same_structure", "is_nested", "is_sequence", "is_sequence_or_composite", "flatten",
    "flatten_dict_items", "pack_sequence_as", "map_structure", "map_structure_with_paths",
    "map_structure_with_tuple_paths", "assert_shallow_structure", "flatten_up_to",
    "flatten_with_tuple_paths_up_to", "map_structure_up_to",
    "map_structure_with_tuple_paths_up_to", "get_traverse_shallow_structure",
    "yield_flat_paths", "flatten_with_joined_string_paths", "flatten_with_tuple_paths"]

_MISMATCHING_TYPES = ("The two structures don't have the same sequence type. Input structure "
                      "has type {input_type}, while shallow structure has type "
                      "{shallow_type}.")


def is_sequence(seq) -> bool:
    """TF 1.x's name of ``tf.nest.is_nested``: lists, tuples, mappings, attrs classes and other
    non-string sequences are structures; anything else is a leaf."""
    return is_nested(seq)


def is_sequence_or_composite(seq) -> bool:
    """``is_sequence``, or a composite tensor (SparseTensor, IndexedSlices, RaggedTensor)."""
    return _nested(seq, True)


def _items(structure, expand: bool) -> list:
    """(key, child) pairs of a nested ``structure`` in flattening order, keyed as TF's paths."""
    if isinstance(structure, _abc.Mapping):
        return [(k, structure[k]) for k in sorted(structure)]
    if _is_attrs(structure):
        return [(a.name, getattr(structure, a.name)) for a in type(structure).__attrs_attrs__]
    if _is_namedtuple(structure):
        return [(f, getattr(structure, f)) for f in structure._fields]
    if expand and _composite_kind(structure) is not None:
        return [(type(structure).__name__, tuple(_children(structure, True)))]
    return list(enumerate(structure))


def _values(structure, expand: bool) -> list:
    return [v for _, v in _items(structure, expand)]


def _flat_up_to(shallow, tree, expand: bool, path=()):
    """(path, subtree of ``tree``) for each leaf of ``shallow``, in flattening order."""
    if not _nested(shallow, expand):
        yield path, tree
        return
    by_key = dict(_items(tree, expand))
    for key, sub in _items(shallow, expand):
        yield from _flat_up_to(sub, by_key[key], expand, path + (key,))


def flatten_dict_items(dictionary) -> dict:
    """A dict of each key's leaves to the matching leaves of its value
    (``{(4, 5, (6, 8)): ("a", "b", ("c", "d"))}`` gives ``{4: "a", 5: "b", 6: "c", 8: "d"}``);
    keys and values must nest alike and the flattened keys be unique (ValueError)."""
    if not isinstance(dictionary, _abc.Mapping):
        raise TypeError("input must be a dictionary")
    flat = {}
    for key, value in dictionary.items():
        if is_sequence(key):
            keys, values = flatten(key), flatten(value)
            if len(keys) != len(values):
                raise ValueError(
                    f"Could not flatten dictionary. Key had {len(keys)} elements, but value "
                    f"had {len(values)} elements. Key: {keys}, value: {values}.")
        else:
            keys, values = [key], [value]
        for k, v in zip(keys, values):
            if k in flat:
                raise ValueError(f"Could not flatten dictionary: key {k} is not unique.")
            flat[k] = v
    return flat


def _same_namedtuples(a, b) -> bool:
    return type(a).__name__ == type(b).__name__ and a._fields == b._fields


def assert_shallow_structure(shallow_tree, input_tree, check_types=True,
                             expand_composites=False, check_subtrees_length=True):
    """Raises unless ``input_tree`` is ``shallow_tree`` with (some) leaves replaced by deeper
    structures: TypeError when a structure of ``shallow_tree`` meets a leaf, or (with
    ``check_types``) a different kind of sequence; ValueError for a different length (fewer
    elements only, without ``check_subtrees_length``) or mapping keys missing from the
    input."""
    expand = expand_composites
    if not _nested(shallow_tree, expand):
        return
    if not _nested(input_tree, expand):
        raise TypeError("If shallow structure is a sequence, input must also be a sequence. "
                        f"Input has type: {type(input_tree)}.")
    mismatch = TypeError(_MISMATCHING_TYPES.format(input_type=type(input_tree),
                                                   shallow_type=type(shallow_tree)))
    if check_types and not isinstance(input_tree, type(shallow_tree)):
        if _is_namedtuple(shallow_tree) and _is_namedtuple(input_tree):
            if not _same_namedtuples(shallow_tree, input_tree):
                raise mismatch
        elif not (isinstance(shallow_tree, _abc.Mapping) and
                  isinstance(input_tree, _abc.Mapping)):
            raise mismatch
    if expand and (_composite_kind(shallow_tree) or _composite_kind(input_tree)):
        if _composite_kind(shallow_tree) != _composite_kind(input_tree):
            raise mismatch
    else:
        n_in, n_shallow = len(_children(input_tree, expand)), len(_children(shallow_tree, expand))
        if check_subtrees_length and n_in != n_shallow:
            raise ValueError(
                "The two structures don't have the same sequence length. Input structure has "
                f"length {n_in}, while shallow structure has length {n_shallow}.")
        if n_in < n_shallow:
            raise ValueError(
                "The input_tree has fewer elements than the shallow_tree. Input structure has "
                f"length {n_in}, while shallow structure has length {n_shallow}.")
    if isinstance(shallow_tree, _abc.Mapping):
        absent = set(shallow_tree) - set(input_tree)
        if absent:
            raise ValueError("The shallow_tree's keys are not a subset of the input_tree's "
                             "keys. The shallow_tree has the following keys that are not in "
                             f"the input_tree: {sorted(absent)}.")
    for shallow_branch, input_branch in zip(_values(shallow_tree, expand),
                                            _values(input_tree, expand)):
        assert_shallow_structure(shallow_branch, input_branch, check_types=check_types,
                                 expand_composites=expand,
                                 check_subtrees_length=check_subtrees_length)


def flatten_with_tuple_paths_up_to(shallow_tree, input_tree, check_types=True,
                                   expand_composites=False, check_subtrees_length=True) -> list:
    """(path, subtree) pairs of ``input_tree`` cut at ``shallow_tree``'s leaves."""
    assert_shallow_structure(shallow_tree, input_tree, check_types=check_types,
                             expand_composites=expand_composites,
                             check_subtrees_length=check_subtrees_length)
    return list(_flat_up_to(shallow_tree, input_tree, expand_composites))


def flatten_up_to(shallow_tree, input_tree, check_types=True, expand_composites=False,
                  check_subtrees_length=True) -> list:
    """``input_tree`` flattened only as deep as ``shallow_tree``: deeper parts stay whole
    (``flatten_up_to([0, 0], [1, [2, 3]])`` is ``[1, [2, 3]]``)."""
    return [v for _, v in flatten_with_tuple_paths_up_to(
        shallow_tree, input_tree, check_types, expand_composites, check_subtrees_length)]


def map_structure_with_tuple_paths_up_to(shallow_tree, func, *inputs, **kwargs):
    """``func(path, *subtrees)`` for each leaf of ``shallow_tree``, the subtrees taken from
    each input at that leaf, packed as ``shallow_tree``. ``check_types``,
    ``expand_composites`` and ``check_subtrees_length`` are read from ``kwargs``; the rest go
    to ``func``."""
    if not inputs:
        raise ValueError("Cannot map over no sequences")
    check_types = kwargs.pop("check_types", True)
    expand = kwargs.pop("expand_composites", False)
    check_lengths = kwargs.pop("check_subtrees_length", True)
    for tree in inputs:
        assert_shallow_structure(shallow_tree, tree, check_types=check_types,
                                 expand_composites=expand, check_subtrees_length=check_lengths)
    flats = [[v for _, v in _flat_up_to(shallow_tree, tree, expand)] for tree in inputs]
    paths = [p for p, _ in _flat_up_to(shallow_tree, inputs[0], expand)]
    results = [func(*args, **kwargs) for args in zip(paths, *flats)]
    return pack_sequence_as(shallow_tree, results, expand_composites=expand)


def map_structure_up_to(shallow_tree, func, *inputs, **kwargs):
    """``func`` applied to the inputs' subtrees at ``shallow_tree``'s leaves, packed as
    ``shallow_tree`` (``map_structure_up_to([0, 0], f, [1, [2, 3]])`` is
    ``[f(1), f([2, 3])]``)."""
    return map_structure_with_tuple_paths_up_to(
        shallow_tree, lambda _, *values, **kw: func(*values, **kw), *inputs, **kwargs)


def map_structure_with_tuple_paths(func, *structure, **kwargs):
    """``map_structure`` whose ``func`` also gets each leaf's tuple path first."""
    return map_structure_with_tuple_paths_up_to(structure[0], func, *structure, **kwargs)


def map_structure_with_paths(func, *structure, **kwargs):
    """``map_structure`` whose ``func`` also gets each leaf's path first, its keys joined
    with '/'."""
    def with_string_path(path, *values, **kw):
        return func("/".join(str(k) for k in path), *values, **kw)

    return map_structure_with_tuple_paths_up_to(structure[0], with_string_path, *structure,
                                                **kwargs)


def get_traverse_shallow_structure(traverse_fn, structure, expand_composites=False):
    """A shallow structure of bools for ``flatten_up_to``/``map_structure_up_to``:
    ``traverse_fn(subtree)`` says whether to go into a subtree (a bool) or into which of its
    children (a depth-1 structure of bools like it)."""
    expand = expand_composites
    to_traverse = traverse_fn(structure)
    if not _nested(structure, expand):
        if not isinstance(to_traverse, bool):
            raise TypeError(f"traverse_fn returned structure: {to_traverse} for "
                            f"non-structure: {structure}")
        return to_traverse
    level = []
    if isinstance(to_traverse, bool):
        if not to_traverse:
            return False
        for branch in _values(structure, expand):
            level.append(get_traverse_shallow_structure(traverse_fn, branch,
                                                        expand_composites=expand))
    elif not _nested(to_traverse, expand):
        raise TypeError(f"traverse_fn returned a non-bool scalar: {to_traverse} for input: "
                        f"{structure}")
    else:
        assert_shallow_structure(to_traverse, structure, expand_composites=expand)
        for t, branch in zip(_values(to_traverse, expand), _values(structure, expand)):
            if not isinstance(t, bool):
                raise TypeError("traverse_fn didn't return a depth=1 structure of bools.  "
                                f"saw: {to_traverse}  for structure: {structure}")
            level.append(get_traverse_shallow_structure(traverse_fn, branch) if t else False)
    return _sequence_like(structure, level)


def yield_flat_paths(nest, expand_composites=False):
    """The tuple path of each leaf of ``nest``, in ``flatten``'s order."""
    for path, _ in _flat_up_to(nest, nest, expand_composites):
        yield path


def flatten_with_tuple_paths(structure, expand_composites=False) -> list:
    """(tuple path, leaf) pairs in ``flatten``'s order."""
    return list(zip(yield_flat_paths(structure, expand_composites=expand_composites),
                    flatten(structure, expand_composites=expand_composites)))


def flatten_with_joined_string_paths(structure, separator="/", expand_composites=False) -> list:
    """(path with its keys joined by ``separator``, leaf) pairs in ``flatten``'s order."""
    paths = [separator.join(str(k) for k in path)
             for path in yield_flat_paths(structure, expand_composites=expand_composites)]
    return list(zip(paths, flatten(structure, expand_composites=expand_composites)))
