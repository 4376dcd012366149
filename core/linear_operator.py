"""``tf.linalg.LinearOperator`` and its subclasses: [batch] matrices that are used through
their structure (diagonal, triangular, Kronecker, circulant...) rather than materialised.

TensorFlow writes these in Python on top of ordinary ops, and so does minitf: no op of its own,
every method composes MatMul, MatrixTriangularSolve, Cholesky, FFT... so the results freeze,
serialise and differentiate like any other graph. The classes live in the linear_operator_*
modules (one family each); this module gathers them for ``tf.linalg``."""

from __future__ import annotations

from .linear_operator_base import LinearOperator
from .linear_operator_basic import (LinearOperatorDiag, LinearOperatorFullMatrix,
                                    LinearOperatorLowerTriangular)
from .linear_operator_block_diag import LinearOperatorBlockDiag
from .linear_operator_block_lower_triangular import LinearOperatorBlockLowerTriangular
from .linear_operator_circulant import (LinearOperatorCirculant, LinearOperatorCirculant2D,
                                        LinearOperatorCirculant3D, LinearOperatorToeplitz)
from .linear_operator_composite import (LinearOperatorAdjoint, LinearOperatorComposition,
                                        LinearOperatorInversion)
from .linear_operator_identity import (LinearOperatorIdentity, LinearOperatorScaledIdentity,
                                       LinearOperatorZeros)
from .linear_operator_kronecker import LinearOperatorKronecker
from .linear_operator_special import (LinearOperatorHouseholder, LinearOperatorLowRankUpdate,
                                      LinearOperatorPermutation)
from .linear_operator_tridiag import LinearOperatorTridiag

__all__ = [
    "LinearOperator", "LinearOperatorAdjoint", "LinearOperatorBlockDiag",
    "LinearOperatorBlockLowerTriangular", "LinearOperatorCirculant", "LinearOperatorCirculant2D",
    "LinearOperatorCirculant3D", "LinearOperatorComposition", "LinearOperatorDiag",
    "LinearOperatorFullMatrix", "LinearOperatorHouseholder", "LinearOperatorIdentity",
    "LinearOperatorInversion", "LinearOperatorKronecker", "LinearOperatorLowRankUpdate",
    "LinearOperatorLowerTriangular", "LinearOperatorPermutation", "LinearOperatorScaledIdentity",
    "LinearOperatorToeplitz", "LinearOperatorTridiag", "LinearOperatorZeros",
]
