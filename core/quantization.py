"""``tf.quantization``: the fake-quantization ops of quantization-aware training (declared in
ops/fake_quant_ops.py), the quantized-tensor ops QuantizeV2 / Dequantize / QuantizedConcat
(ops/quantize_ops.py) and the simulated quantization of QuantizeAndDequantizeV2/V4
(ops/quantize_and_dequantize_ops.py)."""

from .ops.fake_quant_ops import (fake_quant_with_min_max_args,
                                 fake_quant_with_min_max_args_gradient,
                                 fake_quant_with_min_max_vars,
                                 fake_quant_with_min_max_vars_gradient,
                                 fake_quant_with_min_max_vars_per_channel,
                                 fake_quant_with_min_max_vars_per_channel_gradient)
from .ops.quantize_and_dequantize_ops import (quantize_and_dequantize,
                                              quantize_and_dequantize_v2)
from .ops.quantize_ops import dequantize, quantize, quantized_concat

__all__ = ["dequantize", "fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
           "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
           "fake_quant_with_min_max_vars_per_channel",
           "fake_quant_with_min_max_vars_per_channel_gradient", "quantize",
           "quantize_and_dequantize", "quantize_and_dequantize_v2", "quantized_concat"]
