"""Cases for ReverseV2. The references index each reversed axis backwards element by element
(``x[n - 1 - i]``), written without np.flip."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)


def _reverse_ref(x, axis):
    out = np.empty_like(x)
    axes = {int(a) % x.ndim for a in np.asarray(axis).reshape(-1)}
    for idx in np.ndindex(*x.shape):
        src = tuple(n - 1 - i if d in axes else i for d, (i, n) in enumerate(zip(idx, x.shape)))
        out[idx] = x[src]
    return out


CASES = [
    Case("ReverseV2", [R.standard_normal((3, 4)), Const(np.array([1], np.int32))],
         ref=_reverse_ref),
    Case("ReverseV2", [R.standard_normal((2, 3, 4)).astype(np.float32),
                       Const(np.array([0, -1], np.int64))],
         ref=_reverse_ref, id="ReverseV2-two-axes-int64"),
    Case("ReverseV2", [np.arange(6, dtype=np.int32).reshape(2, 3),
                       Const(np.zeros(0, np.int32))],
         ref=_reverse_ref, id="ReverseV2-no-axes"),
    Case("ReverseV2", [np.array([[True, False, False]]), Const(np.array([1], np.int32))],
         ref=_reverse_ref, id="ReverseV2-bool"),
    # The axes fed at run time: inference knows only the shape.
    Case("ReverseV2", [R.standard_normal((2, 3, 2)), np.array([2, 0], np.int32)],
         ref=_reverse_ref, id="ReverseV2-fed-axes"),
]
