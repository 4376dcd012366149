"""More of TF 2.21's tf.compat.v1 root: ``tf.vectorized_map`` (here), and the root names of the
FFTND family (core/ops/fftnd_ops.py) and of ApproxTopK (core/ops/approx_topk_ops.py).

``vectorized_map`` in TensorFlow rewrites ``fn``'s ops into batched ones (pfor) and falls back to
a while loop for ops it cannot convert. minitf has no pfor: it always runs ``fn`` in one
tf.while_loop over the batch, which computes the same values and gradients (each iteration is
independent, as vectorized_map requires). ``fn`` is called once, as pfor calls it once, so a
fn that creates variables or adds to collections does so once."""

from __future__ import annotations

from . import dtypes as _dt
from .control_flow import while_loop
from .graph import Operation, Tensor, convert_to_tensor, get_default_graph, name_scope
from .nest_util import flatten, pack
from .ops import array_ops
from .ops.approx_topk_ops import approx_top_k
from .ops.concat_split_ops import stack
from .ops.constant_ops import group
from .ops.fftnd_ops import fftnd, ifftnd, irfftnd, rfftnd
from .ops.logic_ops import where_v2
from .ops.reduction_ops import reduce_max
from .ops.stateful_random_shuffle_ops import random_index_shuffle
from .ops.tensor_array_ops import TensorArray
from .tensor_shape import TensorShape

__all__ = ["vectorized_map", "approx_top_k", "fftnd", "ifftnd", "rfftnd", "irfftnd",
           "random_index_shuffle"]


def _broadcasting_gather(x: Tensor, i):
    """Element ``i`` of ``x``, or its only element when its first dimension is 1 (TF's
    _broadcasting_gather: elements broadcast along the batch)."""
    first = x.shape[0].value if x.shape.rank else None
    if first == 1:
        i = 0
    elif first is None:
        i = where_v2(array_ops.shape(x)[0] > 1, i, 0)
    return x[i]  # a strided slice: its gradient is dense, as TF's through the pfor ops


def _batch_size(flat: list):
    """TF's: the largest first dimension, static when every element's is known."""
    static = [e.shape[0].value if e.shape.rank is not None else None for e in flat]
    if any(s is None for s in static):
        return reduce_max(stack([array_ops.shape(e)[0] for e in flat]))
    return max(static)


def _in_outer_context(graph, make):
    """``make()`` run outside the loop being built (its ops belong to the enclosing context,
    with no control dependencies of the body): the result arrays are made before the loop."""
    ctx = graph._control_flow_context
    with graph.control_dependencies(None):
        graph._control_flow_context = ctx.outer
        try:
            return make()
        finally:
            graph._control_flow_context = ctx


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` applied to the slices of ``elems`` along dimension 0, stacked: tf.vectorized_map.

    ``elems`` is a tensor or a nested structure of tensors; each is sliced on its first
    dimension, and one whose first dimension is 1 is broadcast to every iteration. The batch
    size is the largest first dimension. ``fn``'s result may be any nested structure of tensors
    (a tensor that does not depend on the slice is repeated for each) and Operations with no
    outputs (given back as one Operation that runs them all). ``fallback_to_while_loop`` and
    ``warn`` are accepted: minitf runs every op through the while loop (see the module's
    docstring), so there is nothing to fall back from or warn about."""
    del fallback_to_while_loop, warn  # the while loop is the only path (module docstring)
    if not callable(fn):
        raise TypeError(f"fn must be callable, got: {fn!r}")
    _check_dense(elems)
    flat = [convert_to_tensor(e) for e in _leaves(elems)]
    if not flat:
        raise ValueError("vectorized_map needs at least one tensor in elems")
    for e in flat:
        if e.shape.rank == 0:
            raise ValueError(f"elems must be tensors of rank >= 1 (each is unpacked along its "
                             f"first dimension), got a scalar: {e}")
    with name_scope(None, "loop_body", flat):
        n = _batch_size(flat)
        graph = get_default_graph()
        made: dict = {}  # what the body learns about fn's result, for after the loop

        def body(i, flow):
            sliced = [_broadcasting_gather(e, i) for e in flat]
            out = fn(sliced[0] if not isinstance(elems, (list, tuple, dict)) else
                     pack(elems, iter(sliced)))
            leaves = flatten(out) if isinstance(out, (list, tuple, dict)) else [out]
            ops = [v for v in leaves if isinstance(v, Operation)]
            for op in ops:
                if op.outputs:
                    raise ValueError(f"vectorized_map's fn may return Operations only when "
                                     f"they have no outputs; {op.name} has {len(op.outputs)}")
            values = [convert_to_tensor(v) for v in leaves if not isinstance(v, Operation)]
            arrays = _in_outer_context(graph, lambda: [
                TensorArray(v.dtype, size=n, dynamic_size=False, infer_shape=True,
                            element_shape=v.shape) for v in values])
            for k, (ta, v) in enumerate(zip(arrays, values)):
                # One flow orders every array's write: the loop needs one loop variable only,
                # whatever fn returns (its structure is known only once fn has run).
                flow = ta._with_flow(flow).write(i, v, name=f"TensorArrayWrite_{k}").flow
            if ops:
                with graph.control_dependencies(ops):
                    flow = array_ops.identity(flow)
            made.update(out=out, leaves=leaves, arrays=arrays)
            return i + 1, flow

        _, flow = while_loop(lambda i, _: i < n, body,
                             (array_ops.constant(0, _dt.int32),
                              array_ops.constant(0.0, _dt.float32)),
                             maximum_iterations=n)
        stacked = iter([ta._with_flow(flow).stack() for ta in made["arrays"]])
        static_n = n if isinstance(n, int) else None
        done = None
        results = []
        for leaf in made["leaves"]:
            if isinstance(leaf, Operation):
                done = done or group(flow)
                results.append(done)
                continue
            r = next(stacked)
            if r.shape.rank is not None:
                r.set_shape(TensorShape([static_n]).concatenate(r.shape[1:]))
            results.append(r)
        out = made["out"]
        return pack(out, iter(results)) if isinstance(out, (list, tuple, dict)) else results[0]


def _check_dense(elems):
    if isinstance(elems, dict):
        elems = list(elems.values())
    if isinstance(elems, (list, tuple)):
        for e in elems:
            _check_dense(e)
    elif type(elems).__name__ in ("SparseTensor", "RaggedTensor"):
        raise TypeError(f"minitf's vectorized_map takes dense tensors in elems, got a "
                        f"{type(elems).__name__}")


def _leaves(elems) -> list:
    return flatten(elems) if isinstance(elems, (list, tuple, dict)) else [elems]
