"""Neural-network ops: activations, softmax, cross-entropy, BiasAdd, L2Loss.

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

__all__: list[str] = []
