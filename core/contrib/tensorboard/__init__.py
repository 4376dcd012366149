"""``tf.contrib.tensorboard`` (TF 1.x): TensorBoard plugin helpers; ``plugins.projector`` writes
the embedding projector's configuration."""

from . import plugins  # noqa: F401 - tf.contrib.tensorboard.plugins
