"""Session tensor handles keep state in the session store: GetSessionHandle(V2) run standalone
(the handle's form; the harness closes its session before ``check``), the readers and the
deleter only through a handle stored first, in test_session_handle.py."""

import re

import numpy as np

from .harness import Case

_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def _handle_form(op_type):
    def check(outputs, inputs):
        (out,) = outputs
        assert out.shape == () and out.dtype == object
        text = str(out[()])  # a TensorHandle (Session.run's) or its string
        assert re.fullmatch(rf"{op_type};\d+;{re.escape(_DEVICE)}", text), text
    return check


CASES = [
    Case("GetSessionHandle", [np.array([1.5, -2.0], np.float32)], ref=None,
         check=_handle_form("GetSessionHandle")),
    Case("GetSessionHandle", [np.array([[1, 2]], np.int32)], ref=None,
         check=_handle_form("GetSessionHandle")),
    Case("GetSessionHandleV2", [np.array([3.0], np.float64)], ref=None,
         check=_handle_form("GetSessionHandleV2")),
]

_T = "test_session_handle.py::"
COVERED_BY = {
    "GetSessionTensor": _T + "test_store_read_back_and_compute",
    "DeleteSessionTensor": _T + "test_delete_then_use_is_an_error",
}
