"""``tf.mixed_precision`` (TF1's, as ``tf.compat.v1.mixed_precision`` in TensorFlow 2.21): the
loss scales, MixedPrecisionLossScaleOptimizer, and the graph-rewrite switches.

The optimizer wraps a ``tf.train.Optimizer``: ``compute_gradients`` multiplies the loss by the
loss scale and divides the gradients by it; ``apply_gradients`` with a dynamic loss scale builds
one op that updates the loss scale from the gradients and applies them (through the wrapped
optimizer, named ``<name>-wrapped``) only when every one is finite, as TensorFlow's does with a
cond. So one ``sess.run(train_op)`` both trains and adjusts the scale, and a step whose gradient
is inf or NaN changes no variable (and no ``global_step``) but halves the scale.

``enable_mixed_precision_graph_rewrite`` wraps the optimizer as TensorFlow does. TensorFlow's
rewrite itself (float32 ops turned float16 by Grappler) runs only on NVIDIA GPUs; on a CPU it
leaves the graph as it is, which is what minitf does everywhere: no float16 rewrite here.
"""

from __future__ import annotations

from . import mixed_precision_experimental as experimental
from . import config as _config
from . import tf_logging as logging
from .control_flow import cond
from .graph import Tensor, convert_to_tensor, get_default_graph
from .indexed_slices import IndexedSlices
from .mixed_precision_loss_scale import DynamicLossScale, FixedLossScale, LossScale
from .mixed_precision_loss_scale import get as _get_loss_scale
from .ops.constant_ops import group, no_op
from .ops.math_ops import cast
from .train.optimizer import Optimizer

__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale",
           "MixedPrecisionLossScaleOptimizer", "disable_mixed_precision_graph_rewrite",
           "enable_mixed_precision_graph_rewrite", "experimental"]


