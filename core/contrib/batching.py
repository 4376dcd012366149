"""``tf.contrib.batching`` (TF 1.15): ``batch_function``, the decorator that batches a
computation across concurrent ``Session.run`` calls (TF 1.15's top-level
``tf.nondifferentiable_batch_function`` is the same function).

TF runs the function inside one BatchFunction node whose ``f`` attr holds it as a graph
function; minitf has no function attrs, so the decorated call is built as TF 1.x's
``batch_function_v1`` builds it: a Batch op merges the arguments' rows of concurrent runs of
the session (core/ops/batch_ops.py), the function's ops follow in the graph, and one Unbatch
per output gives each run its rows. The values are TF's: the function runs once on the
concatenated (and, with ``allowed_batch_sizes``, padded) batch; a run that joined another's
batch computes the function on zero rows and waits (up to 60 s, TF 1.x's unbatch timeout) for
its rows. Unlike one BatchFunction node: the function must accept zero rows, an error in the
batch's run reaches only that run (the others time out), and there is no gradient.
"""

from __future__ import annotations

from ..default_graph import name_scope
from ..graph import Tensor
from ..ops.batch_ops import BATCH, UNBATCH

__all__ = ["batch_function"]

_UNBATCH_TIMEOUT_MICROS = 60 * 1000 * 1000  # TF 1.x's batch_function_v1 default


def batch_function(num_batch_threads, max_batch_size, batch_timeout_micros,
                   allowed_batch_sizes=None, max_enqueued_batches=10, autograph=True):
    """Decorator: the decorated function's tensor arguments (batched along their first
    dimension) are merged with those of concurrent runs into batches of at most
    ``max_batch_size`` rows, waiting at most ``batch_timeout_micros`` for company; the
    function runs once per batch. ``allowed_batch_sizes`` (increasing, ending at
    ``max_batch_size``) pads each batch up to one of them. The decorated call returns the
    list of the function's outputs for this run's rows. ``autograph`` is accepted and
    ignored (the function is plain graph code here)."""
    del autograph

    def decorator(fn):
        def decorated(*args):
            with name_scope("batch") as name:
                for a in args:
                    if not isinstance(a, Tensor):
                        raise ValueError("All arguments to functions decorated with "
                                         "`batch_function`  are supposed to be Tensors; "
                                         f"found {a!r}")
                *batched, index, batch_id = BATCH(
                    list(args), num_batch_threads=num_batch_threads,
                    max_batch_size=max_batch_size, batch_timeout_micros=batch_timeout_micros,
                    allowed_batch_sizes=list(allowed_batch_sizes or []),
                    max_enqueued_batches=max_enqueued_batches,
                    grad_timeout_micros=_UNBATCH_TIMEOUT_MICROS, shared_name=name)
                outputs = fn(*batched)
                outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
                for out in outputs:
                    if not isinstance(out, Tensor):
                        raise ValueError("The return value of a function decorated with "
                                         "`batch_function` must be a Tensor or a list/tuple "
                                         f"of Tensors; found {out!r}")
                with name_scope("unbatch") as unbatch_name:
                    return [UNBATCH(t, index, batch_id, timeout_micros=_UNBATCH_TIMEOUT_MICROS,
                                    shared_name=unbatch_name + "/" + t.name)
                            for t in outputs]
        return decorated
    return decorator
