"""``tf.nest``: TF's public rules for nested structures, and its error messages.

A structure is nested when it is a list, a tuple (namedtuples too), a mapping, a mapping view,
an attrs class or another ``collections.abc.Sequence`` that is not a string; anything else
(a Tensor, a numpy array, a set, None) is a leaf. Mappings flatten by sorted key, whatever
their insertion order (an OrderedDict too), and pack back in the instance's own key order.
With ``expand_composites`` a SparseTensor is its (indices, values, dense_shape), an
IndexedSlices its (values, indices, dense_shape) and a RaggedTensor its flat_values then its
nested row splits; without it they are leaves. (minitf's control flow walks structures with
core/nest_util.py, which always expands a SparseTensor.)
"""

import collections as _collections
import collections.abc as _abc

__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure",
           "pack_sequence_as"]


def _is_attrs(v) -> bool:
    return getattr(type(v), "__attrs_attrs__", None) is not None


def _is_namedtuple(v) -> bool:
    return isinstance(v, tuple) and hasattr(type(v), "_fields")


def is_nested(seq) -> bool:
    """Whether ``seq`` is a structure nest walks into (see the module docstring)."""
    if isinstance(seq, (_abc.Mapping, _abc.MappingView)) or _is_attrs(seq):
        return True
    return isinstance(seq, _abc.Sequence) and not isinstance(seq, (str, bytes))


def _composite_kind(v) -> str | None:
    name = type(v).__name__
    return name if name in ("SparseTensor", "IndexedSlices", "RaggedTensor") else None


def _components(v) -> list:
    kind = _composite_kind(v)
    if kind == "SparseTensor":
        return [v.indices, v.values, v.dense_shape]
    if kind == "IndexedSlices":
        return [v.values, v.indices, v.dense_shape]
    return [v.flat_values, *v.nested_row_splits]


def _from_components(like, parts: list):
    kind = _composite_kind(like)
    if kind == "SparseTensor":
        return type(like)(*parts)
    if kind == "IndexedSlices":
        return type(like)(*parts)
    return type(like).from_nested_row_splits(parts[0], parts[1:], validate=False)


def _nested(v, expand: bool) -> bool:
    return is_nested(v) or (expand and _composite_kind(v) is not None)


def _children(v, expand: bool) -> list:
    """The direct children of a nested ``v`` in flattening order."""
    if isinstance(v, _abc.Mapping):
        return [v[k] for k in sorted(v)]  # TypeError for unsortable keys, as TF
    if _is_attrs(v):
        return [getattr(v, a.name) for a in type(v).__attrs_attrs__]
    if expand and _composite_kind(v) is not None:
        return _components(v)
    return list(v)


def _sequence_like(instance, args: list):
    """``instance``'s kind of container holding ``args`` (in flattening order)."""
    if isinstance(instance, _abc.Mapping):
        by_key = dict(zip(sorted(instance), args))
        if isinstance(instance, _collections.defaultdict):
            out = type(instance)(instance.default_factory)
        else:
            out = type(instance)()
        for key in instance:
            out[key] = by_key[key]
        return out
    if isinstance(instance, (_abc.MappingView, range)):  # (TF packs a range as a list)
        return list(args)
    if _is_namedtuple(instance) or _is_attrs(instance):
        return type(instance)(*args)
    if _composite_kind(instance) is not None:
        return _from_components(instance, args)
    return type(instance)(args)


def flatten(structure, expand_composites=False) -> list:
    """The leaves of ``structure``, depth first (mappings by sorted key); a leaf alone is
    ``[leaf]`` (None included)."""
    if not _nested(structure, expand_composites):
        return [structure]
    return [leaf for child in _children(structure, expand_composites)
            for leaf in flatten(child, expand_composites)]


def _describe(v) -> str:
    return f"type={type(v).__name__} str={v}"


class _Dot:
    def __repr__(self):
        return "."


def _dots(structure) -> str:
    """``structure`` with its leaves drawn as dots (composites are leaves here, as in TF)."""
    return str(pack_sequence_as(structure, [_Dot()] * len(flatten(structure))))


def _spec(v) -> str:
    dtype = getattr(getattr(v, "dtype", None), "name", None)
    rank = f", ragged_rank={v.ragged_rank}" if _composite_kind(v) == "RaggedTensor" else ""
    return f"{_composite_kind(v)}Spec({dtype}{rank})"


