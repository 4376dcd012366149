"""TF's Python compositions in ``tf.nn`` built from existing ops: ``conv_transpose`` (the
dispatcher to the 1-D/2-D/3-D transposed convolutions), ``compute_average_loss`` and
``scale_regularization_loss`` (without a distribution strategy: one replica), and
``batch_norm_with_global_normalization`` (TF composes it from ``batch_normalization``: TF
refuses to build its old BatchNormWithGlobalNormalization op from GraphDef version 9 on; that op
is registered in core/ops/nn_extra_ops.py for older GraphDefs). Exported to tf.nn through
core/ops/nn_extra_ops.py's ``__all__``."""

from __future__ import annotations

from collections.abc import Sized

from . import dtypes as _dt
from .check_ops import assert_integer, assert_scalar
from .graph import Tensor, control_dependencies, convert_to_tensor, name_scope
from .nn_conv3d import conv1d_transpose, conv3d_transpose
from .nn_impl import batch_normalization
from .ops import array_ops, logic_ops, math_ops, reduction_ops, transform_ops
from .ops._conv_util import _alias
from .ops.conv_ops import conv2d_transpose
from .ops.logging_ops import assert_greater_equal, assert_non_negative

__all__ = ["batch_norm_with_global_normalization", "compute_average_loss", "conv_transpose",
           "scale_regularization_loss"]

_NUM_REPLICAS = 1  # no distribution strategy: the default strategy's one replica


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None,
                                         variance_epsilon=None, scale_after_normalization=None,
                                         name=None, input=None, mean=None,  # noqa: A002
                                         variance=None):
    """``tf.nn.batch_norm_with_global_normalization`` (TF1): ``batch_normalization`` with
    ``gamma`` as the scale only when ``scale_after_normalization``, as TF composes it."""
    t = _alias("input", input, "t", t)
    m = _alias("mean", mean, "m", m)
    v = _alias("variance", variance, "v", v)
    return batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                               variance_epsilon, name)


def conv_transpose(input, filters, output_shape, strides, padding="SAME",  # noqa: A002
                   data_format=None, dilations=None, name=None):
    """``tf.nn.conv_transpose``: conv1d/2d/3d_transpose by the length of ``output_shape``
    (3, 4 or 5), the op named after the "conv_transpose" scope."""
    with name_scope(name, "conv_transpose", [input, filters, output_shape]) as scope:
        if isinstance(output_shape, Tensor):
            n = output_shape.shape[0].value - 2 if output_shape.shape.rank == 1 and \
                output_shape.shape[0].value is not None else None
        elif isinstance(output_shape, Sized):
            n = len(output_shape) - 2
        else:
            raise ValueError(f"`output_shape` must be a tensor or sized collection. Received: "
                             f"output_shape={output_shape}")
        if n is None or not 1 <= n <= 3:
            length = None if n is None else n + 2
            raise ValueError(f"`output_shape` must be of length 3, 4 or 5. Received: "
                             f"output_shape={output_shape} of length {length}.")
        if n == 2:
            return conv2d_transpose(input, filters, output_shape, strides, padding=padding,
                                    data_format=data_format or "NHWC", dilations=dilations,
                                    name=scope)
        fn = conv1d_transpose if n == 1 else conv3d_transpose
        return fn(input, filters, output_shape, strides, padding=padding,
                  data_format=data_format, dilations=dilations, name=scope)


def _rank_checked(per_example_loss):
    """TF's check_per_example_loss_rank: rank 0 is refused at construction; an unknown rank
    gets a run-time check the loss depends on."""
    rank = per_example_loss.shape.rank
    if rank == 0:
        raise ValueError(f"Invalid value passed for `per_example_loss`. Expected a tensor with "
                         f"at least rank 1. Received per_example_loss={per_example_loss} with "
                         f"rank {rank}")
    if rank is not None:
        return []
    return [assert_greater_equal(array_ops.rank(per_example_loss), math_ops.cast(1, _dt.int32),
                                 message="Invalid value passed for `per_example_loss`. "
                                 "Expected a tensor with at least rank 1.")]


def _match_weight_rank(losses, weight):
    """TF's squeeze_or_expand_dimensions for a sample weight: squeeze or expand its last dim
    when its rank is one more or one less than the losses' (a scalar is left as is)."""
    from .control_flow import cond

    lr, wr = losses.shape.rank, weight.shape.rank
    if wr == 0:
        return weight
    if lr is not None and wr is not None:
        if wr - lr == 1:
            return transform_ops.squeeze(weight, [-1])
        return transform_ops.expand_dims(weight, -1) if lr - wr == 1 else weight
    diff = array_ops.rank(weight) - array_ops.rank(losses)

    def adjust():
        return cond(logic_ops.equal(diff, 1), lambda: transform_ops.squeeze(weight, [-1]),
                    lambda: cond(logic_ops.equal(diff, -1),
                                 lambda: transform_ops.expand_dims(weight, -1), lambda: weight))

    return cond(logic_ops.equal(array_ops.rank(weight), 0), lambda: weight, adjust)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """``tf.nn.compute_average_loss``: ``sum(per_example_loss * sample_weight) /
    global_batch_size`` (div_no_nan), the batch size defaulting to the loss's first dimension
    times the number of replicas (1 here)."""
    per_example_loss = convert_to_tensor(per_example_loss)
    input_dtype = per_example_loss.dtype
    with control_dependencies(_rank_checked(per_example_loss)):
        if sample_weight is not None:
            # TF scales in float32 whatever the loss's dtype, then casts back.
            weight = math_ops.cast(convert_to_tensor(sample_weight), _dt.float32)
            losses = math_ops.cast(per_example_loss, _dt.float32)
            per_example_loss = math_ops.multiply(losses, _match_weight_rank(losses, weight))
        per_example_loss = math_ops.cast(per_example_loss, input_dtype)
        if global_batch_size is None:
            global_batch_size = array_ops.shape(per_example_loss)[0] * _NUM_REPLICAS
        assert_scalar(global_batch_size, message="global_batch_size must be scalar.")
        assert_integer(global_batch_size, message="global_batch_size must be an integer.")
        assert_non_negative(global_batch_size, message="global_batch_size must be non-negative.")
        loss = reduction_ops.reduce_sum(per_example_loss)
        return math_ops.div_no_nan(loss, math_ops.cast(global_batch_size, input_dtype))


def scale_regularization_loss(regularization_loss):
    """``tf.nn.scale_regularization_loss``: the summed loss divided by the number of replicas
    (1 without a distribution strategy)."""
    return reduction_ops.reduce_sum(regularization_loss) / _NUM_REPLICAS
