"""``tf.debugging``: TF 1.13+'s names for the checks (``tf.debugging.assert_equal`` is
``tf.assert_equal``), bound to the same functions, and ``assert_shapes``."""

from collections import namedtuple as _namedtuple

from .graph import Tensor as _Tensor
from .graph import control_dependencies as _control_dependencies
from .graph import convert_to_tensor as _convert_to_tensor
from .graph import name_scope as _name_scope

from .ops.logging_ops import (Assert, assert_equal, assert_greater, assert_greater_equal,
                              assert_less, assert_less_equal, assert_negative,
                              assert_non_negative, assert_non_positive, assert_positive)
from .check_ops import verify_tensor_all_finite as assert_all_finite
from .check_ops import (assert_integer, assert_near, assert_none_equal, assert_proper_iterable,
                        assert_rank, assert_rank_at_least, assert_rank_in,
                        assert_same_float_dtype, assert_scalar, assert_type, is_numeric_tensor)
from .math_extra import is_non_decreasing, is_strictly_increasing
from .ops.logic_ops import check_numerics, is_finite, is_inf, is_nan

__all__ = ["Assert", "assert_all_finite", "assert_equal", "assert_greater",
           "assert_greater_equal", "assert_integer", "assert_less", "assert_less_equal",
           "assert_near", "assert_negative", "assert_non_negative", "assert_non_positive",
           "assert_none_equal", "assert_positive", "assert_proper_iterable", "assert_rank",
           "assert_rank_at_least", "assert_rank_in", "assert_same_float_dtype", "assert_scalar",
           "assert_shapes", "assert_type", "check_numerics", "is_finite", "is_inf", "is_nan",
           "is_non_decreasing", "is_numeric_tensor", "is_strictly_increasing"]


_Sizes = _namedtuple("_Sizes", ["x", "unspecified_dim", "actual_sizes", "symbolic_sizes"])


def _has_known_value(size) -> bool:
    """An int, or anything int() reads ("3" too, as in TF); never a tensor."""
    if size is None or isinstance(size, _Tensor):
        return False
    try:
        int(size)
    except (TypeError, ValueError):
        return False
    return True


def _dimension_sizes(x):
    """x's sizes: ints where static, else tensors; a scalar counts as shape (1,), as in TF."""
    from .control_flow import cond
    from .ops.array_ops import constant, rank, shape
    from .ops.logic_ops import equal

    dynamic = shape(x)
    static = x.shape.as_tuple()
    if static is not None:
        if not static:
            return (1,)
        return [d if d is not None else dynamic[i] for i, d in enumerate(static)]
    return cond(equal(rank(x), 0), lambda: constant([1]), lambda: dynamic)


def _parse_constraints(shapes, prefix):
    out = []
    for x, symbolic in shapes:
        if not (hasattr(symbolic, "__iter__") or hasattr(symbolic, "__getitem__")):
            raise ValueError(f"{prefix}Tensor {x.name}.  Specified shape must be an iterable.  "
                             "An iterable has the attribute `__iter__` or `__getitem__`.  "
                             f"Received specified shape: {symbolic}")
        symbols = tuple(symbolic)
        for i, symbol in enumerate(symbols):
            if (symbol is Ellipsis or symbol == "*") and i != 0:
                raise ValueError(f"{prefix}Tensor {x.name} specified shape index {i}.  Symbol "
                                 "`...` or `*` for a variable number of unspecified dimensions "
                                 "is only allowed as the first entry")
        inner = bool(symbols) and (symbols[0] is Ellipsis or symbols[0] == "*")
        symbols = symbols[1:] if inner else symbols
        out.append(_Sizes(x, inner, _dimension_sizes(x), symbols or (1,)))
    return out


def _rank_assertions(constraints, data, summarize, message, name):
    out = []
    for c in constraints:
        rank = len(c.symbolic_sizes)
        if c.unspecified_dim:
            if rank <= 1:
                continue  # rank at least 0 holds for any tensor
            out.append(assert_rank_at_least(c.x, rank, data, summarize, message, name))
        elif rank <= 1:  # a scalar counts as rank 1 of size 1
            out.append(assert_rank_in(c.x, [0, 1], data, summarize, message, name))
        else:
            out.append(assert_rank(c.x, rank, data, summarize, message, name))
    return out


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Checks tensors' shapes and the relations of their sizes: ``[(x, ("N", "Q")), (y,
    ("N", 3))]`` asks x to be rank 2, y to be (N, 3) with the same N. A size is an int (also a
    string that int() reads), a symbol shared across the list, or None / "." for any; a first
    entry of ``...`` or "*" leaves the outer dimensions free. What is known at construction is
    checked there (ValueError); the rest becomes Assert ops in the returned op, as in TF1."""
    from .ops.array_ops import group, shape
    from .ops.logic_ops import equal

    if isinstance(shapes, dict):
        shapes = shapes.items()
    prefix = f"{message}.  " if message else ""
    with _name_scope(name, "assert_shapes", [data]):
        constraints = _parse_constraints(
            [(_convert_to_tensor(x), s) for x, s in shapes if s is not None], prefix)
        rank_checks = _rank_assertions(constraints, data, summarize, message, name)
        size_checks, specified = [], {}
        for c in constraints:
            for i, symbol in enumerate(c.symbolic_sizes):
                if symbol is None or symbol == ".":
                    continue
                dim = i - len(c.symbolic_sizes) if c.unspecified_dim else i
                # Reading a dynamic size waits for the rank checks: the slice needs the rank.
                with _control_dependencies(rank_checks):
                    actual = c.actual_sizes[dim]
                if not (_has_known_value(symbol) or symbol in specified):
                    specified[symbol] = (actual, c.x, dim)
                    continue
                if _has_known_value(symbol):
                    wanted, why = int(symbol), "Specified explicitly"
                else:
                    wanted, by, at = specified[symbol]
                    why = f"Specified by tensor {by.name} dimension {at}"
                if _has_known_value(actual) and _has_known_value(wanted):
                    if int(actual) != int(wanted):
                        raise ValueError(f"{prefix}{why}.  Tensor {c.x.name} dimension {dim} "
                                         f"must have size {int(wanted)}.  Received size "
                                         f"{int(actual)}, shape {c.x.shape}")
                    continue
                shown = data if data is not None else [
                    prefix, why, f"Tensor {c.x.name} dimension", dim, "must have size", wanted,
                    "Received shape: ", shape(c.x)]
                size_checks.append(Assert(equal(_convert_to_tensor(actual),
                                                _convert_to_tensor(wanted)),
                                          shown, summarize=summarize))
    with _control_dependencies(rank_checks):
        return group(size_checks)
