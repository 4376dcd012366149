"""``tf.contrib.slim.nets``: TF-slim's model definitions (TF 1.15's contrib/slim/python/slim/nets),
with their scopes, end points and arg scopes, built on contrib.layers. Each model module is
loaded on first use."""

import importlib

_MODELS = ("alexnet", "inception", "inception_utils", "inception_v1", "inception_v2",
           "inception_v3", "overfeat", "resnet_utils", "resnet_v1", "resnet_v2", "vgg")

__all__ = list(_MODELS)


def __getattr__(name):
    if name not in _MODELS:
        raise AttributeError(f"module 'minitf.contrib.slim.nets' has no attribute {name!r}: "
                             f"its models are {', '.join(_MODELS)}")
    module = importlib.import_module(f".{name}", __name__)
    globals()[name] = module
    return module
