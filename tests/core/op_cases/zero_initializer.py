"""ZeroInitializer assigns to an uninitialized variable; its test runs it through
tf.contrib.framework.zero_initializer."""

CASES = []

COVERED_BY = {"ZeroInitializer": "contrib/test_contrib_framework_extra.py::"
                                 "test_zero_initializer_zeroes_an_uninitialized_variable"}