class MixedPrecisionLossScaleOptimizer(Optimizer):
    """An optimizer applying loss scaling to another: the loss is multiplied by the loss
    scale before differentiation and each gradient divided by it after, so small float16
    gradients do not underflow on the way. ``loss_scale``: a LossScale, a number (fixed) or
    ``"dynamic"``.

    As in TensorFlow, the wrapper has no slots of its own: ``get_slot`` and
    ``get_slot_names`` look in the wrapper (None and []); ask the wrapped optimizer for its
    slots. ``variables()`` gives the wrapped optimizer's variables and the loss scale's."""

    def __init__(self, opt, loss_scale):
        if not isinstance(opt, Optimizer):
            raise ValueError(f'"opt" must be an instance of Optimizer, but got: {type(opt)}')
        self._optimizer = opt
        super().__init__(opt._use_locking, opt.get_name())
        self._loss_scale = _get_loss_scale(loss_scale)
        if self._loss_scale is None:
            raise ValueError("loss_scale cannot be None")

    def _doing_dynamic_loss_scaling(self) -> bool:
        return isinstance(self._loss_scale, DynamicLossScale)

    def compute_gradients(self, loss, var_list=None, gate_gradients=Optimizer.GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """The wrapped optimizer's ``[(gradient, variable)]`` of the scaled loss, each
        gradient divided by the loss scale again (None gradients kept)."""
        grads_and_vars = self._optimizer.compute_gradients(
            loss=self._scale_loss(loss), var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        grads = [g for g, _ in grads_and_vars]
        return list(zip(self._unscale_grads(grads), [v for _, v in grads_and_vars]))

    def _scale_loss(self, loss):
        loss_scale = self._loss_scale()
        if callable(loss):
            def new_loss():
                value = loss()
                return value * cast(loss_scale, value.dtype)
            return new_loss
        loss = loss if isinstance(loss, Tensor) else convert_to_tensor(loss)
        return loss * cast(loss_scale, loss.dtype)

    def _unscale_grads(self, grads):
        reciprocal = 1 / self._loss_scale()
        return [None if g is None else _scale_grad(g, reciprocal) for g in grads]

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """An op applying the gradients if all of them are finite (then also incrementing
        ``global_step``) and updating a dynamic loss scale. A fixed loss scale: the wrapped
        optimizer's own ``apply_gradients``."""
        if not self._doing_dynamic_loss_scaling():
            return self._optimizer.apply_gradients(grads_and_vars, global_step, name)
        grads_and_vars = tuple(grads_and_vars)
        name = name if name is not None else self.get_name()
        loss_scale_update_op, should_apply_grads = self._loss_scale.update(
            [g for g, _ in grads_and_vars])

        def apply_fn():
            # TF builds this branch as a function graph, whose name scope starts at the root:
            # so the wrapped optimizer's own variables are ``beta1_power``, not
            # ``cond_1/beta1_power``, and its op ``<name>-wrapped``. Checkpoints match TF's.
            with get_default_graph().name_scope(None):
                return self._optimizer.apply_gradients(grads_and_vars, global_step,
                                                       name + "-wrapped")

        if isinstance(should_apply_grads, bool):  # TF's smart_cond: a constant decides now
            maybe_apply_op = apply_fn() if should_apply_grads else no_op()
        else:
            maybe_apply_op = cond(should_apply_grads, apply_fn, no_op)
        return group(maybe_apply_op, loss_scale_update_op, name=name)

    def _apply_sparse(self, grad, var):
        raise RuntimeError("This function should never be called")

    def _apply_dense(self, grad, var):
        raise RuntimeError("This function should never be called")

    def _resource_apply_sparse(self, grad, handle, indices):
        raise RuntimeError("This function should never be called")

    def _resource_apply_dense(self, grad, handle):
        raise RuntimeError("This function should never be called")

    def variables(self):
        """The wrapped optimizer's variables (current graph), then the loss scale's (all)."""
        return self._optimizer.variables() + list(self._loss_scale._weights.values())


def _scale_grad(grad, reciprocal):
    if isinstance(grad, IndexedSlices):
        return IndexedSlices(grad.values * reciprocal, grad.indices, grad.dense_shape)
    return grad * reciprocal


# What each wrappable optimizer class is wrapped with, as TF's registry (TF also registers
# Keras's optimizer; minitf has no Keras).
_REGISTERED_WRAPPER_OPTIMIZER_CLS = {
    Optimizer: (MixedPrecisionLossScaleOptimizer,) * 2,
}

_graph_rewrite_enabled = False


def _wrap_optimizer(opt, loss_scale):
    for _, wrapper_cls in _REGISTERED_WRAPPER_OPTIMIZER_CLS.values():
        if isinstance(opt, wrapper_cls):
            raise ValueError(f'"opt" must not already be an instance of a '
                             f'{wrapper_cls.__name__}. `enable_mixed_precision_graph_rewrite` '
                             f'will automatically wrap the optimizer with a '
                             f'{wrapper_cls.__name__}.')
    for optimizer_cls, (wrapper_fn, _) in _REGISTERED_WRAPPER_OPTIMIZER_CLS.items():
        if isinstance(opt, optimizer_cls):
            return wrapper_fn(opt, loss_scale)
    raise ValueError('"opt" must be an instance of a tf.train.Optimizer or a '
                     f"tf.keras.optimizers.Optimizer, but got: {opt}")


def enable_mixed_precision_graph_rewrite(opt, loss_scale="dynamic"):
    """``opt`` wrapped in a MixedPrecisionLossScaleOptimizer with ``loss_scale``, and the
    rewrite marked enabled. TensorFlow's float16 graph rewrite only acts on NVIDIA Tensor Core
    GPUs and leaves CPU graphs untouched; minitf runs on the CPU, so only the loss scaling
    happens (as TensorFlow on a CPU). Compute gradients with the returned optimizer, not with
    ``tf.gradients``, so they are scaled."""
    global _graph_rewrite_enabled
    opt = _wrap_optimizer(opt, loss_scale)
    _config.optimizer.set_experimental_options({"auto_mixed_precision": True})  # as TF
    _graph_rewrite_enabled = True
    return opt


def disable_mixed_precision_graph_rewrite():
    """Marks the rewrite disabled (TF warns when it already is). Optimizers already wrapped
    keep scaling their losses."""
    global _graph_rewrite_enabled
    if not _graph_rewrite_enabled:
        logging.warning("disable_mixed_precision_graph_rewrite() called when mixed precision "
                        "is already disabled.")
    _config.optimizer.set_experimental_options({"auto_mixed_precision": False})
    _graph_rewrite_enabled = False


def is_mixed_precision_graph_rewrite_enabled() -> bool:
    """Whether enable_mixed_precision_graph_rewrite is in effect (TF's internal query)."""
    return _graph_rewrite_enabled
