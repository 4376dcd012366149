"""``tf.contrib.slim.nets.alexnet``: AlexNet version 2 (the one-GPU variant of
arXiv:1404.5997, without LRN), with its fully connected layers as convolutions, as TF-slim
builds it on contrib.layers.

``alexnet_v2`` returns ``(logits, end_points)``, end points keyed by scope name
(``alexnet_v2/conv1``, ``alexnet_v2/pool1``, ...). The classification size is 224x224 (fc6 is a
5x5 VALID convolution over pool5's 5x5 map); other sizes need ``spatial_squeeze=False``.
"""

from .... import init_ops
from ....ops import nn_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import arg_scope
from ...layers.regularizers import l2_regularizer
from ._common import conv_classifier, trunc_normal

__all__ = ["alexnet_v2", "alexnet_v2_arg_scope"]


def alexnet_v2_arg_scope(weight_decay=0.0005):
    """``alexnet_v2_arg_scope``: ReLU layers with L2 weight decay and 0.1 biases, SAME
    convolutions and VALID max pools."""
    with arg_scope([layers.conv2d, layers.fully_connected], activation_fn=nn_ops.relu,
                   biases_initializer=init_ops.constant_initializer(0.1),
                   weights_regularizer=l2_regularizer(weight_decay)):
        with arg_scope([layers.conv2d], padding="SAME"):
            with arg_scope([layers.max_pool2d], padding="VALID") as arg_sc:
                return arg_sc


def alexnet_v2(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
               spatial_squeeze=True, scope="alexnet_v2"):
    """``alexnet_v2``: AlexNet v2; returns ``(logits, end_points)``."""
    conv, pool = layers.conv2d, layers.max_pool2d
    with variable_scope(scope, "alexnet_v2", [inputs]) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with arg_scope([layers.conv2d, layers.fully_connected, layers.max_pool2d],
                       outputs_collections=[end_points_collection]):
            net = conv(inputs, 64, [11, 11], 4, padding="VALID", scope="conv1")
            net = pool(net, [3, 3], 2, scope="pool1")
            net = conv(net, 192, [5, 5], scope="conv2")
            net = pool(net, [3, 3], 2, scope="pool2")
            net = conv(net, 384, [3, 3], scope="conv3")
            net = conv(net, 384, [3, 3], scope="conv4")
            net = conv(net, 256, [3, 3], scope="conv5")
            net = pool(net, [3, 3], 2, scope="pool5")
            with arg_scope([layers.conv2d], weights_initializer=trunc_normal(0.005),
                           biases_initializer=init_ops.constant_initializer(0.1)):
                return conv_classifier(net, 4096, [5, 5], num_classes, is_training,
                                       dropout_keep_prob, spatial_squeeze, sc,
                                       end_points_collection, init_ops.zeros_initializer())


alexnet_v2.default_image_size = 224
