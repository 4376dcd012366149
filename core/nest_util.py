"""Nested structures of tensors (lists, tuples, namedtuples, dicts) as minitf's control flow and
RNNs walk them: what tf.cond's branches return and an RNN cell's state. Dicts go by sorted key.
A SparseTensor is always its three tensors (indices, values, dense_shape), as TF's internal
code expands composites. The public ``tf.nest`` (TF's rules and messages) is core/nest.py."""

from __future__ import annotations


def _sparse(v) -> bool:
    return type(v).__name__ == "SparseTensor"  # (by name: core modules import this one)


def flatten(v) -> list:
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in flatten(v[k])]
    if isinstance(v, (list, tuple)):
        return [x for item in v for x in flatten(item)]
    if _sparse(v):
        return [v.indices, v.values, v.dense_shape]
    return [v]


def structure(v, types=True):
    if isinstance(v, dict):
        return ("dict", tuple((k, structure(v[k], types)) for k in sorted(v)))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__ if types else "seq", tuple(structure(x, types) for x in v))
    if _sparse(v):
        return "SparseTensor"
    return "."


def describe(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v[k])}" for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(describe(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    return "tensor"


def pack(structure, leaves):
    if isinstance(structure, dict):
        packed = {k: pack(structure[k], leaves) for k in sorted(structure)}
        return {k: packed[k] for k in structure}
    if isinstance(structure, (list, tuple)):
        items = [pack(x, leaves) for x in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # a namedtuple
            return type(structure)(*items)
        return type(structure)(items)
    if _sparse(structure):
        out = type(structure)(next(leaves), next(leaves), next(leaves))
        out._shape = structure.shape
        return out
    return next(leaves)
