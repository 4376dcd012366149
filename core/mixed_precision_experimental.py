"""``tf.mixed_precision.experimental``: the TF1 loss scales under their older, deprecated
names (TensorFlow 2.21's ``tf.compat.v1.mixed_precision.experimental`` holds just these)."""

from .mixed_precision_loss_scale import DynamicLossScale, FixedLossScale, LossScale

__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale"]
