"""``tf.math``: TensorFlow's math namespace. The names TF1's ``tf.math`` has (a subset of the root
names, plus ``divide_no_nan``, ``log_sigmoid`` and some of ``tf.nn``'s), bound to the same
functions as at the root."""

from .ops.logic_ops import (equal, greater, greater_equal, is_finite, is_inf, is_nan, less,
                            less_equal, logical_and, logical_not, logical_or, logical_xor,
                            not_equal)
from .ops.math_ops import (add, add_n, divide, floordiv, floormod, maximum, minimum, mod,
                           multiply, pow, scalar_mul, squared_difference, subtract, truediv)
from .ops.math_ops import div_no_nan as divide_no_nan
from .ops.reduction_ops import (argmax, argmin, count_nonzero, cumprod, cumsum, reduce_all,
                                reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
                                reduce_min, reduce_prod, reduce_sum)
from .ops.nn_ops import in_top_k, softplus, softsign
from .ops.gather_ops import (segment_max, segment_mean, segment_min, segment_sum, top_k,
                              unsorted_segment_max, unsorted_segment_mean, unsorted_segment_min,
                              unsorted_segment_sum)
from .ops.unary_ops import (abs, ceil, cos, exp, floor, log, log1p, negative, reciprocal, round,
                            rsqrt, sigmoid, sign, sin, sqrt, square, tan, tanh)
from .nn_impl import l2_normalize
from .composites import reduce_std, reduce_variance
from .ops.segment_prod_ops import segment_prod, unsorted_segment_prod
from .ops.count_ops import bincount, confusion_matrix
from .ops.special_ops import digamma, erf, erfc, lgamma, polygamma
from .ops.math_extra_ops import (acos, acosh, asin, asinh, atan, atan2, atanh, cosh,
                                  cumulative_logsumexp, erfinv, expm1, multiply_no_nan, ndtri,
                                  reduce_euclidean_norm, rint, sinh, xdivy, xlog1py, xlogy)
from .math_extra import (accumulate_n, erfcinv, is_non_decreasing, is_strictly_increasing,
                         lbeta, polyval, reciprocal_no_nan, unsorted_segment_sqrt_n,
                         zero_fraction)
from .ops.softmax_ops import log_softmax, softmax
from .ops.transform_ops import invert_permutation
from .ops.complex_ops import angle, conj, imag, real
from .ops.special_extra_ops import (bessel_i0, bessel_i0e, bessel_i1, bessel_i1e, betainc,
                                    igamma, igammac, special, zeta)
from .ops.misc_extra_ops import nextafter  # tf.math only, as in TF
from .ops.approx_topk_ops import approx_max_k, approx_min_k


def log_sigmoid(x, name=None):
    """``log(sigmoid(x))``, computed as ``-softplus(-x)`` (stable for large |x|), as TF."""
    from .graph import convert_to_tensor, name_scope

    with name_scope(name, "LogSigmoid", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return negative(softplus(negative(x)), name=scope)

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "bincount", "ceil", "confusion_matrix", "cos",
    "count_nonzero", "cumprod", "cumsum",
    "digamma", "divide", "divide_no_nan", "equal", "erf", "erfc", "exp", "floor", "floordiv",
    "floormod", "greater", "greater_equal", "in_top_k", "is_finite", "is_inf", "is_nan",
    "l2_normalize", "less", "less_equal", "lgamma", "log", "log1p", "log_sigmoid", "logical_and",
    "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply",
    "negative", "not_equal", "polygamma", "pow", "reciprocal", "reduce_all", "reduce_any",
    "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_std",
    "reduce_sum", "reduce_variance", "round", "rsqrt", "scalar_mul", "segment_max", "segment_mean",
    "segment_min", "segment_prod", "segment_sum", "sigmoid", "sign", "sin", "softplus", "softsign",
    "sqrt", "square", "squared_difference", "subtract", "tan", "tanh", "top_k", "truediv",
    "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
    "unsorted_segment_prod", "unsorted_segment_sum",
]
__all__ += ["angle", "conj", "imag", "real"]  # core/ops/complex_ops.py
__all__ += ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "betainc", "igamma",  # special
            "igammac", "special", "zeta"]
__all__ += [  # the math functions of core/ops/math_extra_ops.py and core/math_extra.py
    "accumulate_n", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh",
    "cumulative_logsumexp", "erfcinv", "erfinv", "expm1", "invert_permutation",
    "is_non_decreasing", "is_strictly_increasing", "lbeta", "log_softmax", "multiply_no_nan",
    "ndtri", "polyval", "reciprocal_no_nan", "reduce_euclidean_norm", "rint", "sinh", "softmax",
    "unsorted_segment_sqrt_n", "xdivy", "xlog1py", "xlogy", "zero_fraction",
]
__all__ += ["nextafter"]  # core/ops/misc_extra_ops.py
__all__ += ["approx_max_k", "approx_min_k"]  # core/ops/approx_topk_ops.py
