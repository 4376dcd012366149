"""``tf.contrib.slim.nets.inception_v1``: GoogLeNet (Szegedy et al. 2014, "Going deeper with
convolutions") as TF-slim defines it: scope ``InceptionV1``, end points ``Conv2d_1a_7x7`` ..
``Mixed_5c``, then ``Logits`` and ``Predictions``; 224x224 inputs."""

from ....graph import GraphKeys
from ....ops.transform_ops import squeeze
from ....variables import variable_scope
from ...arg_scope import arg_scope
from ...layers import (avg_pool2d, batch_norm, conv2d, dropout, fully_connected, max_pool2d,
                       softmax)
from .inception_utils import (_batch_norm_params, _model_arg_scope, block, build_stages, conv,
                              max_pool, trunc_normal, unknown_endpoint)

__all__ = ["inception_v1", "inception_v1_arg_scope", "inception_v1_base"]


def _module(end_point, b0, b1, b2, b3, b4, b5, b2_last="Conv2d_0b_3x3"):
    """GoogLeNet's module: 1x1 (b0); 1x1 (b1) -> 3x3 (b2); 1x1 (b3) -> 3x3 (b4);
    3x3 max pool -> 1x1 (b5)."""
    return block(end_point,
                 [conv("Conv2d_0a_1x1", b0, [1, 1])],
                 [conv("Conv2d_0a_1x1", b1, [1, 1]), conv("Conv2d_0b_3x3", b2, [3, 3])],
                 [conv("Conv2d_0a_1x1", b3, [1, 1]), conv(b2_last, b4, [3, 3])],
                 [max_pool("MaxPool_0a_3x3", [3, 3]), conv("Conv2d_0b_1x1", b5, [1, 1])])


_STAGES = [
    conv("Conv2d_1a_7x7", 64, [7, 7], stride=2),
    max_pool("MaxPool_2a_3x3", [3, 3], stride=2),
    conv("Conv2d_2b_1x1", 64, [1, 1]),
    conv("Conv2d_2c_3x3", 192, [3, 3]),
    max_pool("MaxPool_3a_3x3", [3, 3], stride=2),
    _module("Mixed_3b", 64, 96, 128, 16, 32, 32),
    _module("Mixed_3c", 128, 128, 192, 32, 96, 64),
    max_pool("MaxPool_4a_3x3", [3, 3], stride=2),
    _module("Mixed_4b", 192, 96, 208, 16, 48, 64),
    _module("Mixed_4c", 160, 112, 224, 24, 64, 64),
    _module("Mixed_4d", 128, 128, 256, 24, 64, 64),
    _module("Mixed_4e", 112, 144, 288, 32, 64, 64),
    _module("Mixed_4f", 256, 160, 320, 32, 128, 128),
    max_pool("MaxPool_5a_2x2", [2, 2], stride=2),
    # TF-slim names this block's second 3x3 'Conv2d_0a_3x3'; checkpoints depend on it
    _module("Mixed_5b", 256, 160, 320, 32, 128, 128, b2_last="Conv2d_0a_3x3"),
    _module("Mixed_5c", 384, 192, 384, 48, 128, 128),
]


def inception_v1_base(inputs, final_endpoint="Mixed_5c", scope="InceptionV1"):
    """``inception_v1_base``: the network from ``inputs`` up to ``final_endpoint``; returns
    ``(net, end_points)``. Raises ValueError for an unknown ``final_endpoint``."""
    end_points = {}
    with variable_scope(scope, "InceptionV1", [inputs]):
        with arg_scope([conv2d, fully_connected], weights_initializer=trunc_normal(0.01)):
            with arg_scope([conv2d, max_pool2d], stride=1, padding="SAME"):
                net, done = build_stages(inputs, _STAGES, final_endpoint, end_points)
                if done:
                    return net, end_points
        raise unknown_endpoint(final_endpoint)


def inception_v1(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.8,
                 prediction_fn=softmax, spatial_squeeze=True, reuse=None, scope="InceptionV1"):
    """``inception_v1``: the base, a 7x7 average pool, dropout and a 1x1 conv to
    ``num_classes`` logits; returns ``(logits, end_points)`` ([B, C] when
    ``spatial_squeeze``, else [B, 1, 1, C])."""
    with variable_scope(scope, "InceptionV1", [inputs, num_classes], reuse=reuse) as sc:
        with arg_scope([batch_norm, dropout], is_training=is_training):
            net, end_points = inception_v1_base(inputs, scope=sc)
            with variable_scope("Logits"):
                # TF-slim names this average pool 'MaxPool_0a_7x7'
                net = avg_pool2d(net, [7, 7], stride=1, scope="MaxPool_0a_7x7")
                net = dropout(net, dropout_keep_prob, scope="Dropout_0b")
                logits = conv2d(net, num_classes, [1, 1], activation_fn=None,
                                normalizer_fn=None, scope="Conv2d_0c_1x1")
                if spatial_squeeze:
                    logits = squeeze(logits, [1, 2], name="SpatialSqueeze")
                end_points["Logits"] = logits
                end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


inception_v1.default_image_size = 224


def inception_v1_arg_scope(weight_decay=0.00004, use_batch_norm=True,
                           batch_norm_var_collection="moving_vars"):
    """``inception_v1_arg_scope``: L2 ``weight_decay`` on conv2d/fully_connected; conv2d with
    variance-scaling weights, ReLU and (if ``use_batch_norm``) batch norm (decay 0.9997,
    epsilon 0.001, moving statistics also in ``batch_norm_var_collection``)."""
    params = _batch_norm_params(0.9997, 0.001, GraphKeys.UPDATE_OPS, batch_norm_var_collection)
    if use_batch_norm:
        return _model_arg_scope(weight_decay, batch_norm, params)
    return _model_arg_scope(weight_decay, None, {})
