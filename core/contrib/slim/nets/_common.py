"""Pieces several slim models share: the weights' truncated normal and the fully
convolutional classifier of VGG, AlexNet and OverFeat (fc6-fc8 as convolutions)."""

from ....init_ops import truncated_normal_initializer
from ....ops import transform_ops
from ... import layers
from ...layers.utils import convert_collection_to_dict


def trunc_normal(stddev):
    """The models' weight initializer: a zero-mean truncated normal."""
    return truncated_normal_initializer(0.0, stddev)


def conv_classifier(net, fc6_depth, fc6_kernel, num_classes, is_training, dropout_keep_prob,
                    spatial_squeeze, sc, end_points_collection, fc8_biases_initializer=None):
    """fc6 (a VALID ``fc6_kernel`` convolution to ``fc6_depth``), dropout, fc7 (1x1 to 4096),
    dropout, fc8 (1x1 to ``num_classes`` logits); returns ``(logits, end_points)`` with the
    logits squeezed to [B, C] under ``<scope>/fc8`` when ``spatial_squeeze``."""
    conv = layers.conv2d
    net = conv(net, fc6_depth, fc6_kernel, padding="VALID", scope="fc6")
    net = layers.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout6")
    net = conv(net, 4096, [1, 1], scope="fc7")
    net = layers.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout7")
    fc8_args = {} if fc8_biases_initializer is None else \
        {"biases_initializer": fc8_biases_initializer}
    net = conv(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="fc8",
               **fc8_args)
    end_points = convert_collection_to_dict(end_points_collection)
    if spatial_squeeze:
        net = transform_ops.squeeze(net, [1, 2], name="fc8/squeezed")
        end_points[sc.name + "/fc8"] = net
    return net, end_points
