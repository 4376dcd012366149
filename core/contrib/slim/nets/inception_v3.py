"""``tf.contrib.slim.nets.inception_v3``: Inception-v3 (Szegedy et al. 2015, "Rethinking the
Inception Architecture") as TF-slim defines it: scope ``InceptionV3``, end points
``Conv2d_1a_3x3`` .. ``Mixed_7c``, ``AuxLogits`` (from ``Mixed_6e``), ``PreLogits``,
``Logits``, ``Predictions``; 299x299 inputs nominally (the auxiliary head needs >= 107x107)."""

from ....graph import GraphKeys
from ....ops.transform_ops import squeeze
from ....variables import variable_scope
from ...arg_scope import arg_scope
from ...layers import avg_pool2d, batch_norm, conv2d, dropout, max_pool2d, softmax
from .inception_utils import (_model_arg_scope, avg_pool, block, build_stages, conv, depth_fn,
                              fork, logits_block, max_pool, trunc_normal, unknown_endpoint)
from .inception_utils import (  # noqa: F401 - TF's name in this module
    reduced_kernel_size_for_small_input as _reduced_kernel_size_for_small_input)

__all__ = ["inception_v3", "inception_v3_arg_scope", "inception_v3_base"]


def _module_35(end_point, pool_depth, b1_names=("Conv2d_0a_1x1", "Conv2d_0b_5x5")):
    """The 35x35 module: 1x1; 1x1 -> 5x5; 1x1 -> 3x3 -> 3x3; avg pool -> 1x1 (pool_depth)."""
    return block(end_point,
                 [conv("Conv2d_0a_1x1", 64, [1, 1])],
                 [conv(b1_names[0], 48, [1, 1]), conv(b1_names[1], 64, [5, 5])],
                 [conv("Conv2d_0a_1x1", 64, [1, 1]), conv("Conv2d_0b_3x3", 96, [3, 3]),
                  conv("Conv2d_0c_3x3", 96, [3, 3])],
                 [avg_pool("AvgPool_0a_3x3", [3, 3]), conv("Conv2d_0b_1x1", pool_depth, [1, 1])])


def _module_17(end_point, mid):
    """The 17x17 module with factorised 7x7s (``mid`` channels inside the 1x7/7x1 chains)."""
    return block(end_point,
                 [conv("Conv2d_0a_1x1", 192, [1, 1])],
                 [conv("Conv2d_0a_1x1", mid, [1, 1]), conv("Conv2d_0b_1x7", mid, [1, 7]),
                  conv("Conv2d_0c_7x1", 192, [7, 1])],
                 [conv("Conv2d_0a_1x1", mid, [1, 1]), conv("Conv2d_0b_7x1", mid, [7, 1]),
                  conv("Conv2d_0c_1x7", mid, [1, 7]), conv("Conv2d_0d_7x1", mid, [7, 1]),
                  conv("Conv2d_0e_1x7", 192, [1, 7])],
                 [avg_pool("AvgPool_0a_3x3", [3, 3]), conv("Conv2d_0b_1x1", 192, [1, 1])])


def _module_8(end_point, b1_second):
    """The 8x8 module with expanded filter banks (1x3 and 3x1 side by side)."""
    return block(end_point,
                 [conv("Conv2d_0a_1x1", 320, [1, 1])],
                 [conv("Conv2d_0a_1x1", 384, [1, 1]),
                  fork(conv("Conv2d_0b_1x3", 384, [1, 3]), conv(b1_second, 384, [3, 1]))],
                 [conv("Conv2d_0a_1x1", 448, [1, 1]), conv("Conv2d_0b_3x3", 384, [3, 3]),
                  fork(conv("Conv2d_0c_1x3", 384, [1, 3]), conv("Conv2d_0d_3x1", 384, [3, 1]))],
                 [avg_pool("AvgPool_0a_3x3", [3, 3]), conv("Conv2d_0b_1x1", 192, [1, 1])])


_VALID = {"stride": 2, "padding": "VALID"}

# built with stride 1 and VALID padding by default
_STEM = [
    conv("Conv2d_1a_3x3", 32, [3, 3], stride=2),
    conv("Conv2d_2a_3x3", 32, [3, 3]),
    conv("Conv2d_2b_3x3", 64, [3, 3], padding="SAME"),
    max_pool("MaxPool_3a_3x3", [3, 3], stride=2),
    conv("Conv2d_3b_1x1", 80, [1, 1]),
    conv("Conv2d_4a_3x3", 192, [3, 3]),
    max_pool("MaxPool_5a_3x3", [3, 3], stride=2),
]

