"""``tf.contrib.linalg`` (TF 1.x): the LinearOperator classes before they moved to
``tf.linalg``, so they are minitf's tf.linalg classes, under their later names and the first
ones TF 1.0-1.4 gave three of them (``LinearOperatorTriL``, ``LinearOperatorMatrix``,
``LinearOperatorUDVHUpdate``; Kyubyong's transformer builds its causal mask with the first)."""

from __future__ import annotations

from .. import linalg as _linalg

__all__ = sorted([n for n in dir(_linalg) if n.startswith("LinearOperator")]
                 + ["LinearOperatorMatrix", "LinearOperatorTriL", "LinearOperatorUDVHUpdate"])
globals().update({n: getattr(_linalg, n) for n in __all__ if hasattr(_linalg, n)})
LinearOperatorTriL = _linalg.LinearOperatorLowerTriangular
LinearOperatorMatrix = _linalg.LinearOperatorFullMatrix
LinearOperatorUDVHUpdate = _linalg.LinearOperatorLowRankUpdate
