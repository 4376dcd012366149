"""``tf.debugging``: TF 1.13+'s names for the checks (``tf.debugging.assert_equal`` is
``tf.assert_equal``), bound to the same functions."""

from .ops.logging_ops import (Assert, assert_equal, assert_greater, assert_greater_equal,
                              assert_less, assert_less_equal, assert_negative,
                              assert_non_negative, assert_non_positive, assert_positive)
from .check_ops import (assert_integer, assert_near, assert_none_equal, assert_proper_iterable,
                        assert_rank, assert_rank_at_least, assert_rank_in,
                        assert_same_float_dtype, assert_scalar, assert_type, is_numeric_tensor)
from .math_extra import is_non_decreasing, is_strictly_increasing
from .ops.logic_ops import check_numerics, is_finite, is_inf, is_nan

__all__ = ["Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_integer",
           "assert_less", "assert_less_equal", "assert_near", "assert_negative",
           "assert_non_negative", "assert_non_positive", "assert_none_equal", "assert_positive",
           "assert_proper_iterable", "assert_rank", "assert_rank_at_least", "assert_rank_in",
           "assert_same_float_dtype", "assert_scalar", "assert_type", "check_numerics",
           "is_finite", "is_inf", "is_nan", "is_non_decreasing", "is_numeric_tensor",
           "is_strictly_increasing"]
