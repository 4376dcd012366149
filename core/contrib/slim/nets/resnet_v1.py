"""``tf.contrib.slim.nets.resnet_v1``: ResNet v1 (He et al. 2015, BN after each convolution)
with bottleneck units, as TF-slim builds it on contrib.layers: the ``resnet_v1`` generator and
ResNet-50/101/152/200.

The models return ``(net, end_points)``: with ``num_classes`` None, ``net`` is the last block's
output (globally average-pooled to 1x1 with ``global_pool``); otherwise it is the 1x1
``logits`` convolution's output and ``end_points['predictions']`` its softmax. End points are
keyed by scope name (``resnet_v1_50/conv1``, ``resnet_v1_50/block1/unit_1/bottleneck_v1``,
``resnet_v1_50/block1``, ...). ``output_stride`` (a multiple of 4 with the root block) makes
the later blocks atrous instead of strided; use them under ``resnet_arg_scope()``.
"""

from ....ops import nn_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import add_arg_scope
from . import resnet_utils
from ...layers.utils import collect_named_outputs, last_dimension

__all__ = ["bottleneck", "resnet_arg_scope", "resnet_v1", "resnet_v1_101", "resnet_v1_152",
           "resnet_v1_200", "resnet_v1_50", "resnet_v1_block"]

resnet_arg_scope = resnet_utils.resnet_arg_scope


@add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None):
    """``resnet_v1.bottleneck``: ``relu(shortcut + conv3(conv2(conv1(inputs))))``, 1x1, 3x3
    (strided, atrous ``rate``), 1x1 convolutions; the shortcut is ``inputs`` subsampled when
    the depth is unchanged, else a strided 1x1 convolution."""
    conv = layers.conv2d
    with variable_scope(scope, "bottleneck_v1", [inputs]) as sc:
        depth_in = last_dimension(inputs.shape, min_rank=4)
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv(inputs, depth, [1, 1], stride=stride, activation_fn=None,
                            scope="shortcut")
        residual = conv(inputs, depth_bottleneck, [1, 1], stride=1, scope="conv1")
        residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                            scope="conv2")
        residual = conv(residual, depth, [1, 1], stride=1, activation_fn=None, scope="conv3")
        output = nn_ops.relu(shortcut + residual)
        return collect_named_outputs(outputs_collections, sc.name, output)


def resnet_v1(inputs, blocks, num_classes=None, is_training=True, global_pool=True,
              output_stride=None, include_root_block=True, reuse=None, scope=None):
    """``resnet_v1``: the v1 ResNet generator over ``blocks`` (a list of
    ``resnet_utils.Block``); returns ``(net, end_points)``."""
    return resnet_utils.resnet(inputs, blocks, bottleneck, num_classes, is_training,
                               global_pool, output_stride, include_root_block, reuse, scope,
                               "resnet_v1", preactivation=False)


resnet_v1.default_image_size = 224


def resnet_v1_block(scope, base_depth, num_units, stride):
    """``resnet_v1_block``: a Block of ``num_units`` v1 bottlenecks of depth
    ``4 * base_depth``, the last one with ``stride``."""
    return resnet_utils.bottleneck_block(bottleneck, scope, base_depth, num_units, stride)


resnet_v1_50 = resnet_utils.resnet_model(
    resnet_v1, resnet_v1_block, (3, 4, 6, 3), "resnet_v1_50", "ResNet-50 v1")
resnet_v1_101 = resnet_utils.resnet_model(
    resnet_v1, resnet_v1_block, (3, 4, 23, 3), "resnet_v1_101", "ResNet-101 v1")
resnet_v1_152 = resnet_utils.resnet_model(
    resnet_v1, resnet_v1_block, (3, 8, 36, 3), "resnet_v1_152", "ResNet-152 v1")
resnet_v1_200 = resnet_utils.resnet_model(
    resnet_v1, resnet_v1_block, (3, 24, 36, 3), "resnet_v1_200", "ResNet-200 v1")