# built with stride 1 and SAME padding by default; TF-slim's names kept as they are (the
# 3x3 convolutions of Mixed_6a are called 'Conv2d_1a_1x1', Mixed_5c's 'Conv_1_0c_5x5')
_BLOCKS = [
    _module_35("Mixed_5b", 32),
    _module_35("Mixed_5c", 64, b1_names=("Conv2d_0b_1x1", "Conv_1_0c_5x5")),
    _module_35("Mixed_5d", 64),
    block("Mixed_6a",
          [conv("Conv2d_1a_1x1", 384, [3, 3], **_VALID)],
          [conv("Conv2d_0a_1x1", 64, [1, 1]), conv("Conv2d_0b_3x3", 96, [3, 3]),
           conv("Conv2d_1a_1x1", 96, [3, 3], **_VALID)],
          [max_pool("MaxPool_1a_3x3", [3, 3], **_VALID)]),
    _module_17("Mixed_6b", 128),
    _module_17("Mixed_6c", 160),
    _module_17("Mixed_6d", 160),
    _module_17("Mixed_6e", 192),
    block("Mixed_7a",
          [conv("Conv2d_0a_1x1", 192, [1, 1]), conv("Conv2d_1a_3x3", 320, [3, 3], **_VALID)],
          [conv("Conv2d_0a_1x1", 192, [1, 1]), conv("Conv2d_0b_1x7", 192, [1, 7]),
           conv("Conv2d_0c_7x1", 192, [7, 1]), conv("Conv2d_1a_3x3", 192, [3, 3], **_VALID)],
          [max_pool("MaxPool_1a_3x3", [3, 3], **_VALID)]),
    _module_8("Mixed_7b", "Conv2d_0b_3x1"),
    _module_8("Mixed_7c", "Conv2d_0c_3x1"),
]

_LAYERS = (conv2d, max_pool2d, avg_pool2d)


def inception_v3_base(inputs, final_endpoint="Mixed_7c", min_depth=16, depth_multiplier=1.0,
                      scope=None):
    """``inception_v3_base``: the network from ``inputs`` up to ``final_endpoint``; returns
    ``(net, end_points)``. Raises ValueError for an unknown ``final_endpoint`` or a
    ``depth_multiplier`` <= 0."""
    end_points = {}
    depth = depth_fn(depth_multiplier, min_depth)
    with variable_scope(scope, "InceptionV3", [inputs]):
        with arg_scope(_LAYERS, stride=1, padding="VALID"):
            net, done = build_stages(inputs, _STEM, final_endpoint, end_points, depth)
            if done:
                return net, end_points
        with arg_scope(_LAYERS, stride=1, padding="SAME"):
            net, done = build_stages(net, _BLOCKS, final_endpoint, end_points, depth)
            if done:
                return net, end_points
        raise unknown_endpoint(final_endpoint)


def _aux_logits(mixed_6e, num_classes, depth, spatial_squeeze):
    """The auxiliary classifier on Mixed_6e (scope ``AuxLogits``)."""
    with arg_scope(_LAYERS, stride=1, padding="SAME"):
        with variable_scope("AuxLogits"):
            aux = avg_pool2d(mixed_6e, [5, 5], stride=3, padding="VALID", scope="AvgPool_1a_5x5")
            aux = conv2d(aux, depth(128), [1, 1], scope="Conv2d_1b_1x1")
            kernel_size = _reduced_kernel_size_for_small_input(aux, [5, 5])
            aux = conv2d(aux, depth(768), kernel_size, weights_initializer=trunc_normal(0.01),
                         padding="VALID", scope="Conv2d_2a_{}x{}".format(*kernel_size))
            aux = conv2d(aux, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                         weights_initializer=trunc_normal(0.001), scope="Conv2d_2b_1x1")
            if spatial_squeeze:
                aux = squeeze(aux, [1, 2], name="SpatialSqueeze")
            return aux


def inception_v3(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.8,
                 min_depth=16, depth_multiplier=1.0, prediction_fn=softmax,
                 spatial_squeeze=True, reuse=None, create_aux_logits=True,
                 scope="InceptionV3"):
    """``inception_v3``: the base, the auxiliary head (``create_aux_logits`` and
    ``num_classes``), an average pool over the (at most 8x8) final grid, dropout and a 1x1
    conv to ``num_classes`` logits; returns ``(logits, end_points)``."""
    depth = depth_fn(depth_multiplier, min_depth)
    with variable_scope(scope, "InceptionV3", [inputs, num_classes], reuse=reuse) as sc:
        with arg_scope([batch_norm, dropout], is_training=is_training):
            net, end_points = inception_v3_base(inputs, scope=sc, min_depth=min_depth,
                                                depth_multiplier=depth_multiplier)
            if create_aux_logits and num_classes:
                end_points["AuxLogits"] = _aux_logits(end_points["Mixed_6e"], num_classes,
                                                      depth, spatial_squeeze)
            logits = logits_block(net, end_points, [8, 8], num_classes, dropout_keep_prob,
                                  spatial_squeeze, prediction_fn, pre_logits=True)
    return logits, end_points


inception_v3.default_image_size = 299


def inception_v3_arg_scope(weight_decay=0.00004, batch_norm_var_collection="moving_vars",
                           batch_norm_decay=0.9997, batch_norm_epsilon=0.001,
                           updates_collections=GraphKeys.UPDATE_OPS, use_fused_batchnorm=True):
    """``inception_v3_arg_scope``: L2 ``weight_decay`` on conv2d/fully_connected; conv2d with
    variance-scaling weights, ReLU and batch norm with the given decay, epsilon, update
    collections and fusing."""
    params = {"decay": batch_norm_decay, "epsilon": batch_norm_epsilon,
              "updates_collections": updates_collections, "fused": use_fused_batchnorm,
              "variables_collections": {"beta": None, "gamma": None,
                                        "moving_mean": [batch_norm_var_collection],
                                        "moving_variance": [batch_norm_var_collection]}}
    return _model_arg_scope(weight_decay, batch_norm, params)
