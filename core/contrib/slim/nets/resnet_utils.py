"""``tf.contrib.slim.nets.resnet_utils``: the pieces the ResNet v1 and v2 models share: the
``Block`` description, ``subsample``, ``conv2d_same`` (a strided SAME convolution whose padding
does not depend on the input size being even), ``stack_blocks_dense`` (stacks blocks, trading
strides for atrous rates past ``output_stride``) and the default ``resnet_arg_scope``.
"""

import collections

from ....graph import GraphKeys
from ....ops import nn_ops, pad_ops, reduction_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import add_arg_scope, arg_scope
from ...layers.initializers import variance_scaling_initializer
from ...layers.regularizers import l2_regularizer
from ...layers.utils import collect_named_outputs, convert_collection_to_dict

__all__ = ["Block", "conv2d_same", "resnet_arg_scope", "stack_blocks_dense", "subsample"]


class Block(collections.namedtuple("Block", ["scope", "unit_fn", "args"])):
    """``resnet_utils.Block``: a ResNet block: its ``scope`` name, the ``unit_fn`` that builds
    one unit, and ``args``, one keyword dict (``depth``, ``depth_bottleneck``, ``stride``) per
    unit."""


def subsample(inputs, factor, scope=None):
    """``resnet_utils.subsample``: ``inputs`` itself for ``factor`` 1, else every
    ``factor``-th row and column (a 1x1 max pool with stride ``factor``)."""
    if factor == 1:
        return inputs
    return layers.max_pool2d(inputs, [1, 1], stride=factor, scope=scope)


def conv2d_same(inputs, num_outputs, kernel_size, stride, rate=1, scope=None):
    """``resnet_utils.conv2d_same``: a ``kernel_size`` convolution with SAME semantics whose
    strided form pads explicitly (``(k_eff - 1) // 2`` before, the rest after) then runs
    VALID, so it equals a stride-1 SAME convolution subsampled by ``stride``."""
    conv = layers.conv2d
    if stride == 1:
        return conv(inputs, num_outputs, kernel_size, stride=1, rate=rate, padding="SAME",
                    scope=scope)
    kernel_size_effective = kernel_size + (kernel_size - 1) * (rate - 1)
    pad_total = kernel_size_effective - 1
    pad_beg = pad_total // 2
    pad_end = pad_total - pad_beg
    inputs = pad_ops.pad(inputs, [[0, 0], [pad_beg, pad_end], [pad_beg, pad_end], [0, 0]])
    return conv(inputs, num_outputs, kernel_size, stride=stride, rate=rate, padding="VALID",
                scope=scope)


@add_arg_scope
def stack_blocks_dense(net, blocks, output_stride=None, outputs_collections=None):
    """``resnet_utils.stack_blocks_dense``: the ``blocks``' units in scopes
    ``<block>/unit_<i>``. Once the product of strides reaches ``output_stride``, later units
    run with stride 1 and an atrous rate growing by the strides they skip; an
    ``output_stride`` the strides cannot reach is a ValueError."""
    current_stride = 1
    rate = 1
    for block in blocks:
        with variable_scope(block.scope, "block", [net]) as sc:
            for i, unit in enumerate(block.args):
                if output_stride is not None and current_stride > output_stride:
                    raise ValueError("The target output_stride cannot be reached.")
                with variable_scope(f"unit_{i + 1}", values=[net]):
                    if output_stride is not None and current_stride == output_stride:
                        net = block.unit_fn(net, rate=rate, **dict(unit, stride=1))
                        rate *= unit.get("stride", 1)
                    else:
                        net = block.unit_fn(net, rate=1, **unit)
                        current_stride *= unit.get("stride", 1)
            net = collect_named_outputs(outputs_collections, sc.name, net)
    if output_stride is not None and current_stride != output_stride:
        raise ValueError("The target output_stride cannot be reached.")
    return net


