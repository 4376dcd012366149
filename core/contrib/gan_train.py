"""``tf.contrib.gan``'s model/loss/train-op/train helpers (TF 1.15's train.py): build the
generator under 'Generator' and the discriminator under 'Discriminator' (its call on real data
reusing the variables made by the call on generated data), combine losses, make one train op
per player over only that player's variables and update ops, and run them from hooks."""

from __future__ import annotations

import minitf as tf

from ..graph import GraphKeys
from ..train.session_run_hook import SessionRunHook
from . import gan_tuple_losses as tfgan_losses
from .gan_namedtuples import (ACGANModel, CycleGANLoss, CycleGANModel, GANLoss, GANModel,
                              GANTrainOps, GANTrainSteps, InfoGANModel)
from .training_loop import create_train_op, train

__all__ = ["RunTrainOpsHook", "acgan_model", "cyclegan_loss", "cyclegan_model", "gan_loss",
           "gan_model", "gan_train", "gan_train_ops", "get_joint_train_hooks",
           "get_sequential_train_hooks", "infogan_model"]


def _convert_tensor_or_l_or_d(value):
    """A tensor, or a list/tuple/dict of them, each converted to a Tensor."""
    if isinstance(value, (list, tuple)):
        return [tf.convert_to_tensor(x) for x in value]
    if isinstance(value, dict):
        return {k: tf.convert_to_tensor(v) for k, v in value.items()}
    return tf.convert_to_tensor(value)


def _trainable(scope):
    return tf.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope.name)


def _check_shapes(generated_data, real_data):
    if not generated_data.shape.is_compatible_with(real_data.shape):
        raise ValueError(f"Generator output shape ({generated_data.shape}) must be the same "
                         f"shape as real data ({real_data.shape}).")


def _build(generator_fn, discriminator_fn, real_data, generator_inputs, generator_scope,
           discriminator_scope, check_shapes, prepare_inputs=_convert_tensor_or_l_or_d,
           split=lambda out: out):
    with tf.variable_scope(generator_scope) as gen_scope:
        generator_inputs = prepare_inputs(generator_inputs)
        generated_data = generator_fn(generator_inputs)
    with tf.variable_scope(discriminator_scope) as dis_scope:
        gen_out = split(discriminator_fn(generated_data, generator_inputs))
    with tf.variable_scope(dis_scope, reuse=True):
        real_data = tf.convert_to_tensor(real_data)
        real_out = split(discriminator_fn(real_data, generator_inputs))
    if check_shapes:
        _check_shapes(generated_data, real_data)
    return (generator_inputs, generated_data, gen_scope, dis_scope, real_data, gen_out,
            real_out)


def gan_model(generator_fn, discriminator_fn, real_data, generator_inputs,
              generator_scope="Generator", discriminator_scope="Discriminator",
              check_shapes=True):
    """A GANModel: G(generator_inputs) and D on generated and on real data."""
    inputs, generated, gen_scope, dis_scope, real, d_gen, d_real = _build(
        generator_fn, discriminator_fn, real_data, generator_inputs, generator_scope,
        discriminator_scope, check_shapes)
    return GANModel(inputs, generated, _trainable(gen_scope), gen_scope, generator_fn, real,
                    d_real, d_gen, _trainable(dis_scope), dis_scope, discriminator_fn)


def _validate_distributions(distributions, structured_inputs):
    if not isinstance(distributions, (list, tuple)):
        raise ValueError("`predicted_distributions` must be a list. Instead, found "
                         f"{type(distributions)}.")
    if len(distributions) != len(structured_inputs):
        raise ValueError(f"Length of `predicted_distributions` {len(distributions)} must be "
                         f"the same as the length of structured noise "
                         f"{len(structured_inputs)}.")


