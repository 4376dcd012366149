"""``tf.contrib.slim.nets.vgg``: the Oxford VGG networks (configurations A, D and E: vgg_a,
vgg_16, vgg_19), with their fully connected layers as convolutions (fc6 a 7x7 VALID conv, fc7
and fc8 1x1), as TF-slim builds them on contrib.layers.

Each model returns ``(logits, end_points)``; end points are keyed by the layers' scope names
(``vgg_16/conv1/conv1_1``, ``vgg_16/pool1``, ...). With ``spatial_squeeze`` the logits are
squeezed to ``[batch, num_classes]`` (which needs the classification size, 224x224), and the
``<scope>/fc8`` end point is the squeezed tensor.
"""

from .... import init_ops
from ....ops import nn_ops
from ....variables import variable_scope
from ... import layers
from ...arg_scope import arg_scope
from ...layers.regularizers import l2_regularizer
from ._common import conv_classifier

__all__ = ["vgg_16", "vgg_19", "vgg_a", "vgg_arg_scope", "vgg_d", "vgg_e"]


def vgg_arg_scope(weight_decay=0.0005):
    """``vgg_arg_scope``: ReLU convolutions and fully connected layers with L2 weight decay
    and zero biases; SAME padding for the convolutions."""
    with arg_scope([layers.conv2d, layers.fully_connected], activation_fn=nn_ops.relu,
                   weights_regularizer=l2_regularizer(weight_decay),
                   biases_initializer=init_ops.zeros_initializer()):
        with arg_scope([layers.conv2d], padding="SAME") as arg_sc:
            return arg_sc


def _vgg(inputs, repeats, num_classes, is_training, dropout_keep_prob, spatial_squeeze, scope,
         default_name, collected, by_scope_name):
    """The VGG body: five conv stacks of ``repeats[i]`` 3x3 convolutions, each followed by a
    2x2 max pool, then fc6-fc8 as convolutions with dropout between them."""
    conv, pool = layers.conv2d, layers.max_pool2d
    with variable_scope(scope, default_name, [inputs]) as sc:
        # vgg_19 names its collection after the variable scope, the others after the name scope
        end_points_collection = (sc.name if by_scope_name else sc.original_name_scope) \
            + "_end_points"
        with arg_scope(collected, outputs_collections=end_points_collection):
            net = inputs
            for i, (times, depth) in enumerate(zip(repeats, (64, 128, 256, 512, 512))):
                net = layers.repeat(net, times, conv, depth, [3, 3], scope=f"conv{i + 1}")
                net = pool(net, [2, 2], scope=f"pool{i + 1}")
            return conv_classifier(net, 4096, [7, 7], num_classes, is_training,
                                   dropout_keep_prob, spatial_squeeze, sc,
                                   end_points_collection)


def vgg_a(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
          spatial_squeeze=True, scope="vgg_a"):
    """``vgg_a``: VGG 11-layer configuration A; returns ``(logits, end_points)``."""
    return _vgg(inputs, (1, 1, 2, 2, 2), num_classes, is_training, dropout_keep_prob,
                spatial_squeeze, scope, "vgg_a", [layers.conv2d, layers.max_pool2d], False)


def vgg_16(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
           spatial_squeeze=True, scope="vgg_16"):
    """``vgg_16``: VGG 16-layer configuration D; returns ``(logits, end_points)``."""
    return _vgg(inputs, (2, 2, 3, 3, 3), num_classes, is_training, dropout_keep_prob,
                spatial_squeeze, scope, "vgg_16",
                [layers.conv2d, layers.fully_connected, layers.max_pool2d], False)


def vgg_19(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.5,
           spatial_squeeze=True, scope="vgg_19"):
    """``vgg_19``: VGG 19-layer configuration E; returns ``(logits, end_points)``."""
    return _vgg(inputs, (2, 2, 4, 4, 4), num_classes, is_training, dropout_keep_prob,
                spatial_squeeze, scope, "vgg_19",
                [layers.conv2d, layers.fully_connected, layers.max_pool2d], True)


vgg_a.default_image_size = 224
vgg_16.default_image_size = 224
vgg_19.default_image_size = 224

vgg_d = vgg_16
vgg_e = vgg_19
