"""TF's ``Copy`` (one of its debug ops): its input in a new buffer.

minitf's resource variables (core/resource_variable.py) read through it: their storage is a
VariableV2 like a reference variable's, and a read must copy the value so that an update later
in the same run does not show through it (an Identity shares the buffer). TF registers Copy,
so a GraphDef holding these reads stays loadable by TensorFlow (whose Copy, without debug
specs, forwards its input: there the reads share the buffer, as a reference variable's do).
TF gives Copy no gradient; each read carries the gradient override ``Identity`` (a
``_gradient_op_type`` attr in a GraphDef), so gradients reach the variable here and in TF, and
gathers' IndexedSlices pass through it (Snapshot, which TF also copies with, would densify
them: its OpDef takes no sparse gradient).
"""

from __future__ import annotations

import numpy as np

from ..opdef import NO_GRADIENT, OpDef, kinded, register
from ._util import unary_infer

__all__: list[str] = []


def _copy(x, *, tensor_name, debug_ops_spec):
    return np.array(x, copy=True)


COPY = register(OpDef(
    "Copy", inputs=["input:T"], attrs={"tensor_name": "",
                                     "debug_ops_spec": kinded([], "list(string)")},
    kernel=_copy, infer=unary_infer, grad=NO_GRADIENT,
    # A read's override rule (Identity's) passes a gather's IndexedSlices on unchanged.
    sparse_grad=True,
    doc="A copy of the input in a new buffer (TF's debug op); resource variables' reads",
))