def infogan_model(generator_fn, discriminator_fn, real_data, unstructured_generator_inputs,
                  structured_generator_inputs, generator_scope="Generator",
                  discriminator_scope="Discriminator"):
    """An InfoGANModel: the generator sees unstructured + structured inputs; the
    discriminator returns (logits, predicted distributions of the structured inputs)."""
    parts = {}

    def prepare(_):
        parts["unstructured"] = _to_list(unstructured_generator_inputs)
        parts["structured"] = _to_list(structured_generator_inputs)
        return parts["unstructured"] + parts["structured"]

    dists = {}

    def split(out):
        logits, predicted = out
        dists.setdefault("gen", predicted)
        return logits

    inputs, generated, gen_scope, dis_scope, real, d_gen, d_real = _build(
        generator_fn, discriminator_fn, real_data, None, generator_scope, discriminator_scope,
        True, prepare, split)
    _validate_distributions(dists["gen"], parts["structured"])
    return InfoGANModel(inputs, generated, _trainable(gen_scope), gen_scope, generator_fn, real,
                        d_real, d_gen, _trainable(dis_scope), dis_scope,
                        lambda x, y: discriminator_fn(x, y)[0],  # the plain GAN signature
                        parts["structured"], dists["gen"], discriminator_fn)


def _to_list(value):
    converted = _convert_tensor_or_l_or_d(value)
    return list(converted) if isinstance(converted, list) else [converted]


def _acgan_split(outputs):
    try:
        logits, class_logits = outputs
    except (TypeError, ValueError):
        raise TypeError("A discriminator function for ACGAN must output a tuple consisting "
                        "of (discrimination logits, classification logits).") from None
    return logits, class_logits


def acgan_model(generator_fn, discriminator_fn, real_data, generator_inputs, one_hot_labels,
                generator_scope="Generator", discriminator_scope="Discriminator",
                check_shapes=True):
    """An ACGANModel: the discriminator returns (real/fake logits, class logits)."""
    inputs, generated, gen_scope, dis_scope, real, d_gen, d_real = _build(
        generator_fn, discriminator_fn, real_data, generator_inputs, generator_scope,
        discriminator_scope, check_shapes, split=_acgan_split)
    return ACGANModel(inputs, generated, _trainable(gen_scope), gen_scope, generator_fn, real,
                      d_real[0], d_gen[0], _trainable(dis_scope), dis_scope, discriminator_fn,
                      one_hot_labels, d_real[1], d_gen[1])


def cyclegan_model(generator_fn, discriminator_fn, data_x, data_y, generator_scope="Generator",
                   discriminator_scope="Discriminator", model_x2y_scope="ModelX2Y",
                   model_y2x_scope="ModelY2X", check_shapes=True):
    """A CycleGANModel: a GAN X->Y under ``model_x2y_scope``, one Y->X under
    ``model_y2x_scope`` and each generator applied to the other's output."""
    with tf.variable_scope(model_x2y_scope):
        x2y = gan_model(generator_fn, discriminator_fn, data_y, data_x, generator_scope,
                        discriminator_scope, check_shapes)
    with tf.variable_scope(model_y2x_scope):
        y2x = gan_model(generator_fn, discriminator_fn, data_x, data_y, generator_scope,
                        discriminator_scope, check_shapes)
    with tf.variable_scope(y2x.generator_scope, reuse=True):
        reconstructed_x = y2x.generator_fn(x2y.generated_data)
    with tf.variable_scope(x2y.generator_scope, reuse=True):
        reconstructed_y = x2y.generator_fn(y2x.generated_data)
    return CycleGANModel(x2y, y2x, reconstructed_x, reconstructed_y)


def _validate_aux_loss_weight(weight, name):
    if isinstance(weight, tf.Tensor):
        weight.shape.assert_is_compatible_with([])
        with tf.control_dependencies([tf.assert_greater_equal(weight, 0.0)]):
            weight = tf.identity(weight)
    elif weight is not None and weight < 0:
        raise ValueError(f"`{name}` must be greater than 0. Instead, was {weight}")
    return weight


def _use_aux_loss(weight):
    if weight is None:
        return False
    return True if isinstance(weight, tf.Tensor) else weight > 0


