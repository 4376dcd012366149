"""Cases for core/ops/complex_ops.py (Complex, Real, Imag, Angle, ComplexAbs, Conj,
ConjugateTranspose). References are numpy's complex arithmetic.

The harness checks gradients numerically for float inputs with float outputs only; the
gradients through complex tensors (TF's conj convention) are checked in tests/core/
test_complex.py, against central differences of the real and imaginary parts and against TF."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(31)


def c64(*shape):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(np.complex64)


def c128(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _complex(re, im, Tout):  # noqa: N803 - TensorFlow's attr name
    return (re + 1j * im).astype(np.dtype(Tout))


def _part(fn):
    return lambda x, Tout: fn(x).astype(np.dtype(Tout))  # noqa: N803


_GRADS = "tests/core/test_complex.py::test_gradients_through_complex_ops_numerically"

CASES = [
    # grad=[]: the output is complex, which the harness's real-valued check cannot weigh
    Case("Complex", [f32(3, 4), f32(3, 4)], _complex, attrs={"Tout": "complex64"}, grad=[]),
    Case("Complex", [f32(2, 3), f32(3)], _complex, attrs={"Tout": "complex64"}, grad=[],
         id="Complex-broadcast"),
    Case("Complex", [R.standard_normal((2, 1)), R.standard_normal(3)], _complex,
         attrs={"Tout": "complex128"}, grad=[], id="Complex-complex128"),
    Case("Real", [c64(3, 4)], _part(np.real), attrs={"Tout": "float32"}),
    Case("Real", [c128(5)], _part(np.real), attrs={"Tout": "float64"}, id="Real-complex128"),
    Case("Imag", [c64(3, 4)], _part(np.imag), attrs={"Tout": "float32"}),
    Case("Imag", [c128(2, 2)], _part(np.imag), attrs={"Tout": "float64"}, id="Imag-c128"),
    Case("Angle", [c64(3, 4)], _part(np.angle), attrs={"Tout": "float32"}),
    Case("Angle", [np.array([1, -1, 1j, -1j, 0, -2 + 0j])], _part(np.angle),
         attrs={"Tout": "float64"}, id="Angle-axes"),
    Case("ComplexAbs", [c64(3, 4)], _part(np.abs), attrs={"Tout": "float32"}),
    Case("ComplexAbs", [np.array([3 + 4j, 0j, -5j])], _part(np.abs),
         attrs={"Tout": "float64"}, id="ComplexAbs-exact"),
    Case("Conj", [c64(3, 4)], lambda x: np.conj(x)),
    Case("Conj", [c128(2, 3, 2)], lambda x: np.conj(x), id="Conj-c128"),
    Case("ConjugateTranspose", [c64(2, 3, 4), Const(np.array([2, 0, 1], np.int32))],
         lambda x, p: np.conj(np.transpose(x, p))),
    Case("ConjugateTranspose", [c128(3, 2), Const(np.array([1, 0], np.int32))],
         lambda x, p: np.conj(x.T), id="ConjugateTranspose-matrix"),
]

COVERED_BY = {op: _GRADS for op in
              ("Complex", "Real", "Imag", "Angle", "ComplexAbs", "Conj", "ConjugateTranspose")}
