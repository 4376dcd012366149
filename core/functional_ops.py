"""TF1's higher-order functions over the first dimension of tensors: ``tf.map_fn``,
``tf.scan``, ``tf.foldl`` and ``tf.foldr``, composed as TF1 composes them: the elements are
unstacked into TensorArrays, a tf.while_loop reads one per iteration, and results are written
to TensorArrays and stacked. ``elems`` may be a nested structure of tensors with one first
dimension."""

from __future__ import annotations

from .control_flow import while_loop
from .graph import convert_to_tensor, name_scope
from .nest import assert_same_structure
from .nest_util import flatten, pack, structure
from .ops.array_ops import shape
from .ops.tensor_array_ops import TensorArray
from .tensor_shape import TensorShape

__all__ = ["foldl", "foldr", "map_fn", "scan"]


def _is_nested(v) -> bool:
    return isinstance(v, (list, tuple, dict))


def _flattener(like):
    """(flatten, pack) for values shaped as ``like``: nested, or a lone tensor."""
    if _is_nested(like):
        return flatten, lambda leaves: pack(like, iter(leaves))
    return (lambda v: [v]), (lambda leaves: leaves[0])


def _length(elems_flat):
    """The number of elements: the first dimension, static if known."""
    n = elems_flat[0].shape[0].value if elems_flat[0].shape.rank else None
    return n if n is not None else shape(elems_flat[0])[0]


def _check_structure(expected, got, fn_name: str):
    if structure(expected, types=False) != structure(got, types=False):
        detail = f"The structure of what {fn_name}'s fn returned does not match the expected " \
                 "structure"
        try:  # TF's own check (its message is what users search for)
            assert_same_structure(expected, got, check_types=False, expand_composites=True)
        except ValueError as e:
            raise ValueError(f"{detail}: {e}") from None
        raise ValueError(f"{detail}: {got!r} and {expected!r}")


def _unstacked(elems_flat, n):
    return [TensorArray(e.dtype, size=n, dynamic_size=False, infer_shape=True,
                        element_shape=e.shape[1:] if e.shape.rank else None).unstack(e)
            for e in elems_flat]


