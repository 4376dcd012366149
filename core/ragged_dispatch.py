"""TF's ragged dispatch for elementwise ops: a public wrapper given a RaggedTensor applies its op
to the ``flat_values`` and gives a RaggedTensor of the same row partitions, as TF 1.14+'s
ragged_dispatch does (``tf.abs(rt)``, ``tf.strings.length(rt)``, ``rt * 2``).

``ragged_unary`` decorates a wrapper whose elementwise input is one argument (the others are
passed through: ``tf.cast``'s dtype, ``substr``'s pos and len); ``ragged_binary`` one of two
elementwise inputs (``tf.add``, ``tf.equal``...). Both ragged: the same ragged_rank, the row
partitions checked equal at run time; one ragged: the other must broadcast against each flat
value (rank < rank(flat_values)).

This module imports no other minitf module at load time: the op modules import it, and the
RaggedTensor class registers itself here (core/ragged.py), so no RaggedTensor can reach a
wrapper before the type test knows it."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["is_ragged", "ragged_binary", "ragged_unary", "register_ragged_type"]

_RAGGED: tuple = ()  # (RaggedTensor,) once core/ragged.py is loaded

_SPLITS_MESSAGE = "Inputs must have identical ragged splits"  # TF's map_flat_values words


def register_ragged_type(cls) -> None:
    global _RAGGED
    _RAGGED = (cls,)


def is_ragged(value) -> bool:
    return isinstance(value, _RAGGED)


def _param_name(fn, index: int) -> str:
    code = getattr(fn, "__code__", None)
    if code is not None and index < code.co_argcount:
        return code.co_varnames[index]
    import inspect  # a callable other than a plain function

    return list(inspect.signature(fn).parameters)[index]


def ragged_unary(fn=None, *, arg: int = 0):
    """``fn`` (a wrapper whose positional argument ``arg`` is the elementwise input, given
    positionally or by name) applied to a RaggedTensor's flat_values, its row partitions
    kept. ``arg=1`` for a method (``table.lookup(keys)``)."""
    if fn is None:
        return lambda f: ragged_unary(f, arg=arg)
    key = _param_name(fn, arg)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if len(args) > arg:
            x = args[arg]
            if isinstance(x, _RAGGED):
                return x.with_flat_values(fn(*args[:arg], x.flat_values, *args[arg + 1:],
                                             **kwargs))
        elif isinstance(kwargs.get(key), _RAGGED):
            x = kwargs[key]
            return x.with_flat_values(fn(*args, **{**kwargs, key: x.flat_values}))
        return fn(*args, **kwargs)
    return wrapper


def ragged_binary(fn):
    """``fn(x, y, ...)`` with a RaggedTensor among ``x`` and ``y``: ``fn`` of the flat values
    (see ``flat_operands``), the result given the ragged operand's row partitions."""
    x_key, y_key = _param_name(fn, 0), _param_name(fn, 1)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        n = len(args)
        x = args[0] if n > 0 else kwargs.get(x_key)
        y = args[1] if n > 1 else kwargs.get(y_key)
        if not (isinstance(x, _RAGGED) or isinstance(y, _RAGGED)):
            return fn(*args, **kwargs)
        kwargs = {k: v for k, v in kwargs.items() if k not in (x_key, y_key)}
        x_flat, y_flat, rt = flat_operands(x, y, fn.__name__)
        return rt.with_flat_values(fn(x_flat, y_flat, *args[2:], **kwargs))
    return wrapper


