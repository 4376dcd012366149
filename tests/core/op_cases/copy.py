"""TF's Copy (core/ops/copy_ops.py): its input in a new buffer. TF gives it no gradient (minitf's
resource-variable reads differentiate through their Identity override: see
test_resource_variables.py)."""

import numpy as np

from .harness import Case

X = np.array([[1.5, -2.0, 0.25], [3.0, 0.0, -1.0]], np.float32)

CASES = [
    Case("Copy", [X], lambda x: x),
    Case("Copy", [np.array([1, 2, 3], np.int64)], lambda x: x, id="Copy-int64"),
]