def _tensor_pool_adjusted_model(model, tensor_pool_fn):
    """``model`` with the discriminator's generated-data outputs recomputed on pooled data."""
    if tensor_pool_fn is None:
        return model
    data, inputs = tensor_pool_fn((model.generated_data, model.generator_inputs))
    with tf.variable_scope(model.discriminator_scope, reuse=True):
        if isinstance(model, GANModel):
            return model._replace(discriminator_gen_outputs=model.discriminator_fn(data, inputs))
        if isinstance(model, ACGANModel):
            out, cls = model.discriminator_fn(data, inputs)
            return model._replace(discriminator_gen_outputs=out,
                                  discriminator_gen_classification_logits=cls)
        if isinstance(model, InfoGANModel):
            out, dists = model.discriminator_and_aux_fn(data, inputs)
            return model._replace(discriminator_gen_outputs=out, predicted_distributions=dists)
    raise ValueError(f"Tensor pool does not support `model`: {type(model)}.")


def gan_loss(model, generator_loss_fn=tfgan_losses.wasserstein_generator_loss,
             discriminator_loss_fn=tfgan_losses.wasserstein_discriminator_loss,
             gradient_penalty_weight=None, gradient_penalty_epsilon=1e-10,
             mutual_information_penalty_weight=None, aux_cond_generator_weight=None,
             aux_cond_discriminator_weight=None, tensor_pool_fn=None, add_summaries=True):
    """A GANLoss: the two adversarial losses plus the weighted optional penalties and each
    player's regularization losses (those under its scope)."""
    gp_weight = _validate_aux_loss_weight(gradient_penalty_weight, "gradient_penalty_weight")
    mi_weight = _validate_aux_loss_weight(mutual_information_penalty_weight, "infogan_weight")
    acg_weight = _validate_aux_loss_weight(aux_cond_generator_weight,
                                           "aux_cond_generator_weight")
    acd_weight = _validate_aux_loss_weight(aux_cond_discriminator_weight,
                                           "aux_cond_discriminator_weight")
    if _use_aux_loss(mi_weight) and not isinstance(model, InfoGANModel):
        raise ValueError("When `mutual_information_penalty_weight` is provided, `model` must "
                         f"be an `InfoGANModel`. Instead, was {type(model)}.")
    if ((_use_aux_loss(acg_weight) or _use_aux_loss(acd_weight))
            and not isinstance(model, ACGANModel)):
        raise ValueError("When `aux_cond_generator_weight` or `aux_cond_discriminator_weight` "
                         "is provided, `model` must be an `ACGANModel`. Instead, was "
                         f"{type(model)}.")
    gen_loss = generator_loss_fn(model, add_summaries=add_summaries)
    dis_loss = discriminator_loss_fn(_tensor_pool_adjusted_model(model, tensor_pool_fn),
                                     add_summaries=add_summaries)
    if _use_aux_loss(gp_weight):
        gp = tfgan_losses.wasserstein_gradient_penalty(
            model, epsilon=gradient_penalty_epsilon, add_summaries=add_summaries)
        dis_loss += gp_weight * gp
    if _use_aux_loss(mi_weight):
        info = tfgan_losses.mutual_information_penalty(model, add_summaries=add_summaries)
        dis_loss += mi_weight * info
        gen_loss += mi_weight * info
    if _use_aux_loss(acg_weight):
        gen_loss += acg_weight * tfgan_losses.acgan_generator_loss(
            model, add_summaries=add_summaries)
    if _use_aux_loss(acd_weight):
        dis_loss += acd_weight * tfgan_losses.acgan_discriminator_loss(
            model, add_summaries=add_summaries)
    gen_reg = (tf.losses.get_regularization_loss(model.generator_scope.name)
               if model.generator_scope else 0)
    dis_reg = (tf.losses.get_regularization_loss(model.discriminator_scope.name)
               if model.discriminator_scope else 0)
    return GANLoss(gen_loss + gen_reg, dis_loss + dis_reg)


