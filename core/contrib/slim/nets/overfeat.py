"""``tf.contrib.slim.nets.overfeat``: the OverFeat network (Sermanet et al. 2014, the fast
model), with its fully connected layers as convolutions, as TF-slim builds it on
contrib.layers.

``overfeat`` returns ``(logits, end_points)``, end points keyed by scope name
(``overfeat/conv1``, ``overfeat/pool1``, ...). The classification size is 231x231 (fc6 is a
6x6 VALID convolution over pool5's 6x6 map); other sizes need ``spatial_squeeze=False``.
"""

from .... import init_ops
from ....ops import nn_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import arg_scope
from ...layers.regularizers import l2_regularizer
from ._common import conv_classifier, trunc_normal

__all__ = ["overfeat", "overfeat_arg_scope"]


def overfeat_arg_scope(weight_decay=0.0005):
    """``overfeat_arg_scope``: ReLU layers with L2 weight decay and zero biases, SAME
    convolutions and VALID max pools."""
    with arg_scope([layers.conv2d, layers.fully_connected], activation_fn=nn_ops.relu,
                   weights_regularizer=l2_regularizer(weight_decay),
                   biases_initializer=init_ops.zeros_initializer()):
        with arg_scope([layers.conv2d], padding="SAME"):
            with arg_scope([layers.max_pool2d], padding="VALID") as arg_sc:
                return arg_sc


def overfeat(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
             spatial_squeeze=True, scope="overfeat"):
    """``overfeat``: the OverFeat network; returns ``(logits, end_points)``."""
    conv, pool = layers.conv2d, layers.max_pool2d
    with variable_scope(scope, "overfeat", [inputs]) as sc:
        end_points_collection = sc.name + "_end_points"
        with arg_scope([layers.conv2d, layers.fully_connected, layers.max_pool2d],
                       outputs_collections=end_points_collection):
            net = conv(inputs, 64, [11, 11], 4, padding="VALID", scope="conv1")
            net = pool(net, [2, 2], scope="pool1")
            net = conv(net, 256, [5, 5], padding="VALID", scope="conv2")
            net = pool(net, [2, 2], scope="pool2")
            net = conv(net, 512, [3, 3], scope="conv3")
            net = conv(net, 1024, [3, 3], scope="conv4")
            net = conv(net, 1024, [3, 3], scope="conv5")
            net = pool(net, [2, 2], scope="pool5")
            with arg_scope([layers.conv2d], weights_initializer=trunc_normal(0.005),
                           biases_initializer=init_ops.constant_initializer(0.1)):
                return conv_classifier(net, 3072, [6, 6], num_classes, is_training,
                                       dropout_keep_prob, spatial_squeeze, sc,
                                       end_points_collection, init_ops.zeros_initializer())


overfeat.default_image_size = 231
