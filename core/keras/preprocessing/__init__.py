"""``tf.keras.preprocessing`` (TF 1.15, i.e. keras_preprocessing 1.1): numpy-only helpers that
turn sequences, texts and images into the arrays Keras models train on. Nothing here builds
graph ops; a ``Sequence`` they return feeds ``fit``/``fit_generator`` like any other."""

from . import image, sequence, text

__all__ = ["image", "sequence", "text"]