def resnet_arg_scope(weight_decay=0.0001, batch_norm_decay=0.997, batch_norm_epsilon=1e-5,
                     batch_norm_scale=True):
    """``resnet_arg_scope``: ReLU convolutions with L2 weight decay, He (variance scaling)
    initialization and batch norm (its updates in UPDATE_OPS); SAME max pools."""
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "scale": batch_norm_scale,
        "updates_collections": GraphKeys.UPDATE_OPS,
    }
    with arg_scope([layers.conv2d], weights_regularizer=l2_regularizer(weight_decay),
                   weights_initializer=variance_scaling_initializer(),
                   activation_fn=nn_ops.relu, normalizer_fn=layers.batch_norm,
                   normalizer_params=batch_norm_params):
        with arg_scope([layers.batch_norm], **batch_norm_params):
            with arg_scope([layers.max_pool2d], padding="SAME") as arg_sc:
                return arg_sc


def resnet(inputs, blocks, bottleneck, num_classes, is_training, global_pool, output_stride,
           include_root_block, reuse, scope, default_name, preactivation):
    """The generator resnet_v1 and resnet_v2 share: the root block (a 7x7/2 convolution and
    a 3x3/2 max pool), ``blocks``, then global pooling and 1x1 logits. With
    ``preactivation`` (v2) the root convolution has no batch norm or ReLU (the first unit's
    ``preact`` normalizes) and a ``postnorm`` batch norm follows the blocks."""
    with variable_scope(scope, default_name, [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with arg_scope([layers.conv2d, bottleneck, stack_blocks_dense],
                       outputs_collections=end_points_collection):
            with arg_scope([layers.batch_norm], is_training=is_training):
                net = inputs
                if include_root_block:
                    if output_stride is not None:
                        if output_stride % 4 != 0:
                            raise ValueError("The output_stride needs to be a multiple of 4.")
                        output_stride /= 4
                    plain = {"activation_fn": None, "normalizer_fn": None} if preactivation \
                        else {}
                    with arg_scope([layers.conv2d], **plain):
                        net = conv2d_same(net, 64, 7, stride=2, scope="conv1")
                    net = layers.max_pool2d(net, [3, 3], stride=2, scope="pool1")
                net = stack_blocks_dense(net, blocks, output_stride)
                if preactivation:
                    net = layers.batch_norm(net, activation_fn=nn_ops.relu, scope="postnorm")
                if global_pool:
                    net = reduction_ops.reduce_mean(net, [1, 2], name="pool5", keepdims=True)
                if num_classes is not None:
                    net = layers.conv2d(net, num_classes, [1, 1], activation_fn=None,
                                        normalizer_fn=None, scope="logits")
                end_points = convert_collection_to_dict(end_points_collection)
                if num_classes is not None:
                    end_points["predictions"] = layers.softmax(net, scope="predictions")
                return net, end_points


def bottleneck_block(bottleneck, scope, base_depth, num_units, stride):
    """A Block of ``num_units`` ``bottleneck`` units of depth ``4 * base_depth``, the last one
    with ``stride`` (TF-slim's resnet_v1_block and resnet_v2_block)."""
    unit = {"depth": base_depth * 4, "depth_bottleneck": base_depth}
    return Block(scope, bottleneck,
                 [dict(unit, stride=1)] * (num_units - 1) + [dict(unit, stride=stride)])


def resnet_model(resnet, block, units, name, doc):
    """The ``name`` model (``resnet_v1_50``...): ``resnet`` over four ``block``s of ``units``
    bottlenecks (base depths 64 to 512, strides 2, 2, 2, 1) with the root block."""
    def model(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
              reuse=None, scope=name):
        blocks = [block(f"block{i + 1}", base_depth=base, num_units=n, stride=s)
                  for i, (base, n, s) in enumerate(zip((64, 128, 256, 512), units,
                                                       (2, 2, 2, 1)))]
        return resnet(inputs, blocks, num_classes, is_training, global_pool, output_stride,
                      include_root_block=True, reuse=reuse, scope=scope)
    model.__name__ = model.__qualname__ = name
    model.__doc__ = f"``{name}``: {doc}; see ``{resnet.__name__}`` for the arguments and outputs."
    model.default_image_size = resnet.default_image_size
    return model
