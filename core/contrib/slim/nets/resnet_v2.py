"""``tf.contrib.slim.nets.resnet_v2``: ResNet v2 (He et al. 2016, "identity mappings": full
pre-activation bottleneck units), as TF-slim builds it on contrib.layers: the ``resnet_v2``
generator and ResNet-50/101/152/200.

Outputs as ``resnet_v1``'s (``(net, end_points)``, ``logits`` and ``predictions`` with
``num_classes``). The root ``conv1`` has neither batch norm nor ReLU (each unit's ``preact``
normalizes its input) and the last block's output goes through ``postnorm`` (batch norm and
ReLU) before pooling. Use them under ``resnet_arg_scope()``.
"""

from ....ops import nn_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import add_arg_scope
from . import resnet_utils
from ...layers.utils import collect_named_outputs, last_dimension

__all__ = ["bottleneck", "resnet_arg_scope", "resnet_v2", "resnet_v2_101", "resnet_v2_152",
           "resnet_v2_200", "resnet_v2_50", "resnet_v2_block"]

resnet_arg_scope = resnet_utils.resnet_arg_scope


@add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None):
    """``resnet_v2.bottleneck``: ``shortcut + conv3(conv2(conv1(preact)))`` with
    ``preact = relu(batch_norm(inputs))``; conv3 has no normalizer or activation. The shortcut
    is ``inputs`` subsampled when the depth is unchanged, else a strided 1x1 convolution of
    ``preact``."""
    conv = layers.conv2d
    with variable_scope(scope, "bottleneck_v2", [inputs]) as sc:
        depth_in = last_dimension(inputs.shape, min_rank=4)
        preact = layers.batch_norm(inputs, activation_fn=nn_ops.relu, scope="preact")
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv(preact, depth, [1, 1], stride=stride, normalizer_fn=None,
                            activation_fn=None, scope="shortcut")
        residual = conv(preact, depth_bottleneck, [1, 1], stride=1, scope="conv1")
        residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                            scope="conv2")
        residual = conv(residual, depth, [1, 1], stride=1, normalizer_fn=None,
                        activation_fn=None, scope="conv3")
        output = shortcut + residual
        return collect_named_outputs(outputs_collections, sc.name, output)


def resnet_v2(inputs, blocks, num_classes=None, is_training=True, global_pool=True,
              output_stride=None, include_root_block=True, reuse=None, scope=None):
    """``resnet_v2``: the v2 (pre-activation) ResNet generator over ``blocks`` (a list of
    ``resnet_utils.Block``); returns ``(net, end_points)``. Without the root block, ``inputs``
    should be a convolution's output before any activation."""
    return resnet_utils.resnet(inputs, blocks, bottleneck, num_classes, is_training,
                               global_pool, output_stride, include_root_block, reuse, scope,
                               "resnet_v2", preactivation=True)


resnet_v2.default_image_size = 224


def resnet_v2_block(scope, base_depth, num_units, stride):
    """``resnet_v2_block``: a Block of ``num_units`` v2 bottlenecks of depth
    ``4 * base_depth``, the last one with ``stride``."""
    return resnet_utils.bottleneck_block(bottleneck, scope, base_depth, num_units, stride)


resnet_v2_50 = resnet_utils.resnet_model(
    resnet_v2, resnet_v2_block, (3, 4, 6, 3), "resnet_v2_50", "ResNet-50 v2")
resnet_v2_101 = resnet_utils.resnet_model(
    resnet_v2, resnet_v2_block, (3, 4, 23, 3), "resnet_v2_101", "ResNet-101 v2")
resnet_v2_152 = resnet_utils.resnet_model(
    resnet_v2, resnet_v2_block, (3, 8, 36, 3), "resnet_v2_152", "ResNet-152 v2")
resnet_v2_200 = resnet_utils.resnet_model(
    resnet_v2, resnet_v2_block, (3, 24, 36, 3), "resnet_v2_200", "ResNet-200 v2")
