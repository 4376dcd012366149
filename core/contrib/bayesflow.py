"""``tf.contrib.bayesflow`` (TF 1.15): only ``monte_carlo`` was left there (the rest had moved
to TensorFlow Probability), and so it is here."""

from . import bayesflow_monte_carlo as monte_carlo

__all__ = ["monte_carlo"]
