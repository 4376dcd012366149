"""Convolution and pooling (NHWC): Conv2D, MaxPool, AvgPool and their gradient ops.

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

__all__: list[str] = []
