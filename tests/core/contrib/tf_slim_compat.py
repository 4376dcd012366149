"""Lets tf_slim 1.1 (TF1's contrib.layers / slim code) run on TensorFlow 2.x for the
side-by-side tests; imported only where TensorFlow and tf_slim are installed."""

import tensorflow.compat.v1 as tf1


def patch_tf_slim_for_tf2():
    """tf-slim 1.1 on TF 2.21: its tf.layers come from tf_keras's legacy layers (under
    tf_keras.src now), and it reads ``ops.Tensor``, ``control_flow_ops.cond`` and
    ``array_ops.(un)stack``, which moved."""
    import importlib
    import sys

    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.ops import control_flow_ops
    if not hasattr(tf_ops, "Tensor"):
        tf_ops.Tensor = tf1.Tensor
    from tensorflow.python.ops import array_ops
    if not hasattr(control_flow_ops, "cond"):
        control_flow_ops.cond = tf1.cond
    for name in ("stack", "unstack"):
        if not hasattr(array_ops, name):
            setattr(array_ops, name, getattr(tf1, name))
    try:
        legacy = importlib.import_module("tf_keras.src.legacy_tf_layers")
    except ImportError:
        return
    sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy)
    for sub in ("base", "convolutional", "core", "normalization", "pooling"):
        sys.modules.setdefault(f"tf_keras.legacy_tf_layers.{sub}",
                               importlib.import_module(f"tf_keras.src.legacy_tf_layers.{sub}"))