def cyclegan_loss(model, generator_loss_fn=tfgan_losses.least_squares_generator_loss,
                  discriminator_loss_fn=tfgan_losses.least_squares_discriminator_loss,
                  cycle_consistency_loss_fn=tfgan_losses.cycle_consistency_loss,
                  cycle_consistency_loss_weight=10.0, tensor_pool_fn=None,
                  add_summaries=True):
    """A CycleGANLoss: gan_loss of each direction, each generator loss plus the weighted
    cycle-consistency loss."""
    if not isinstance(model, CycleGANModel):
        raise ValueError(f"`model` must be a `CycleGANModel`. Instead, was {type(model)}.")
    weight = _validate_aux_loss_weight(cycle_consistency_loss_weight,
                                       "cycle_consistency_loss_weight")

    def partial(m):
        return gan_loss(m, generator_loss_fn=generator_loss_fn,
                        discriminator_loss_fn=discriminator_loss_fn,
                        tensor_pool_fn=tensor_pool_fn, add_summaries=add_summaries)

    with tf.name_scope("cyclegan_loss_x2y"):
        loss_x2y = partial(model.model_x2y)
    with tf.name_scope("cyclegan_loss_y2x"):
        loss_y2x = partial(model.model_y2x)
    with tf.name_scope("cycle_loss"):
        cycle = cycle_consistency_loss_fn(model, add_summaries=add_summaries)
    if _use_aux_loss(weight):
        loss_x2y = loss_x2y._replace(generator_loss=loss_x2y.generator_loss + weight * cycle)
        loss_y2x = loss_y2x._replace(generator_loss=loss_y2x.generator_loss + weight * cycle)
    return CycleGANLoss(loss_x2y, loss_y2x)


def _get_update_ops(kwargs, gen_scope, dis_scope, check_for_unused_ops=True):
    """The UPDATE_OPS (or ``kwargs['update_ops']``, removed) split by player scope."""
    if "update_ops" in kwargs:
        update_ops = set(kwargs.pop("update_ops"))
    else:
        update_ops = set(tf.get_collection(GraphKeys.UPDATE_OPS))
    all_gen = set(tf.get_collection(GraphKeys.UPDATE_OPS, gen_scope))
    all_dis = set(tf.get_collection(GraphKeys.UPDATE_OPS, dis_scope))
    if check_for_unused_ops:
        unused = update_ops - all_gen - all_dis
        if unused:
            names = sorted(getattr(o, "name", str(o)) for o in unused)
            raise ValueError(f"There are unused update ops: {names}")
    by_name = lambda ops: sorted(ops, key=lambda o: getattr(o, "name", str(o)))  # noqa: E731
    return by_name(all_gen & update_ops), by_name(all_dis & update_ops)


