"""``tf.contrib.gan``'s namedtuples (TF 1.15's namedtuples.py): the model, loss, train-op and
train-step bundles passed between TFGAN's four steps."""

from __future__ import annotations

import collections

__all__ = ["ACGANModel", "CycleGANLoss", "CycleGANModel", "GANLoss", "GANModel",
           "GANTrainOps", "GANTrainSteps", "InfoGANModel"]

_GAN_FIELDS = ("generator_inputs", "generated_data", "generator_variables", "generator_scope",
               "generator_fn", "real_data", "discriminator_real_outputs",
               "discriminator_gen_outputs", "discriminator_variables", "discriminator_scope",
               "discriminator_fn")


class GANModel(collections.namedtuple("GANModel", _GAN_FIELDS)):
    """A generator/discriminator pair: inputs, outputs, variables, scopes and functions."""


class InfoGANModel(collections.namedtuple("InfoGANModel", _GAN_FIELDS + (
        "structured_generator_inputs", "predicted_distributions",
        "discriminator_and_aux_fn"))):
    """A GANModel plus the structured noise and the recognizer's predicted distributions."""


class ACGANModel(collections.namedtuple("ACGANModel", _GAN_FIELDS + (
        "one_hot_labels", "discriminator_real_classification_logits",
        "discriminator_gen_classification_logits"))):
    """A GANModel plus the labels and the discriminator's class logits."""


class CycleGANModel(collections.namedtuple("CycleGANModel", (
        "model_x2y", "model_y2x", "reconstructed_x", "reconstructed_y"))):
    """Two GANModels (X->Y and Y->X) and the round-trip reconstructions."""


class GANLoss(collections.namedtuple("GANLoss", ("generator_loss", "discriminator_loss"))):
    """The generator and discriminator losses."""


class CycleGANLoss(collections.namedtuple("CycleGANLoss", ("loss_x2y", "loss_y2x"))):
    """The GANLoss of each direction of a CycleGAN."""


class GANTrainOps(collections.namedtuple("GANTrainOps", (
        "generator_train_op", "discriminator_train_op", "global_step_inc_op",
        "train_hooks"))):
    """The two train ops, the global-step increment and extra hooks (default none)."""

    def __new__(cls, generator_train_op, discriminator_train_op, global_step_inc_op,
                train_hooks=()):
        return super().__new__(cls, generator_train_op, discriminator_train_op,
                               global_step_inc_op, train_hooks)


class GANTrainSteps(collections.namedtuple("GANTrainSteps", (
        "generator_train_steps", "discriminator_train_steps"))):
    """How many generator and discriminator steps make one GAN step."""
