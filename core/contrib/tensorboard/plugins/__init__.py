"""``tf.contrib.tensorboard.plugins`` (TF 1.x): ``projector``, the embedding projector's API."""

from . import projector  # noqa: F401 - tf.contrib.tensorboard.plugins.projector