def gan_train_ops(model, loss, generator_optimizer, discriminator_optimizer,
                  check_for_unused_update_ops=True, is_chief=True, **kwargs):
    """A GANTrainOps: create_train_op for each player (its own optimizer, variables and
    update ops; neither increments the global step) and the global-step increment.
    ``kwargs`` go to create_train_op (transform_grads_fn, summarize_gradients, ...)."""
    del is_chief  # only used by TF's SyncReplicasOptimizer path
    if isinstance(model, CycleGANModel):
        if not isinstance(loss, CycleGANLoss):
            raise ValueError("A CycleGANModel needs a CycleGANLoss. Instead, was "
                             f"{type(loss)}.")
        with tf.name_scope("cyclegan_x2y_train"):
            x2y = gan_train_ops(model.model_x2y, loss.loss_x2y, generator_optimizer,
                                discriminator_optimizer, check_for_unused_update_ops,
                                **dict(kwargs))
        with tf.name_scope("cyclegan_y2x_train"):
            y2x = gan_train_ops(model.model_y2x, loss.loss_y2x, generator_optimizer,
                                discriminator_optimizer, check_for_unused_update_ops,
                                **dict(kwargs))
        return GANTrainOps((x2y.generator_train_op, y2x.generator_train_op),
                           (x2y.discriminator_train_op, y2x.discriminator_train_op),
                           x2y.global_step_inc_op)
    if not isinstance(loss, GANLoss):
        raise ValueError(f"`loss` must be a `GANLoss`. Instead, was {type(loss)}.")
    global_step = tf.train.get_or_create_global_step()
    global_step_inc = global_step.assign_add(1)
    gen_updates, dis_updates = _get_update_ops(
        kwargs, model.generator_scope.name, model.discriminator_scope.name,
        check_for_unused_update_ops)
    with tf.name_scope("generator_train"):
        gen_train_op = create_train_op(
            total_loss=loss.generator_loss, optimizer=generator_optimizer,
            variables_to_train=model.generator_variables, global_step=None,
            update_ops=gen_updates, **kwargs)
    with tf.name_scope("discriminator_train"):
        dis_train_op = create_train_op(
            total_loss=loss.discriminator_loss, optimizer=discriminator_optimizer,
            variables_to_train=model.discriminator_variables, global_step=None,
            update_ops=dis_updates, **kwargs)
    return GANTrainOps(gen_train_op, dis_train_op, global_step_inc)


class RunTrainOpsHook(SessionRunHook):
    """Runs ``train_ops`` ``train_steps`` times before every step of the session."""

    def __init__(self, train_ops, train_steps):
        if not isinstance(train_ops, (list, tuple)):
            train_ops = [train_ops]
        self._train_ops = train_ops
        self._train_steps = train_steps

    def before_run(self, run_context):
        for _ in range(self._train_steps):
            run_context.session.run(self._train_ops)


_ONE_EACH = GANTrainSteps(1, 1)


def get_sequential_train_hooks(train_steps=_ONE_EACH):
    """A function of GANTrainOps giving hooks that run the generator op
    ``generator_train_steps`` times, then the discriminator op its number of times."""
    def get_hooks(train_ops):
        return [RunTrainOpsHook(train_ops.generator_train_op, train_steps.generator_train_steps),
                RunTrainOpsHook(train_ops.discriminator_train_op,
                                train_steps.discriminator_train_steps)]
    return get_hooks


def get_joint_train_hooks(train_steps=_ONE_EACH):
    """Like get_sequential_train_hooks, but min(g, d) steps run both ops in one session call,
    then the remaining generator-only, then discriminator-only steps."""
    g_steps = train_steps.generator_train_steps
    d_steps = train_steps.discriminator_train_steps
    joint = min(g_steps, d_steps)

    def get_hooks(train_ops):
        g_op, d_op = train_ops.generator_train_op, train_ops.discriminator_train_op
        return [RunTrainOpsHook([g_op, d_op], joint), RunTrainOpsHook(g_op, g_steps - joint),
                RunTrainOpsHook(d_op, d_steps - joint)]
    return get_hooks


_SEQUENTIAL_HOOKS = get_sequential_train_hooks()


def gan_train(train_ops, logdir, get_hooks_fn=_SEQUENTIAL_HOOKS, master="",
              is_chief=True, scaffold=None, hooks=None, chief_only_hooks=None,
              save_checkpoint_secs=600, save_summaries_steps=100, config=None):
    """contrib.training.train of the global-step increment with the GAN hooks (plus
    ``hooks``); returns what train returns."""
    new_hooks = list(get_hooks_fn(train_ops)) + list(getattr(train_ops, "train_hooks", ()))
    hooks = list(hooks) + new_hooks if hooks is not None else new_hooks
    return train(train_ops.global_step_inc_op, logdir, master=master, is_chief=is_chief,
                 scaffold=scaffold, hooks=hooks, chief_only_hooks=chief_only_hooks,
                 save_checkpoint_secs=save_checkpoint_secs,
                 save_summaries_steps=save_summaries_steps, config=config)
