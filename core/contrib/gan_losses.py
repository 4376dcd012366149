"""``tf.contrib.gan.losses.wargs`` (TF 1.15's losses_impl.py): GAN losses taking individual
tensors. Each reduces through ``tf.losses.compute_weighted_loss`` (default
SUM_BY_NONZERO_WEIGHTS), and a two-part loss reduces each part separately with no collection,
then adds the sum to ``loss_collection`` once, as TF does."""

from __future__ import annotations

import minitf as tf

from ..graph import GraphKeys

__all__ = ["acgan_discriminator_loss", "acgan_generator_loss", "combine_adversarial_loss",
           "cycle_consistency_loss", "least_squares_discriminator_loss",
           "least_squares_generator_loss", "minimax_discriminator_loss",
           "minimax_generator_loss", "modified_discriminator_loss", "modified_generator_loss",
           "mutual_information_penalty", "wasserstein_discriminator_loss",
           "wasserstein_generator_loss", "wasserstein_gradient_penalty"]

_LOSSES = GraphKeys.LOSSES
_NONZERO = tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS


def _float(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _same_shape(real, gen):
    real.shape.assert_is_compatible_with(gen.shape)


def wasserstein_generator_loss(discriminator_gen_outputs, weights=1.0, scope=None,
                               loss_collection=_LOSSES, reduction=_NONZERO,
                               add_summaries=False):
    """-D(G(z)), weighted and reduced."""
    with tf.name_scope(scope, "generator_wasserstein_loss",
                       (discriminator_gen_outputs, weights)) as scope:
        loss = tf.losses.compute_weighted_loss(-_float(discriminator_gen_outputs), weights,
                                               scope, loss_collection, reduction)
        if add_summaries:
            tf.summary.scalar("generator_wass_loss", loss)
    return loss


def wasserstein_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                   real_weights=1.0, generated_weights=1.0, scope=None,
                                   loss_collection=_LOSSES, reduction=_NONZERO,
                                   add_summaries=False):
    """reduce(D(G(z))) - reduce(D(x))."""
    with tf.name_scope(scope, "discriminator_wasserstein_loss",
                       (discriminator_real_outputs, discriminator_gen_outputs, real_weights,
                        generated_weights)) as scope:
        real = _float(discriminator_real_outputs)
        gen = _float(discriminator_gen_outputs)
        _same_shape(real, gen)
        on_gen = tf.losses.compute_weighted_loss(gen, generated_weights, scope,
                                                 loss_collection=None, reduction=reduction)
        on_real = tf.losses.compute_weighted_loss(real, real_weights, scope,
                                                  loss_collection=None, reduction=reduction)
        loss = on_gen - on_real
        tf.losses.add_loss(loss, loss_collection)
        if add_summaries:
            tf.summary.scalar("discriminator_gen_wass_loss", on_gen)
            tf.summary.scalar("discriminator_real_wass_loss", on_real)
            tf.summary.scalar("discriminator_wass_loss", loss)
    return loss


def acgan_discriminator_loss(discriminator_real_classification_logits,
                             discriminator_gen_classification_logits, one_hot_labels,
                             label_smoothing=0.0, real_weights=1.0, generated_weights=1.0,
                             scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                             add_summaries=False):
    """Softmax cross entropy of the class logits on generated plus on real data (only the
    real part label-smoothed)."""
    with tf.name_scope(scope, "acgan_discriminator_loss",
                       (discriminator_real_classification_logits,
                        discriminator_gen_classification_logits, one_hot_labels)) as scope:
        on_gen = tf.losses.softmax_cross_entropy(
            one_hot_labels, discriminator_gen_classification_logits, weights=generated_weights,
            scope=scope, loss_collection=None, reduction=reduction)
        on_real = tf.losses.softmax_cross_entropy(
            one_hot_labels, discriminator_real_classification_logits, weights=real_weights,
            label_smoothing=label_smoothing, scope=scope, loss_collection=None,
            reduction=reduction)
        loss = on_gen + on_real
        tf.losses.add_loss(loss, loss_collection)
        if add_summaries:
            tf.summary.scalar("discriminator_gen_ac_loss", on_gen)
            tf.summary.scalar("discriminator_real_ac_loss", on_real)
            tf.summary.scalar("discriminator_ac_loss", loss)
    return loss


