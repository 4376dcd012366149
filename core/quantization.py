"""``tf.quantization``: the fake-quantization ops of quantization-aware training (the ops and
their gradients are declared in ops/fake_quant_ops.py)."""

from .ops.fake_quant_ops import (fake_quant_with_min_max_args,
                                 fake_quant_with_min_max_args_gradient,
                                 fake_quant_with_min_max_vars,
                                 fake_quant_with_min_max_vars_gradient,
                                 fake_quant_with_min_max_vars_per_channel,
                                 fake_quant_with_min_max_vars_per_channel_gradient)

__all__ = ["fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
           "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
           "fake_quant_with_min_max_vars_per_channel",
           "fake_quant_with_min_max_vars_per_channel_gradient"]
