"""``tf.keras`` as TF 1.x graph mode has it: layers build graph ops in the default graph, models
train, evaluate and predict in ``backend.get_session()``, and ``model.input``/``model.output``
are ordinary tensors, so a Keras model freezes and serves like any other graph."""

from . import (activations, backend, callbacks, constraints, datasets, estimator, experimental,
               initializers, layers, losses, metrics, models, optimizers, preprocessing,
               regularizers, utils)
from .functional import Model, Sequential
from .input_layer import Input

__all__ = ["activations", "backend", "callbacks", "constraints", "datasets", "estimator",
           "experimental", "initializers", "layers", "losses", "metrics", "models", "optimizers",
           "preprocessing", "regularizers", "utils",
           "Model", "Sequential", "Input"]