def _mismatch(a, b, check_types: bool, expand: bool):
    """(message, is_type_error) for the first difference of ``a`` and ``b``, or None."""
    nested_a, nested_b = _nested(a, expand), _nested(b, expand)
    if nested_a != nested_b:
        seq, leaf = (a, b) if nested_a else (b, a)
        return (f'Substructure "{_describe(seq)}" is a sequence, while substructure '
                f'"{_describe(leaf)}" is not'), False
    if not nested_a:
        return None
    if check_types:
        same = type(a) is type(b) or (
            isinstance(a, _abc.Mapping) and isinstance(b, _abc.Mapping)) or (
            _is_namedtuple(a) and _is_namedtuple(b) and type(a).__name__ == type(b).__name__
            and a._fields == b._fields)
        if not same:
            return (f"The two namedtuples don't have the same sequence type. First structure "
                    f"{_describe(a)} has type {type(a).__name__}, while second structure "
                    f"{_describe(b)} has type {type(b).__name__}"), True
        if isinstance(a, _abc.Mapping) and set(a) != set(b):
            return (f"The two dictionaries don't have the same set of keys. First structure "
                    f"has keys {_describe(sorted(a))}, while second structure has keys "
                    f"{_describe(sorted(b))}"), False
    if expand and _composite_kind(a) is not None and _spec(a) != _spec(b):
        return f"Incompatible CompositeTensor TypeSpecs: {_spec(a)} vs. {_spec(b)}", False
    kids_a, kids_b = _children(a, expand), _children(b, expand)
    if len(kids_a) != len(kids_b):
        return (f"The two structures don't have the same number of elements. First "
                f"structure: {_describe(a)}. Second structure: {_describe(b)}"), False
    for x, y in zip(kids_a, kids_b):
        found = _mismatch(x, y, check_types, expand)
        if found is not None:
            return found
    return None


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises ValueError (TypeError for differing sequence types under ``check_types``)
    unless ``nest1`` and ``nest2`` nest alike. Same-named namedtuples with the same fields
    match, and so do any two mappings."""
    found = _mismatch(nest1, nest2, check_types, expand_composites)
    if found is None:
        return
    message, is_type_error = found
    error = TypeError if is_type_error else ValueError
    raise error(
        f"The two structures don't have the same nested structure.\n\nFirst structure: "
        f"{_describe(nest1)}\n\nSecond structure: {_describe(nest2)}\n\nMore specifically: "
        f"{message}\nEntire first structure:\n{_dots(nest1)}\n"
        f"Entire second structure:\n{_dots(nest2)}")


def _pack(structure, flat: list, at: int, expand: bool):
    packed = []
    for child in _children(structure, expand):
        if _nested(child, expand):
            at, inner = _pack(child, flat, at, expand)
            packed.append(_sequence_like(child, inner))
        else:
            packed.append(flat[at])
            at += 1
    return at, packed


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """``flat_sequence``'s items arranged as ``structure``'s leaves (the inverse of
    ``flatten``)."""
    if not is_nested(flat_sequence):
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but "
                        f"found incompatible type `{type(flat_sequence)}` instead.")
    flat = list(flat_sequence)
    if not _nested(structure, expand_composites):
        if len(flat) != 1:
            raise ValueError(
                f"The target structure is of type `{type(structure)}`\n  {structure}\nHowever "
                f"the input is a sequence ({type(flat_sequence)}) of length {len(flat)}.\n  "
                f"{flat_sequence}\nnest cannot guarantee that it is safe to map one to the "
                "other.")
        return flat[0]
    count = len(flatten(structure, expand_composites))
    if count != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {count} atoms, but flat_sequence had "
            f"{len(flat)} items.  Structure: {structure}, flat_sequence: {flat_sequence}.")
    _, packed = _pack(structure, flat, 0, expand_composites)
    return _sequence_like(structure, packed)


def map_structure(func, *structure, **kwargs):
    """``func`` applied to the leaves of the structures side by side (they must nest alike;
    see ``assert_same_structure``), packed as the first one."""
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    expand = kwargs.pop("expand_composites", False)
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: `{'`, `'.join(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types, expand)
    flats = [flatten(s, expand) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)], expand)
