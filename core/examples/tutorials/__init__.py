"""TF 1.x's ``tensorflow.examples.tutorials``."""
