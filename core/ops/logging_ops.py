"""Print: TF1's ``tf.Print``, an identity that writes a message and some tensors' values to
stderr each time it runs (for debugging a graph)."""

from __future__ import annotations

import sys
import threading

import numpy as np

from ..opdef import OpDef, TensorSpec, register

__all__ = ["Print"]

_printed: dict = {}  # node name -> times printed (for first_n)
_printed_lock = threading.Lock()


def _scalar(x) -> str:
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, (np.floating, float)):
        return np.format_float_positional(x, trim="-") if np.isfinite(x) else str(x)
    return str(x)


def _summarize(value, limit: int) -> str:
    """TF's legacy Tensor::SummarizeValue: at most ``limit`` elements (all if negative), rows
    of a matrix bracketed, ``...`` where elements were left out (``[1 2][3...]...``)."""
    arr = np.asarray(value)
    flat = arr.reshape(-1)
    limit = flat.size if limit < 0 else min(limit, flat.size)
    if arr.ndim <= 1:
        text = " ".join(_scalar(x) for x in flat[:limit])
        return text + ("..." if limit < flat.size else "")
    out, index = [], [0]

    def one_dim(dim):  # TF's PrintOneDim, element for element
        if index[0] >= limit:
            return
        if dim == arr.ndim - 1:
            for i in range(arr.shape[dim]):
                if index[0] >= limit:
                    out.append("...")
                    return
                if i:
                    out.append(" ")
                out.append(_scalar(flat[index[0]]))
                index[0] += 1
            return
        for _ in range(arr.shape[dim]):
            opened = index[0] < limit
            if opened:
                out.append("[")
            one_dim(dim + 1)
            if index[0] < limit or opened:
                out.append("]")
    one_dim(0)
    return "".join(out) + ("..." if limit < flat.size else "")


def _print_kernel(name, value, data, *, message, first_n, summarize):
    with _printed_lock:
        count = _printed.get(name, 0)
        if first_n >= 0 and count >= first_n:
            return value
        _printed[name] = count + 1
    sys.stderr.write(message + "".join(f"[{_summarize(d, summarize)}]" for d in data) + "\n")
    sys.stderr.flush()
    return value


PRINT = register(OpDef(
    "Print", inputs=["input:T", "data:list(U)"],
    attrs={"message": "", "first_n": -1, "summarize": 3},
    kernel=_print_kernel, resource="name",
    infer=lambda x, data, **a: [TensorSpec(x.shape, x.dtype)],
    grad=lambda op, dy: [dy] + [None] * (len(op.inputs) - 1),
    stateful=True,  # it writes: never folded or skipped
    doc="input, after writing message and the data tensors' values to stderr",
))


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """``tf.Print``: ``input_`` again; each run writes ``message`` and the values of ``data``
    (at most ``summarize`` elements each, 3 by default) to stderr, the first ``first_n`` runs
    only if given."""
    return PRINT(input_, list(data), message=message or "",
                 first_n=-1 if first_n is None else first_n,
                 summarize=3 if summarize is None else summarize, name=name or "Print")
