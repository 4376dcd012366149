"""tf.train: optimizers, checkpoints and the global step."""
