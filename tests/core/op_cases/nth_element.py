"""Cases for NthElement (tf.contrib.nn.nth_element): the reference sorts each row along the
last axis with numpy and takes entry n (from the end with ``reverse``). Side by side with
TensorFlow: tests/core/contrib/test_contrib_nn.py."""

import numpy as np

import minitf.ops.nth_element_ops  # noqa: F401 - registers NthElement

from .harness import Case, Const

R = np.random.default_rng(41)


def ref_nth_element(x, n, *, reverse):
    s = np.sort(x, axis=-1)
    return s[..., -1 - int(n)] if reverse else s[..., int(n)]


# Distinct values, far apart compared with the gradient check's step.
X = (R.permutation(24).reshape(2, 3, 4) / 3).astype(np.float32)

CASES = [
    Case("NthElement", [X, Const(np.int32(1))], attrs={"reverse": False}, ref=ref_nth_element),
    Case("NthElement", [X, Const(np.int32(0))], attrs={"reverse": True}, ref=ref_nth_element,
         id="NthElement-largest"),
    Case("NthElement", [X[0, 0], np.int32(3)], attrs={"reverse": False}, ref=ref_nth_element,
         id="NthElement-vector-fed-n"),
    Case("NthElement", [R.integers(-9, 9, (3, 5)).astype(np.int32), Const(np.int32(2))],
         attrs={"reverse": True}, ref=ref_nth_element, id="NthElement-int32-ties"),
]
