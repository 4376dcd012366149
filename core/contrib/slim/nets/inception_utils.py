"""``inception_utils``: the arg scope the Inception models share (slim's
``inception_arg_scope``), and the block builder the three models here are written with.

An Inception "Mixed" block is a variable scope holding ``Branch_0``..``Branch_n``, each a chain
of convolutions and poolings, concatenated on the channel axis. The models describe each block
as data (``conv``/``max_pool``/``avg_pool``/``fork`` tuples) and ``mixed`` builds it with
contrib.layers, layer by layer in the order TF-slim does, so variables are created in TF's
order with TF's names.
"""

from ....graph import GraphKeys
from ....ops import nn_ops
from ....ops.concat_split_ops import concat
from ....variables import variable_scope
from ...arg_scope import arg_scope
from ._common import trunc_normal  # noqa: F401 - the Inception models import it here
from ....ops.transform_ops import squeeze
from ...layers import (avg_pool2d, batch_norm, conv2d, dropout, fully_connected,
                       l2_regularizer, max_pool2d, variance_scaling_initializer)

__all__ = ["inception_arg_scope"]


def inception_arg_scope(weight_decay=0.00004, use_batch_norm=True, batch_norm_decay=0.9997,
                        batch_norm_epsilon=0.001, activation_fn=nn_ops.relu,
                        batch_norm_updates_collections=GraphKeys.UPDATE_OPS,
                        batch_norm_scale=False):
    """``inception_utils.inception_arg_scope``: L2 weight decay on conv2d/fully_connected,
    and conv2d with variance-scaling weights, ``activation_fn`` and (if ``use_batch_norm``)
    batch norm."""
    batch_norm_params = {"decay": batch_norm_decay, "epsilon": batch_norm_epsilon,
                         "updates_collections": batch_norm_updates_collections,
                         "fused": None, "scale": batch_norm_scale}
    normalizer_fn = batch_norm if use_batch_norm else None
    normalizer_params = batch_norm_params if use_batch_norm else {}
    with arg_scope([conv2d, fully_connected],
                   weights_regularizer=l2_regularizer(weight_decay)):
        with arg_scope([conv2d], weights_initializer=variance_scaling_initializer(),
                       activation_fn=activation_fn, normalizer_fn=normalizer_fn,
                       normalizer_params=normalizer_params) as sc:
            return sc


def _model_arg_scope(weight_decay, normalizer_fn, normalizer_params):
    """The shape of the v1/v2/v3 ``*_arg_scope``s: L2 decay on conv2d and fully_connected;
    conv2d with variance-scaling weights, ReLU and the given normalizer."""
    with arg_scope([conv2d, fully_connected],
                   weights_regularizer=l2_regularizer(weight_decay)):
        with arg_scope([conv2d], weights_initializer=variance_scaling_initializer(),
                       activation_fn=nn_ops.relu, normalizer_fn=normalizer_fn,
                       normalizer_params=normalizer_params) as sc:
            return sc


def _batch_norm_params(decay, epsilon, updates_collections, var_collection):
    """The batch-norm parameters of the models' arg scopes: moving statistics also go into
    ``var_collection`` (slim's 'moving_vars')."""
    return {"decay": decay, "epsilon": epsilon, "updates_collections": updates_collections,
            "variables_collections": {"beta": None, "gamma": None,
                                      "moving_mean": [var_collection],
                                      "moving_variance": [var_collection]}}


def depth_fn(depth_multiplier, min_depth):
    """Thinned channel counts ``max(int(d * depth_multiplier), min_depth)``; TF's error for a
    multiplier that is not positive."""
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")
    return lambda d: max(int(d * depth_multiplier), min_depth)


# -- block descriptions --------------------------------------------------------------------------
def conv(scope, depth, kernel, **kwargs):
    """A conv2d layer of ``depth`` (model channels, thinned by the model's depth function)."""
    return ("conv", scope, depth, kernel, kwargs)


def max_pool(scope, kernel, **kwargs):
    """A max_pool2d layer."""
    return ("max", scope, None, kernel, kwargs)


def avg_pool(scope, kernel, **kwargs):
    """An avg_pool2d layer."""
    return ("avg", scope, None, kernel, kwargs)


def fork(*layers):
    """Layers applied to the same input, their outputs concatenated on channels (v3's 7b/7c)."""
    return ("fork", layers)


def apply_layer(net, layer, depth):
    """Builds one described layer on ``net``."""
    if layer[0] == "fork":
        return concat([apply_layer(net, sub, depth) for sub in layer[1]], 3)
    kind, scope, channels, kernel, kwargs = layer
    if kind == "conv":
        return conv2d(net, depth(channels), kernel, scope=scope, **kwargs)
    pool = max_pool2d if kind == "max" else avg_pool2d
    return pool(net, kernel, scope=scope, **kwargs)


def block(end_point, *branches):
    """A Mixed block named ``end_point``: branches, each a list of described layers."""
    return ("block", end_point, branches)


def mixed(net, end_point, branches, depth=int):
    """An Inception block: scope ``end_point`` with one ``Branch_i`` scope per branch, each a
    chain of described layers, concatenated on the channel axis."""
    with variable_scope(end_point):
        outputs = []
        for i, branch in enumerate(branches):
            with variable_scope(f"Branch_{i}"):
                out = net
                for layer in branch:
                    out = apply_layer(out, layer, depth)
            outputs.append(out)
        return concat(outputs, 3)


def reduced_kernel_size_for_small_input(input_tensor, kernel_size):
    """``kernel_size`` clipped to the input's static height and width (unchanged when either
    is unknown), so the final pooling fits inputs smaller than the nominal size."""
    shape = input_tensor.get_shape().as_list()
    if shape[1] is None or shape[2] is None:
        return list(kernel_size)
    return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def build_stages(net, stages, final_endpoint, end_points, depth=int):
    """Builds ``stages`` (layers, whose scope names their end point, and blocks) in order,
    recording each output in ``end_points``; returns ``(net, True)`` once ``final_endpoint``
    is built, ``(net, False)`` if it is not among them."""
    for stage in stages:
        end_point = stage[1]
        if stage[0] == "block":
            net = mixed(net, end_point, stage[2], depth)
        else:
            net = apply_layer(net, stage, depth)
        end_points[end_point] = net
        if end_point == final_endpoint:
            return net, True
    return net, False


def unknown_endpoint(final_endpoint):
    """TF's error for a ``final_endpoint`` the model does not have."""
    return ValueError(f"Unknown final endpoint {final_endpoint}")


def logits_block(net, end_points, kernel_size, num_classes, dropout_keep_prob,
                 spatial_squeeze, prediction_fn, pre_logits=False):
    """Inception v2's and v3's head: under ``Logits``, a VALID average pool (``kernel_size``
    clipped to a small input), dropout (the ``PreLogits`` end point when ``pre_logits``) and
    1x1 logits, squeezed to [B, C] when ``spatial_squeeze``; adds ``Logits`` and
    ``Predictions`` to ``end_points`` and returns the logits."""
    with variable_scope("Logits"):
        kernel_size = reduced_kernel_size_for_small_input(net, kernel_size)
        net = avg_pool2d(net, kernel_size, padding="VALID",
                         scope="AvgPool_1a_{}x{}".format(*kernel_size))
        net = dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
        if pre_logits:
            end_points["PreLogits"] = net
        logits = conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                        scope="Conv2d_1c_1x1")
        if spatial_squeeze:
            logits = squeeze(logits, [1, 2], name="SpatialSqueeze")
    end_points["Logits"] = logits
    end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits
