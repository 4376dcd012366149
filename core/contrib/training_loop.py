"""``tf.contrib.training``'s train-op helpers and loop: ``create_train_op`` returns the loss
after the update (so one fetch both trains and reports), ``train`` runs it in a
MonitoredTrainingSession until a hook stops it (TF 1.x's contrib/training/python/training)."""

from .. import summary
from .. import tf_logging as logging
from ..clip_ops import clip_by_norm, global_norm
from ..distributions_util import with_dependencies
from ..graph import GraphKeys, control_dependencies, get_collection, get_collection_ref, name_scope
from ..indexed_slices import IndexedSlices
from ..ops.array_ops import no_op
from ..ops.logic_ops import check_numerics as _check_numerics
from ..tensor_conversion import convert_to_tensor
from ..train.monitored_session import MonitoredTrainingSession
from ..train.optimizer import Optimizer
from ..train.step import get_or_create_global_step
from ..variables import trainable_variables

__all__ = ["add_gradients_summaries", "clip_gradient_norms", "clip_gradient_norms_fn",
           "create_train_op", "multiply_gradients", "train"]

_USE_GLOBAL_STEP = 0


def add_gradients_summaries(grads_and_vars):
    """A histogram and a global-norm scalar summary of each gradient (``<var>_gradient``)."""
    summaries = []
    for grad, var in grads_and_vars:
        if grad is None:
            logging.info("Var %s has no gradient", var.op.name)
            continue
        values = grad.values if isinstance(grad, IndexedSlices) else grad
        summaries.append(summary.histogram(var.op.name + "_gradient", values))
        summaries.append(summary.scalar(var.op.name + "_gradient_norm", global_norm([values])))
    return summaries


def _map_grad(grad, fn):
    if isinstance(grad, IndexedSlices):
        return IndexedSlices(fn(grad.values), grad.indices, grad.dense_shape)
    return fn(grad)


def clip_gradient_norms(gradients_to_variables, max_norm):
    """Each gradient clipped to L2 norm ``max_norm`` (an IndexedSlices' values)."""
    return [(None if g is None else _map_grad(g, lambda t: clip_by_norm(t, max_norm)), v)
            for g, v in gradients_to_variables]


def clip_gradient_norms_fn(max_norm):
    """A ``transform_grads_fn`` clipping each gradient to ``max_norm``."""
    return lambda gradients_to_variables: clip_gradient_norms(gradients_to_variables, max_norm)


def multiply_gradients(grads_and_vars, gradient_multipliers):
    """Scales the gradients of the variables (or variable op names) ``gradient_multipliers``
    maps to a coefficient."""
    if not isinstance(grads_and_vars, list):
        raise ValueError("`grads_and_vars` must be a list.")
    if not gradient_multipliers:
        raise ValueError("`gradient_multipliers` is empty.")
    if not isinstance(gradient_multipliers, dict):
        raise ValueError("`gradient_multipliers` must be a dict.")
    out = []
    for grad, var in grads_and_vars:
        key = var if var in gradient_multipliers else var.op.name
        if key in gradient_multipliers:
            if grad is None:
                raise ValueError("Requested multiple of `None` gradient.")
            scale = gradient_multipliers[key]
            grad = _map_grad(grad, lambda t, s=scale: t * convert_to_tensor(s, dtype=t.dtype))
        out.append((grad, var))
    return out


def create_train_op(total_loss, optimizer, global_step=_USE_GLOBAL_STEP, update_ops=None,
                    variables_to_train=None, transform_grads_fn=None, summarize_gradients=False,
                    gate_gradients=Optimizer.GATE_OP, aggregation_method=None,
                    colocate_gradients_with_ops=False, check_numerics=True):
    """A tensor that applies ``optimizer``'s update (after ``update_ops``, UPDATE_OPS by
    default) and evaluates to ``total_loss``; added to the TRAIN_OP collection."""
    if global_step is _USE_GLOBAL_STEP:
        global_step = get_or_create_global_step()
    graph_updates = set(get_collection(GraphKeys.UPDATE_OPS))
    update_ops = graph_updates if update_ops is None else set(update_ops)
    if not graph_updates.issubset(update_ops):
        logging.warning("update_ops in create_train_op does not contain all the update_ops "
                        "in GraphKeys.UPDATE_OPS")
    if update_ops:
        with control_dependencies(sorted(update_ops, key=lambda op: op.name)):
            barrier = no_op(name="update_barrier")
        total_loss = with_dependencies([barrier], total_loss)
    if variables_to_train is None:
        variables_to_train = trainable_variables()
    if not variables_to_train:
        raise ValueError("No variables to train: create_train_op needs trainable variables or "
                         "variables_to_train.")
    grads = optimizer.compute_gradients(
        total_loss, variables_to_train, gate_gradients=gate_gradients,
        aggregation_method=aggregation_method,
        colocate_gradients_with_ops=colocate_gradients_with_ops)
    if transform_grads_fn:
        grads = transform_grads_fn(grads)
    if summarize_gradients:
        with name_scope("summarize_grads"):
            add_gradients_summaries(grads)
    grad_updates = optimizer.apply_gradients(grads, global_step=global_step)
    with name_scope("train_op"):
        if check_numerics:
            total_loss = _check_numerics(total_loss, "LossTensor is inf or nan")
        train_op = with_dependencies([grad_updates], total_loss)
    train_ops = get_collection_ref(GraphKeys.TRAIN_OP)
    if train_op not in train_ops:
        train_ops.append(train_op)
    return train_op



def train(train_op, logdir, master="", is_chief=True, scaffold=None, hooks=None,
          chief_only_hooks=None, save_checkpoint_secs=600, save_summaries_steps=100,
          config=None, max_wait_secs=7200, run_metadata=None):
    """Runs ``train_op`` in a MonitoredTrainingSession on ``logdir`` until a hook asks to
    stop; returns the last loss (None if no step ran)."""
    if logdir is None and is_chief:
        if save_summaries_steps:
            raise ValueError("logdir cannot be None when save_summaries_steps is not None")
        if save_checkpoint_secs:
            raise ValueError("logdir cannot be None when save_checkpoint_secs is not None")
    loss = None
    with MonitoredTrainingSession(
            master=master, is_chief=is_chief, checkpoint_dir=logdir, scaffold=scaffold,
            hooks=hooks, chief_only_hooks=chief_only_hooks,
            save_checkpoint_secs=save_checkpoint_secs,
            save_summaries_steps=save_summaries_steps, config=config,
            max_wait_secs=max_wait_secs) as session:
        while not session.should_stop():
            loss = session.run(train_op, run_metadata=run_metadata)
    return loss
