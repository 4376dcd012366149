"""``tf.contrib.slim.nets.inception_v2``: Inception with batch normalization (Ioffe & Szegedy
2015) as TF-slim defines it: scope ``InceptionV2``, end points ``Conv2d_1a_7x7`` ..
``Mixed_5c``, ``Logits``, ``Predictions``; channel counts thinned by ``depth_multiplier``
(never below ``min_depth``); 224x224 inputs nominally, anything from 32x32 works."""

from ....graph import GraphKeys
from ....variables import variable_scope
from ...arg_scope import arg_scope
from ...layers import (avg_pool2d, batch_norm, conv2d, dropout, max_pool2d, separable_conv2d,
                       softmax)
from .inception_utils import (_batch_norm_params, _model_arg_scope, avg_pool, block,
                              build_stages, conv, depth_fn, logits_block, max_pool,
                              trunc_normal, unknown_endpoint)
from .inception_utils import (  # noqa: F401 - TF's name in this module
    reduced_kernel_size_for_small_input as _reduced_kernel_size_for_small_input)

__all__ = ["inception_v2", "inception_v2_arg_scope", "inception_v2_base"]


def _module(end_point, b0, b1, b2, b3, b4, b5, pool=avg_pool):
    """Inception-v2's module: 1x1 (b0); 1x1 (b1) -> 3x3 (b2); 1x1 (b3) -> 3x3 -> 3x3 (b4);
    3x3 pool -> 1x1 (b5)."""
    kind = "MaxPool" if pool is max_pool else "AvgPool"
    return block(end_point,
                 [conv("Conv2d_0a_1x1", b0, [1, 1])],
                 [conv("Conv2d_0a_1x1", b1, [1, 1], weights_initializer=trunc_normal(0.09)),
                  conv("Conv2d_0b_3x3", b2, [3, 3])],
                 [conv("Conv2d_0a_1x1", b3, [1, 1], weights_initializer=trunc_normal(0.09)),
                  conv("Conv2d_0b_3x3", b4, [3, 3]), conv("Conv2d_0c_3x3", b4, [3, 3])],
                 [pool(f"{kind}_0a_3x3", [3, 3]),
                  conv("Conv2d_0b_1x1", b5, [1, 1], weights_initializer=trunc_normal(0.1))])


def _reduction(end_point, b0, b1, b2, b3):
    """Inception-v2's grid reduction: 1x1 (b0) -> 3x3/2 (b1); 1x1 (b2) -> 3x3 -> 3x3/2 (b3);
    3x3/2 max pool."""
    return block(end_point,
                 [conv("Conv2d_0a_1x1", b0, [1, 1], weights_initializer=trunc_normal(0.09)),
                  conv("Conv2d_1a_3x3", b1, [3, 3], stride=2)],
                 [conv("Conv2d_0a_1x1", b2, [1, 1], weights_initializer=trunc_normal(0.09)),
                  conv("Conv2d_0b_3x3", b3, [3, 3]),
                  conv("Conv2d_1a_3x3", b3, [3, 3], stride=2)],
                 [max_pool("MaxPool_1a_3x3", [3, 3], stride=2)])


# after the first layer (Conv2d_1a_7x7, a separable convolution by default)
_STAGES = [
    max_pool("MaxPool_2a_3x3", [3, 3], stride=2),
    conv("Conv2d_2b_1x1", 64, [1, 1], weights_initializer=trunc_normal(0.1)),
    conv("Conv2d_2c_3x3", 192, [3, 3]),
    max_pool("MaxPool_3a_3x3", [3, 3], stride=2),
    _module("Mixed_3b", 64, 64, 64, 64, 96, 32),
    _module("Mixed_3c", 64, 64, 96, 64, 96, 64),
    _reduction("Mixed_4a", 128, 160, 64, 96),
    _module("Mixed_4b", 224, 64, 96, 96, 128, 128),
    _module("Mixed_4c", 192, 96, 128, 96, 128, 128),
    _module("Mixed_4d", 160, 128, 160, 128, 160, 96),
    _module("Mixed_4e", 96, 128, 192, 160, 192, 96),
    _reduction("Mixed_5a", 128, 192, 192, 256),
    _module("Mixed_5b", 352, 192, 320, 160, 224, 128),
    _module("Mixed_5c", 352, 192, 320, 192, 224, 128, pool=max_pool),
]


def inception_v2_base(inputs, final_endpoint="Mixed_5c", min_depth=16, depth_multiplier=1.0,
                      scope=None, use_separable_conv=True):
    """``inception_v2_base``: the network from ``inputs`` up to ``final_endpoint``; returns
    ``(net, end_points)``. Raises ValueError for an unknown ``final_endpoint`` or a
    ``depth_multiplier`` <= 0."""
    end_points = {}
    depth = depth_fn(depth_multiplier, min_depth)
    with variable_scope(scope, "InceptionV2", [inputs]):
        with arg_scope([conv2d, max_pool2d, avg_pool2d, separable_conv2d], stride=1,
                       padding="SAME"):
            end_point = "Conv2d_1a_7x7"
            if use_separable_conv:
                # the depthwise stage's channel multiplier, kept small enough that
                # in_channels * multiplier <= depth(64) (not over-parameterised)
                depthwise_multiplier = min(int(depth(64) / 3), 8)
                net = separable_conv2d(inputs, depth(64), [7, 7],
                                       depth_multiplier=depthwise_multiplier, stride=2,
                                       weights_initializer=trunc_normal(1.0), scope=end_point)
            else:
                net = conv2d(inputs, depth(64), [7, 7], stride=2,
                             weights_initializer=trunc_normal(1.0), scope=end_point)
            end_points[end_point] = net
            if final_endpoint == end_point:
                return net, end_points
            net, done = build_stages(net, _STAGES, final_endpoint, end_points, depth)
            if done:
                return net, end_points
        raise unknown_endpoint(final_endpoint)


def inception_v2(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.8,
                 min_depth=16, depth_multiplier=1.0, prediction_fn=softmax,
                 spatial_squeeze=True, reuse=None, scope="InceptionV2",
                 use_separable_conv=True):
    """``inception_v2``: the base, an average pool over the (at most 7x7) final grid, dropout
    and a 1x1 conv to ``num_classes`` logits; returns ``(logits, end_points)``."""
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")
    with variable_scope(scope, "InceptionV2", [inputs, num_classes], reuse=reuse) as sc:
        with arg_scope([batch_norm, dropout], is_training=is_training):
            net, end_points = inception_v2_base(inputs, scope=sc, min_depth=min_depth,
                                                depth_multiplier=depth_multiplier,
                                                use_separable_conv=use_separable_conv)
            logits = logits_block(net, end_points, [7, 7], num_classes, dropout_keep_prob,
                                  spatial_squeeze, prediction_fn)
    return logits, end_points


inception_v2.default_image_size = 224


def inception_v2_arg_scope(weight_decay=0.00004, batch_norm_var_collection="moving_vars"):
    """``inception_v2_arg_scope``: L2 ``weight_decay`` on conv2d/fully_connected; conv2d with
    variance-scaling weights, ReLU and batch norm (decay 0.9997, epsilon 0.001)."""
    params = _batch_norm_params(0.9997, 0.001, GraphKeys.UPDATE_OPS, batch_norm_var_collection)
    return _model_arg_scope(weight_decay, batch_norm, params)