def acgan_generator_loss(discriminator_gen_classification_logits, one_hot_labels, weights=1.0,
                         scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                         add_summaries=False):
    """Softmax cross entropy of the class logits on generated data."""
    with tf.name_scope(scope, "acgan_generator_loss",
                       (discriminator_gen_classification_logits, one_hot_labels)) as scope:
        loss = tf.losses.softmax_cross_entropy(
            one_hot_labels, discriminator_gen_classification_logits, weights=weights,
            scope=scope, loss_collection=loss_collection, reduction=reduction)
        if add_summaries:
            tf.summary.scalar("generator_ac_loss", loss)
    return loss


def wasserstein_gradient_penalty(real_data, generated_data, generator_inputs, discriminator_fn,
                                 discriminator_scope, epsilon=1e-10, target=1.0,
                                 one_sided=False, weights=1.0, scope=None,
                                 loss_collection=_LOSSES, reduction=_NONZERO,
                                 add_summaries=False):
    """(sqrt(|dD/dx|^2 + epsilon) / target - 1)^2 at x = real + alpha (generated - real), one
    uniform alpha per example; ``one_sided`` clips the inner term at 0."""
    with tf.name_scope(scope, "wasserstein_gradient_penalty",
                       (real_data, generated_data)) as scope:
        real_data = tf.convert_to_tensor(real_data)
        generated_data = tf.convert_to_tensor(generated_data)
        if real_data.shape.ndims is None:
            raise ValueError("`real_data` can't have unknown rank.")
        if generated_data.shape.ndims is None:
            raise ValueError("`generated_data` can't have unknown rank.")
        differences = generated_data - real_data
        batch_size = differences.shape.dims[0].value or tf.shape(differences)[0]
        alpha_shape = [batch_size] + [1] * (differences.shape.ndims - 1)
        alpha = tf.random_uniform(shape=alpha_shape)
        interpolates = real_data + alpha * differences
        # Outside the loss's name scope so the discriminator's update ops land where they
        # would for its other calls; AUTO_REUSE shares its variables.
        with tf.name_scope(None):
            with tf.variable_scope(discriminator_scope, "gpenalty_dscope",
                                   reuse=tf.AUTO_REUSE):
                disc_interpolates = discriminator_fn(interpolates, generator_inputs)
        if isinstance(disc_interpolates, tuple):  # ACGAN: (logits, class logits)
            disc_interpolates = disc_interpolates[0]
        gradients = tf.gradients(disc_interpolates, interpolates)[0]
        squares = tf.reduce_sum(tf.square(gradients),
                                axis=list(range(1, gradients.shape.ndims)))
        if isinstance(batch_size, int):
            squares.set_shape([batch_size] + squares.shape.as_list()[1:])
        slopes = tf.sqrt(squares + epsilon)  # epsilon inside the root keeps the grad finite
        penalties = slopes / target - 1.0
        if one_sided:
            penalties = tf.maximum(0., penalties)
        penalty = tf.losses.compute_weighted_loss(
            tf.square(penalties), weights, scope=scope, loss_collection=loss_collection,
            reduction=reduction)
        if add_summaries:
            tf.summary.scalar("gradient_penalty_loss", penalty)
        return penalty


def minimax_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                               label_smoothing=0.25, real_weights=1.0, generated_weights=1.0,
                               scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                               add_summaries=False):
    """Sigmoid cross entropy of D(x) against (smoothed) ones plus of D(G(z)) against zeros."""
    with tf.name_scope(scope, "discriminator_minimax_loss",
                       (discriminator_real_outputs, discriminator_gen_outputs, real_weights,
                        generated_weights, label_smoothing)) as scope:
        on_real = tf.losses.sigmoid_cross_entropy(
            tf.ones_like(discriminator_real_outputs), discriminator_real_outputs,
            real_weights, label_smoothing, scope, loss_collection=None, reduction=reduction)
        on_gen = tf.losses.sigmoid_cross_entropy(
            tf.zeros_like(discriminator_gen_outputs), discriminator_gen_outputs,
            generated_weights, scope=scope, loss_collection=None, reduction=reduction)
        loss = on_real + on_gen
        tf.losses.add_loss(loss, loss_collection)
        if add_summaries:
            tf.summary.scalar("discriminator_gen_minimax_loss", on_gen)
            tf.summary.scalar("discriminator_real_minimax_loss", on_real)
            tf.summary.scalar("discriminator_minimax_loss", loss)
    return loss


