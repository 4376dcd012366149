"""``tf.contrib.slim`` (TF 1.x): contrib.layers' layers, initializers and regularizers,
contrib.framework's arg_scope and variables API, contrib's losses and metrics, and slim's
training (``learning``) and evaluation loops, ``slim.nets``' models, and slim's data pipeline:
``dataset``, ``data_decoder``, ``data_provider``, ``tfexample_decoder``,
``dataset_data_provider``, ``parallel_reader``, ``prefetch_queue`` and ``queues``."""

import types as _types

from .. import layers as _layers
from .. import losses, metrics  # noqa: F401 - slim.losses / slim.metrics are contrib's
from . import evaluation, learning, nets  # noqa: F401
from . import (data_decoder, data_provider, dataset, dataset_data_provider,  # noqa: F401
               parallel_reader, prefetch_queue, queues, tfexample_decoder)
from ..framework import *  # noqa: F403 - arg_scope, model_variable, get_variables...
from ..framework import __all__ as _framework_all

# contrib.layers' functions (its submodules' names are not slim's)
globals().update({name: value for name, value in vars(_layers).items()
                  if not name.startswith("_") and not isinstance(value, _types.ModuleType)})

__all__ = sorted({*_framework_all, "evaluation", "learning", "losses", "metrics", "nets",
                  "data_decoder", "data_provider", "dataset", "dataset_data_provider",
                  "parallel_reader", "prefetch_queue", "queues", "tfexample_decoder",
                  *(name for name, value in vars(_layers).items()
                    if not name.startswith("_") and not isinstance(value, _types.ModuleType))})
