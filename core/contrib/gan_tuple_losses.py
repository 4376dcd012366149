"""``tf.contrib.gan.losses`` (TF 1.15's tuple_losses_impl.py): the losses of gan_losses taking
a GANModel-like namedtuple instead of individual tensors; arguments named like the tuple's
fields come from it, the rest from keywords."""

from __future__ import annotations

import inspect

from . import gan_losses as _impl
from .gan_namedtuples import CycleGANModel

__all__ = list(_impl.__all__)  # the same losses, each taking a GANModel


def _args_to_gan_model(loss_fn):
    params = inspect.signature(loss_fn).parameters
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
    defaults = {n: p.default for n, p in params.items()
                if p.default is not inspect.Parameter.empty}

    def new_loss_fn(gan_model, **kwargs):
        model = {k: getattr(gan_model, k) for k in gan_model._fields}
        for arg in sorted(required - set(model)):
            if arg not in kwargs:
                raise ValueError(
                    f"`{arg}` must be supplied to {loss_fn.__name__} loss function.")
        ambiguous = set(model) & set(kwargs)
        if ambiguous:
            raise ValueError("The following args are present in both the tuple and keyword "
                             f"args for {loss_fn.__name__}: {sorted(ambiguous)}")
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(
                f"{loss_fn.__name__} got unexpected keyword arguments: {sorted(unknown)}")
        for arg in required & set(model):
            kwargs[arg] = model[arg]
        for arg, default in defaults.items():
            # A tuple field wins; a None field falls back to the keyword, then the default.
            if model.get(arg) is not None:
                kwargs[arg] = model[arg]
            elif kwargs.get(arg) is None:
                kwargs[arg] = default
        return loss_fn(**kwargs)

    new_loss_fn.__name__ = loss_fn.__name__
    new_loss_fn.__qualname__ = loss_fn.__name__
    new_loss_fn.__doc__ = f"The gan_model version of {loss_fn.__name__}."
    return new_loss_fn


wasserstein_generator_loss = _args_to_gan_model(_impl.wasserstein_generator_loss)
wasserstein_discriminator_loss = _args_to_gan_model(_impl.wasserstein_discriminator_loss)
wasserstein_gradient_penalty = _args_to_gan_model(_impl.wasserstein_gradient_penalty)
acgan_discriminator_loss = _args_to_gan_model(_impl.acgan_discriminator_loss)
acgan_generator_loss = _args_to_gan_model(_impl.acgan_generator_loss)
minimax_discriminator_loss = _args_to_gan_model(_impl.minimax_discriminator_loss)
minimax_generator_loss = _args_to_gan_model(_impl.minimax_generator_loss)
modified_discriminator_loss = _args_to_gan_model(_impl.modified_discriminator_loss)
modified_generator_loss = _args_to_gan_model(_impl.modified_generator_loss)
least_squares_generator_loss = _args_to_gan_model(_impl.least_squares_generator_loss)
least_squares_discriminator_loss = _args_to_gan_model(_impl.least_squares_discriminator_loss)
mutual_information_penalty = _args_to_gan_model(_impl.mutual_information_penalty)


def combine_adversarial_loss(gan_loss, gan_model, non_adversarial_loss, weight_factor=None,
                             gradient_ratio=None, gradient_ratio_epsilon=1e-6,
                             scalar_summaries=True, gradient_summaries=True):
    """``gan_loss`` with its generator loss combined with ``non_adversarial_loss`` over the
    generator's variables."""
    combined = _impl.combine_adversarial_loss(
        non_adversarial_loss, gan_loss.generator_loss, weight_factor, gradient_ratio,
        gradient_ratio_epsilon, gan_model.generator_variables, scalar_summaries,
        gradient_summaries)
    return gan_loss._replace(generator_loss=combined)


def cycle_consistency_loss(cyclegan_model, scope=None, add_summaries=False):
    """The cycle-consistency loss of a CycleGANModel."""
    if not isinstance(cyclegan_model, CycleGANModel):
        raise ValueError("`cyclegan_model` must be a `CycleGANModel`. Instead, was "
                         f"{type(cyclegan_model)}.")
    return _impl.cycle_consistency_loss(
        cyclegan_model.model_x2y.generator_inputs, cyclegan_model.reconstructed_x,
        cyclegan_model.model_y2x.generator_inputs, cyclegan_model.reconstructed_y, scope,
        add_summaries)