def _set_leading(results, elems_flat):
    """Results' first dimension: the elements' static one (TF1 sets it after stacking)."""
    n = None
    for e in elems_flat:
        d = e.shape[0].value if e.shape.rank else None
        if n is not None and d is not None and d != n:
            raise ValueError(f"Elements have different first dimensions: {n} and {d}")
        n = n if d is None else d
    for r in results:
        if r.shape.rank is not None:
            r.set_shape(TensorShape([n] + r.shape.as_list()[1:]))


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """``fn`` applied to each element of ``elems`` (unpacked on dimension 0), stacked: TF1's
    ``tf.map_fn``. ``dtype`` gives the structure and dtypes of ``fn``'s result when they
    differ from ``elems'``; ``fn_output_signature`` (the newer compat.v1 name, dtypes or
    TensorSpecs) takes its place when given."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got: {fn!r}")
    if fn_output_signature is not None:
        from .opdef import TensorSpec

        dtype = pack(fn_output_signature, iter(
            [d.dtype if isinstance(d, TensorSpec) else d for d in flatten(fn_output_signature)]))
    in_flatten, in_pack = _flattener(elems)
    out_flatten, out_pack = _flattener(dtype) if dtype is not None else (in_flatten, in_pack)
    if parallel_iterations is None:
        parallel_iterations = 10
    elems_flat = in_flatten(elems)
    with name_scope(name, "map", elems_flat):
        elems_flat = [convert_to_tensor(e, name="elem") for e in elems_flat]
        if any(e.shape.rank == 0 for e in elems_flat):
            raise ValueError("elements in elems must be 1+ dimensional Tensors, not scalars")
        dtypes = out_flatten(dtype) if dtype is not None else [e.dtype for e in elems_flat]
        n = _length(elems_flat)
        elems_ta = _unstacked(elems_flat, n)
        accs = [TensorArray(dt, size=n, dynamic_size=False, infer_shape=infer_shape)
                for dt in dtypes]

        def compute(i, tas):
            value = fn(in_pack([ta.read(i) for ta in elems_ta]))
            _check_structure(dtype if dtype is not None else elems, value, "map_fn")
            return i + 1, [ta.write(i, v) for ta, v in zip(tas, out_flatten(value))]

        _, done = while_loop(lambda i, _: i < n, compute, (0, accs),
                             parallel_iterations=parallel_iterations, back_prop=back_prop,
                             swap_memory=swap_memory, maximum_iterations=n)
        results = [ta.stack() for ta in done]
        _set_leading(results, elems_flat)
        return out_pack(results)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """Each prefix's accumulation ``a = fn(a, x)`` over the elements (from the last one with
    ``reverse``), stacked: TF1's ``tf.scan``. Without ``initializer`` the first element is the
    first accumulator (and the first output)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got: {fn!r}")
    in_flatten, in_pack = _flattener(elems)
    out_flatten, out_pack = (in_flatten, in_pack) if initializer is None else \
        _flattener(initializer)
    elems_flat = in_flatten(elems)
    with name_scope(name, "scan", elems_flat):
        elems_flat = [convert_to_tensor(e, name="elem") for e in elems_flat]
        n = _length(elems_flat)
        elems_ta = _unstacked(elems_flat, n)
        if initializer is None:
            acc_flat = [ta.read(n - 1 if reverse else 0) for ta in elems_ta]
            start = 1
        else:
            acc_flat = [convert_to_tensor(v) for v in out_flatten(initializer)]
            start = 0
        accs = [TensorArray(a.dtype, size=n, dynamic_size=False, infer_shape=infer_shape,
                            element_shape=a.shape if infer_shape else None) for a in acc_flat]
        if initializer is None:
            accs = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(accs, acc_flat)]

        def compute(i, acc_flat, tas):
            out = fn(out_pack(acc_flat), in_pack([ta.read(i) for ta in elems_ta]))
            _check_structure(elems if initializer is None else initializer, out, "scan")
            out_flat = out_flatten(out)
            tas = [ta.write(i, v) for ta, v in zip(tas, out_flat)]
            return (i - 1 if reverse else i + 1), out_flat, tas

        if reverse:
            first, keep_going = n - 1 - start, (lambda i, _1, _2: i >= 0)
        else:
            first, keep_going = start, (lambda i, _1, _2: i < n)
        _, _, done = while_loop(keep_going, compute, (first, acc_flat, accs),
                                parallel_iterations=parallel_iterations, back_prop=back_prop,
                                swap_memory=swap_memory, maximum_iterations=n)
        results = [ta.stack() for ta in done]
        _set_leading(results, elems_flat)
        return out_pack(results)


def _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
          reverse: bool, what: str):
    if not callable(fn):
        raise TypeError(f"fn must be callable, got: {fn!r}")
    with name_scope(name, what, [elems]):
        in_flatten, in_pack = _flattener(elems)
        elems_flat = [convert_to_tensor(e, name="elem") for e in in_flatten(elems)]
        n = _length(elems_flat)
        elems_ta = _unstacked(elems_flat, n)
        if initializer is None:
            acc = in_pack([ta.read(n - 1 if reverse else 0) for ta in elems_ta])
            i = n - 2 if reverse else 1
        else:
            acc = initializer
            i = n - 1 if reverse else 0

        def compute(i, acc):
            acc = fn(acc, in_pack([ta.read(i) for ta in elems_ta]))
            return [i - 1 if reverse else i + 1, acc]

        keep_going = (lambda i, a: i >= 0) if reverse else (lambda i, a: i < n)
        _, acc = while_loop(keep_going, compute, [convert_to_tensor(i), acc],
                            parallel_iterations=parallel_iterations, back_prop=back_prop,
                            swap_memory=swap_memory, maximum_iterations=n)
        return acc


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``fn(...fn(fn(initializer, e0), e1)..., en)``: TF1's ``tf.foldl``; without
    ``initializer``, the first element is it."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 False, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``foldl`` from the last element to the first: TF1's ``tf.foldr``."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 True, "foldr")