def flat_operands(x, y, what: str):
    """(x's flat operand, y's, the RaggedTensor whose partitions the result takes) for an
    elementwise op ``what`` of ``x`` and ``y``, one of them at least a RaggedTensor.

    Both ragged: equal ragged_ranks and row_splits dtypes (ValueError), the nested row_splits
    checked equal when the op runs (InvalidArgumentError), as TF. One ragged: the other value
    must be of a lower rank than the flat_values, so it broadcasts against each flat value
    (a scalar, or a [d] vector beside [n, d] flat values); TF's broadcasting of a dense
    [batch, ...] tensor over the ragged rows is not implemented: a ValueError says so."""
    if isinstance(x, _RAGGED) and isinstance(y, _RAGGED):
        if x.ragged_rank != y.ragged_rank:
            raise ValueError(f"{what}: RaggedTensors of different ragged_rank ({x.ragged_rank}"
                             f" and {y.ragged_rank}) cannot be combined elementwise; minitf "
                             f"does not broadcast one ragged tensor against another: "
                             f"{x!r}, {y!r}")
        if x.row_splits.dtype != y.row_splits.dtype:
            raise ValueError("Input RaggedTensors have mismatched row_splits dtypes; use "
                             "RaggedTensor.with_row_splits_dtype() to convert them to "
                             "compatible dtypes.")
        checks = _same_splits_checks(x.nested_row_splits, y.nested_row_splits)
        x_flat = x.flat_values
        if checks:
            from .distributions_util import with_dependencies

            x_flat = with_dependencies(checks, x_flat)
        return x_flat, y.flat_values, x
    rt, other = (x, y) if isinstance(x, _RAGGED) else (y, x)
    other = _dense_operand(rt, other, what)
    return (rt.flat_values, other, rt) if rt is x else (other, rt.flat_values, rt)


def _same_splits_checks(xs, ys) -> list:
    """Assert ops, one per level whose row_splits are different tensors, failing the run
    unless the two splits vectors are equal (length and values). Built from Assert rather than
    assert_equal, which would fail at graph construction on constants: TF checks at run."""
    from .graph import name_scope
    from .ops import array_ops, logic_ops, reduction_ops
    from .ops.logging_ops import Assert

    checks = []
    for sx, sy in zip(xs, ys):
        if sx is sy:  # the same partition (rt + rt, or results of one ragged tensor)
            continue
        with name_scope(None, "assert_same_row_splits", [sx, sy]):
            same_size = logic_ops.equal(array_ops.size(sx), array_ops.size(sy))
            # (no broadcasting error: vectors of different lengths compare as False)
            same = logic_ops.EQUAL(sx, sy, incompatible_shape_error=False)
            condition = logic_ops.logical_and(same_size, reduction_ops.reduce_all(same))
            checks.append(Assert(condition, [_SPLITS_MESSAGE, "x.row_splits = ", sx,
                                             "y.row_splits = ", sy]))
    return checks


def _dense_operand(rt, other, what: str):
    """``other`` (converted only when its shape needs it), checked to broadcast against each
    of ``rt``'s flat values."""
    shape = getattr(other, "shape", None)
    if not hasattr(shape, "rank"):  # not a Tensor or Variable: a Python or numpy value
        try:
            shape = np.shape(other)
        except (TypeError, ValueError):  # e.g. a list holding Tensors: one Pack, used as is
            from .graph import convert_to_tensor

            other = convert_to_tensor(other)
            shape = other.shape
    if hasattr(shape, "rank"):
        shape = None if shape.rank is None else tuple(shape.as_list())
    flat_rank = rt.flat_values.shape.rank
    rank = None if shape is None else len(shape)
    if rank is not None and (rank == 0 or flat_rank is not None and rank < flat_rank):
        return other
    shown = "<unknown>" if shape is None else list(shape)
    raise ValueError(
        f"{what}: cannot combine a RaggedTensor (shape {rt.shape}, flat_values shape "
        f"{rt.flat_values.shape}) with a dense value of shape {shown}: minitf takes a dense "
        f"operand of known rank lower than the flat_values' ({flat_rank}), which broadcasts "
        f"against each flat value (e.g. a scalar); TensorFlow's full ragged broadcasting of a "
        f"dense [batch, ...] tensor is not supported. Use rt.to_tensor(), or "
        f"tf.ragged.map_flat_values with a value per flat value.")
