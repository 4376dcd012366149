"""``tf.contrib.gan`` (TFGAN, TF 1.15): the GAN namedtuples, model/loss/train-op/train helpers,
``losses`` (taking a GANModel; ``losses.wargs`` takes the individual tensors) and ``features``.
StarGAN, eval and estimator parts of TFGAN are not provided."""

from __future__ import annotations

import types

from . import gan_features as _features
from . import gan_losses as _wargs
from . import gan_namedtuples as _namedtuples
from . import gan_train as _train
from . import gan_tuple_losses as _tuple_losses
from .gan_namedtuples import (ACGANModel, CycleGANLoss, CycleGANModel, GANLoss, GANModel,
                              GANTrainOps, GANTrainSteps, InfoGANModel)
from .gan_train import (RunTrainOpsHook, acgan_model, cyclegan_loss, cyclegan_model, gan_loss,
                        gan_model, gan_train, gan_train_ops, get_joint_train_hooks,
                        get_sequential_train_hooks, infogan_model)

__all__ = ["ACGANModel", "CycleGANLoss", "CycleGANModel", "GANLoss", "GANModel", "GANTrainOps",
           "GANTrainSteps", "InfoGANModel", "RunTrainOpsHook", "acgan_model", "cyclegan_loss",
           "cyclegan_model", "features", "gan_loss", "gan_model", "gan_train", "gan_train_ops",
           "get_joint_train_hooks", "get_sequential_train_hooks", "infogan_model", "losses",
           "namedtuples", "train"]


def _namespace(name, doc, module, extra=None):
    ns = types.ModuleType("minitf.contrib.gan." + name, doc)
    for attr in module.__all__:
        setattr(ns, attr, getattr(module, attr))
    ns.__all__ = list(module.__all__)
    for attr, value in (extra or {}).items():
        setattr(ns, attr, value)
        ns.__all__.append(attr)
    return ns


losses = _namespace(
    "losses", "TFGAN losses taking a GANModel; ``wargs`` holds those taking tensors.",
    _tuple_losses,
    {"wargs": _namespace("losses.wargs", "TFGAN losses taking individual tensors.", _wargs)})
features = _namespace("features", "TFGAN features: weight clipping and conditioning.",
                      _features)
namedtuples = _namespace("namedtuples", "TFGAN namedtuples.", _namedtuples)
train = _namespace("train", "TFGAN model, loss and training helpers.", _train)
