"""``tf.debugging``: TF 1.13+'s names for the checks (``tf.debugging.assert_equal`` is
``tf.assert_equal``), bound to the same functions."""

from .ops.logging_ops import (Assert, assert_equal, assert_greater, assert_greater_equal,
                              assert_less, assert_less_equal, assert_negative,
                              assert_non_negative, assert_non_positive, assert_positive)
from .ops.logic_ops import check_numerics, is_finite, is_inf, is_nan

__all__ = ["Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
           "assert_less_equal", "assert_negative", "assert_non_negative", "assert_non_positive",
           "assert_positive", "check_numerics", "is_finite", "is_inf", "is_nan"]
