"""Case format for op tests.

A Case names an op type from the registry, its inputs and attrs, and an independent numpy
reference. Inputs are numpy arrays, fed through placeholders (shape-exact, and again with
unknown shapes to exercise inference), or ``Const(array)`` for arguments that must be known at
graph construction (axes, shapes, perms). A list stands for an ``N*T`` argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Const:
    value: Any

    def __post_init__(self):
        object.__setattr__(self, "value", np.asarray(self.value))


@dataclass
class Case:
    op: str
    inputs: list
    ref: Callable[..., Any]
    attrs: dict = field(default_factory=dict)
    # Fed input positions (flat, counting list elements) to check numerically; None = every
    # floating fed input when the op is differentiable; [] = none.
    grad: list | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-5
    unknown_shapes: bool = True  # also build with shape-less placeholders
    id: str = ""
    # Outputs that are random or otherwise not comparable can be skipped: indices to compare.
    compare: list | None = None
    # With all input shapes known, inference must give exactly the output's shape.
    exact_shape: bool = True
    # Instead of ``ref``: ``check(outputs, inputs)`` asserts properties (random ops).
    check: Callable[..., None] | None = None

    def __post_init__(self):
        if not self.id:
            shapes = "_".join("x".join(map(str, np.shape(_raw(v)))) or "s" for v in self.inputs)
            self.id = f"{self.op}-{shapes}"


def _raw(v):
    if isinstance(v, Const):
        return v.value
    if isinstance(v, list):
        return v[0] if v else np.zeros(0)
    return v


def flat_inputs(case: Case) -> list:
    """(value, is_const) for every input tensor in order, list arguments expanded."""
    out = []
    for v in case.inputs:
        items = v if isinstance(v, list) else [v]
        for it in items:
            out.append((it.value, True) if isinstance(it, Const) else (np.asarray(it), False))
    return out


def allow_float64(monkeypatch):
    """The numerical gradient checks run in float64, which a few of TensorFlow's OpDefs do not
    allow (FusedBatchNorm*, LRN: half and float32 only; core/op_type_constraints.py). minitf's
    kernels compute float64 as well, so for those checks only, every type attr that allows
    float32 allows float64 too."""
    from minitf.op_type_constraints import ALLOWED

    for op_type, rows in ALLOWED.items():
        if any("float32" in names and "float64" not in names for names in rows.values()):
            monkeypatch.setitem(ALLOWED, op_type, {
                attr: names + ("float64",) if "float32" in names and "float64" not in names
                else names for attr, names in rows.items()})
