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