def minimax_generator_loss(discriminator_gen_outputs, label_smoothing=0.0, weights=1.0,
                           scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                           add_summaries=False):
    """The negated discriminator loss with ones standing in for the real outputs."""
    with tf.name_scope(scope, "generator_minimax_loss") as scope:
        loss = -minimax_discriminator_loss(
            tf.ones_like(discriminator_gen_outputs), discriminator_gen_outputs,
            label_smoothing, weights, weights, scope, loss_collection, reduction,
            add_summaries=False)
    if add_summaries:
        tf.summary.scalar("generator_minimax_loss", loss)
    return loss


def modified_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                label_smoothing=0.25, real_weights=1.0, generated_weights=1.0,
                                scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                                add_summaries=False):
    """The minimax discriminator loss under the scope 'discriminator_modified_loss'."""
    return minimax_discriminator_loss(
        discriminator_real_outputs, discriminator_gen_outputs, label_smoothing, real_weights,
        generated_weights, scope or "discriminator_modified_loss", loss_collection, reduction,
        add_summaries)


def modified_generator_loss(discriminator_gen_outputs, label_smoothing=0.0, weights=1.0,
                            scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                            add_summaries=False):
    """-log(sigmoid(D(G(z)))): sigmoid cross entropy against (smoothed) ones."""
    with tf.name_scope(scope, "generator_modified_loss", [discriminator_gen_outputs]) as scope:
        loss = tf.losses.sigmoid_cross_entropy(
            tf.ones_like(discriminator_gen_outputs), discriminator_gen_outputs, weights,
            label_smoothing, scope, loss_collection, reduction)
        if add_summaries:
            tf.summary.scalar("generator_modified_loss", loss)
    return loss


def least_squares_generator_loss(discriminator_gen_outputs, real_label=1, weights=1.0,
                                 scope=None, loss_collection=_LOSSES, reduction=_NONZERO,
                                 add_summaries=False):
    """(D(G(z)) - real_label)^2 / 2."""
    with tf.name_scope(scope, "lsq_generator_loss",
                       (discriminator_gen_outputs, real_label)) as scope:
        gen = _float(discriminator_gen_outputs)
        loss = tf.squared_difference(gen, tf.cast(real_label, tf.float32)) / 2.0
        loss = tf.losses.compute_weighted_loss(loss, weights, scope, loss_collection, reduction)
    if add_summaries:
        tf.summary.scalar("generator_lsq_loss", loss)
    return loss


def least_squares_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                     real_label=1, fake_label=0, real_weights=1.0,
                                     generated_weights=1.0, scope=None,
                                     loss_collection=_LOSSES, reduction=_NONZERO,
                                     add_summaries=False):
    """(D(x) - real_label)^2 / 2 + (D(G(z)) - fake_label)^2 / 2, each reduced."""
    with tf.name_scope(scope, "lsq_discriminator_loss",
                       (discriminator_gen_outputs, real_label)) as scope:
        real = _float(discriminator_real_outputs)
        gen = _float(discriminator_gen_outputs)
        _same_shape(real, gen)
        real_losses = tf.squared_difference(real, tf.cast(real_label, tf.float32)) / 2.0
        fake_losses = tf.squared_difference(gen, tf.cast(fake_label, tf.float32)) / 2.0
        on_real = tf.losses.compute_weighted_loss(real_losses, real_weights, scope,
                                                  loss_collection=None, reduction=reduction)
        on_gen = tf.losses.compute_weighted_loss(fake_losses, generated_weights, scope,
                                                 loss_collection=None, reduction=reduction)
        loss = on_real + on_gen
        tf.losses.add_loss(loss, loss_collection)
    if add_summaries:
        tf.summary.scalar("discriminator_gen_lsq_loss", on_gen)
        tf.summary.scalar("discriminator_real_lsq_loss", on_real)
        tf.summary.scalar("discriminator_lsq_loss", loss)
    return loss


def _validate_information_penalty_inputs(structured_generator_inputs, predicted_distributions):
    if not isinstance(predicted_distributions, (list, tuple)):
        raise ValueError("`distributions` must be a list or tuple. Instead, found "
                         f"{type(predicted_distributions)}.")
    for dist in predicted_distributions:
        # Duck-typed as TF does: anything with a callable log_prob.
        if not callable(getattr(dist, "log_prob", None)):
            raise ValueError("`distributions` must be a list of `Distributions`. Instead, "
                             f"found {type(dist)}.")
    if len(structured_generator_inputs) != len(predicted_distributions):
        raise ValueError(f"`structured_generator_inputs` length "
                         f"{len(structured_generator_inputs)} must be the same as "
                         f"`predicted_distributions` length {len(predicted_distributions)}.")


