"""``tf.contrib.solvers`` (TF 1.15): matrix-free iterative solvers over operators given as
``util.create_operator(matrix)`` (or any object with ``shape``, ``dtype``, ``apply`` and
``apply_adjoint``): ``linear_equations.conjugate_gradient``, ``least_squares.cgls`` and
``lanczos.lanczos_bidiag`` / ``bidiag_matmul``."""

from . import solvers_lanczos as lanczos
from . import solvers_least_squares as least_squares
from . import solvers_linear_equations as linear_equations
from . import solvers_util as util

__all__ = ["lanczos", "least_squares", "linear_equations", "util"]