def mutual_information_penalty(structured_generator_inputs, predicted_distributions,
                               weights=1.0, scope=None, loss_collection=_LOSSES,
                               reduction=_NONZERO, add_summaries=False):
    """Minus the reduced mean log-likelihood of each structured input under its predicted
    distribution (InfoGAN)."""
    _validate_information_penalty_inputs(structured_generator_inputs, predicted_distributions)
    with tf.name_scope(scope, "mutual_information_loss") as scope:
        log_probs = [tf.reduce_mean(dist.log_prob(noise))
                     for dist, noise in zip(predicted_distributions,
                                            structured_generator_inputs)]
        loss = -1 * tf.losses.compute_weighted_loss(
            tf.stack(log_probs), weights, scope, loss_collection=loss_collection,
            reduction=reduction)
        if add_summaries:
            tf.summary.scalar("mutual_information_penalty", loss)
    return loss


def _stable_global_norm(tensors):
    """The global norm, computed on tensors scaled by their max |entry| to avoid overflow."""
    present = [t for t in tensors if t is not None]
    if not present:
        return 0.0
    list_max = tf.reduce_max(tf.stack([tf.reduce_max(tf.abs(t)) for t in present]))
    return list_max * tf.global_norm([t / list_max for t in present])


def _used_weight(weights):
    for w in weights:
        if w is not None:
            return tf.get_static_value(tf.convert_to_tensor(w))
    return None


def combine_adversarial_loss(main_loss, adversarial_loss, weight_factor=None,
                             gradient_ratio=None, gradient_ratio_epsilon=1e-6, variables=None,
                             scalar_summaries=True, gradient_summaries=True, scope=None):
    """main + w * adversarial, with w either ``weight_factor`` or chosen so the gradient norms
    have ratio ``gradient_ratio``; w is not differentiated through."""
    for loss in (main_loss, adversarial_loss):
        loss.shape.assert_is_compatible_with([])
    if weight_factor is None and gradient_ratio is None:
        raise ValueError("`weight_factor` and `gradient_ratio` cannot both be `None.`")
    if weight_factor is not None and gradient_ratio is not None:
        raise ValueError("`weight_factor` and `gradient_ratio` cannot both be specified.")
    if variables is None:
        variables = tf.trainable_variables()
    with tf.name_scope(scope, "adversarial_loss", values=[main_loss, adversarial_loss]):
        if gradient_summaries or gradient_ratio is not None:
            main_mag = _stable_global_norm(tf.gradients(main_loss, variables))
            adv_mag = _stable_global_norm(tf.gradients(adversarial_loss, variables))
        if scalar_summaries:
            tf.summary.scalar("main_loss", main_loss)
            tf.summary.scalar("adversarial_loss", adversarial_loss)
        if gradient_summaries:
            tf.summary.scalar("main_loss_gradients", main_mag)
            tf.summary.scalar("adversarial_loss_gradients", adv_mag)
        if _used_weight((weight_factor, gradient_ratio)) == 0:
            return main_loss  # a weight of exactly 0 skips the adversarial term
        if weight_factor is not None:
            return main_loss + tf.stop_gradient(weight_factor) * adversarial_loss
        adv_coeff = main_mag / (adv_mag + gradient_ratio_epsilon) / gradient_ratio
        tf.summary.scalar("adversarial_coefficient", adv_coeff)
        return main_loss + tf.stop_gradient(adv_coeff) * adversarial_loss


def cycle_consistency_loss(data_x, reconstructed_data_x, data_y, reconstructed_data_y,
                           scope=None, add_summaries=False):
    """(mean|x - G(F(x))| + mean|y - F(G(y))|) / 2 (CycleGAN)."""
    with tf.name_scope(scope, "cycle_consistency_loss",
                       values=[data_x, reconstructed_data_x, data_y, reconstructed_data_y]):
        loss_x2x = tf.losses.absolute_difference(data_x, reconstructed_data_x)
        loss_y2y = tf.losses.absolute_difference(data_y, reconstructed_data_y)
        loss = (loss_x2x + loss_y2y) / 2.0
        if add_summaries:
            tf.summary.scalar("cycle_consistency_loss_x2x", loss_x2x)
            tf.summary.scalar("cycle_consistency_loss_y2y", loss_y2y)
            tf.summary.scalar("cycle_consistency_loss", loss)
    return loss
