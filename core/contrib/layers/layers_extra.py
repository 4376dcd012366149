"""``tf.contrib.layers``: separable convolution, embeddings (encoders.py, embedding_ops.py),
gradient scaling, spatial softmax, maxout and the image/sequence reshapes, as TF 1.x."""

from __future__ import annotations

from ... import composites, init_ops, nn_convolution, nn_embedding, sparse
from ... import dtypes as _dt
from ... import layers_conv as _core_conv
from ...custom_gradient import custom_gradient
from ...graph import convert_to_tensor, name_scope
from ...ops import (array_ops, concat_split_ops, gather_ops, nn_ops, reduction_ops, segment_ops,
                    softmax_ops, transform_ops)
from ...variables import variable_scope
from ..arg_scope import add_arg_scope
from .layers import (_XAVIER, _ZEROS, DATA_FORMAT_NCHW, DATA_FORMAT_NHWC,
                     _build_variable_getter, _channels_first, _collect, _finish, _model_variable,
                     _variable_collections)
from .layers import _core as _core_layers

__all__ = ["embed_sequence", "embedding_lookup_unique", "images_to_sequence", "maxout",
           "safe_embedding_lookup_sparse", "scale_gradient", "separable_conv2d",
           "separable_convolution2d", "sequence_to_images", "spatial_softmax"]


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@add_arg_scope
def separable_convolution2d(inputs, num_outputs, kernel_size, depth_multiplier=1, stride=1,
                            padding="SAME", data_format=DATA_FORMAT_NHWC, rate=1,
                            activation_fn=nn_ops.relu, normalizer_fn=None,
                            normalizer_params=None, weights_initializer=_XAVIER,
                            pointwise_initializer=None, weights_regularizer=None,
                            biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                            variables_collections=None, outputs_collections=None,
                            trainable=True, scope=None):
    """``tf.contrib.layers.separable_conv2d``: a depthwise convolution and, unless
    ``num_outputs`` is None, a pointwise one (``depthwise_weights``, ``pointwise_weights``)."""
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    rename = {"bias": "biases", "depthwise_kernel": "depthwise_weights",
              "pointwise_kernel": "pointwise_weights"}
    with variable_scope(scope, "SeparableConv2d", [inputs], reuse=reuse,
                        custom_getter=_build_variable_getter(rename, {
                            "depthwise_kernel": weights_regularizer,
                            "pointwise_kernel": weights_regularizer,
                            "bias": biases_regularizer})) as sc:
        inputs = convert_to_tensor(inputs)
        if pointwise_initializer is None:
            pointwise_initializer = weights_initializer
        df = "channels_first" if _channels_first(data_format) else "channels_last"
        if num_outputs is not None:
            outputs = _core_conv.separable_conv2d(
                inputs, num_outputs, kernel_size, strides=stride, padding=padding,
                data_format=df, dilation_rate=_pair(rate), depth_multiplier=depth_multiplier,
                activation=None, use_bias=bool(not normalizer_fn and biases_initializer),
                depthwise_initializer=weights_initializer,
                pointwise_initializer=pointwise_initializer,
                bias_initializer=biases_initializer, trainable=trainable,
                _scope_out=_core_layers._IN_LAYER)  # regularizers: the scope's getter
            return _finish(outputs, sc.name, normalizer_fn, normalizer_params, activation_fn,
                           outputs_collections, variables_collections,
                           (("depthwise_weights", "weights"), ("pointwise_weights", "weights"),
                            ("biases", "biases")))
        # depthwise only
        dtype = inputs.dtype
        kernel_h, kernel_w = _pair(kernel_size)
        stride_h, stride_w = _pair(stride)
        shape = inputs.shape
        if shape.rank is None or shape.rank < 4:
            raise ValueError(f"Invalid input rank: {shape.rank}")
        num_filters_in = shape[1 if df == "channels_first" else -1].value
        if num_filters_in is None:
            raise ValueError("Inputs has undefined channel dimension.")
        depthwise_weights = _model_variable(
            "depthwise_weights", shape=[kernel_h, kernel_w, num_filters_in, depth_multiplier],
            dtype=dtype, initializer=weights_initializer, regularizer=weights_regularizer,
            trainable=trainable,
            collections=_variable_collections(variables_collections, "weights"))
        strides = [1, 1, stride_h, stride_w] if data_format.startswith("NC") else \
            [1, stride_h, stride_w, 1]
        outputs = nn_convolution.depthwise_conv2d(inputs, depthwise_weights, strides, padding,
                                                  rate=_pair(rate), data_format=data_format)
        num_outputs = depth_multiplier * num_filters_in
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            biases = _model_variable(
                "biases", shape=[num_outputs], dtype=dtype, initializer=biases_initializer,
                regularizer=biases_regularizer, trainable=trainable,
                collections=_variable_collections(variables_collections, "biases"))
            outputs = nn_ops.bias_add(outputs, biases, data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


separable_conv2d = separable_convolution2d


@custom_gradient
def _scale_gradient(inputs, gradient_multiplier):
    def grad(dy):
        return [dy * gradient_multiplier, None]
    return array_ops.identity(inputs), grad


def scale_gradient(inputs, gradient_multiplier):
    """``tf.contrib.layers.scale_gradient``: the identity forward; the gradient times
    ``gradient_multiplier`` backward."""
    return _scale_gradient(convert_to_tensor(inputs), convert_to_tensor(gradient_multiplier))


@add_arg_scope
def spatial_softmax(features, temperature=None, name=None, variables_collections=None,
                    trainable=True, data_format="NHWC"):
    """``tf.contrib.layers.spatial_softmax``: each channel's expected (x, y) position in
    [-1, 1] under a softmax over its feature map; ``[batch, 2 * channels]``."""
    with variable_scope(name, "spatial_softmax"):
        features = convert_to_tensor(features)
        shape = array_ops.shape(features)
        static_shape = features.shape
        if data_format == DATA_FORMAT_NHWC:
            height, width, num_channels = shape[1], shape[2], static_shape[3].value
        elif data_format == DATA_FORMAT_NCHW:
            num_channels, height, width = static_shape[1].value, shape[2], shape[3]
        else:
            raise ValueError("data_format has to be either NCHW or NHWC.")
        if num_channels is None:
            raise ValueError("The num_channels dimension of the inputs to `spatial_softmax` "
                             "should be defined. Found `None`.")
        with name_scope("spatial_softmax_op", "spatial_softmax_op", [features]):
            pos_x, pos_y = composites.meshgrid(composites.lin_space(-1., 1., num=height),
                                               composites.lin_space(-1., 1., num=width),
                                               indexing="ij")
            pos_x = array_ops.reshape(pos_x, concat_split_ops.stack([height * width]))
            pos_y = array_ops.reshape(pos_y, concat_split_ops.stack([height * width]))
            temp_initializer = init_ops.ones_initializer() if temperature is None else \
                init_ops.constant_initializer(temperature)
            temp_collections = None if not trainable else \
                _variable_collections(variables_collections, "temperature")
            temperature = _model_variable("temperature", shape=(), dtype=_dt.float32,
                                          initializer=temp_initializer,
                                          collections=temp_collections, trainable=trainable)
            flat = concat_split_ops.stack([-1, height * width])
            if data_format == "NCHW":
                features = array_ops.reshape(features, flat)
            else:
                features = array_ops.reshape(transform_ops.transpose(features, [0, 3, 1, 2]),
                                             flat)
            attention = softmax_ops.softmax(features / temperature)
            expected_x = reduction_ops.reduce_sum(pos_x * attention, [1], keepdims=True)
            expected_y = reduction_ops.reduce_sum(pos_y * attention, [1], keepdims=True)
            expected_xy = concat_split_ops.concat([expected_x, expected_y], 1)
            keypoints = array_ops.reshape(expected_xy, [-1, num_channels * 2])
            keypoints.set_shape([None, num_channels * 2])
    return keypoints


@add_arg_scope
def maxout(inputs, num_units, axis=-1, scope=None):
    """``tf.contrib.layers.maxout``: the max over groups of ``channels / num_units`` features
    along ``axis``."""
    with variable_scope(scope, "MaxOut", [inputs]):
        inputs = convert_to_tensor(inputs)
        shape = inputs.shape.as_list()
        num_channels = shape[axis]
        if num_channels % num_units:
            raise ValueError(f"number of features({num_channels}) is not a multiple of "
                             f"num_units({num_units})")
        shape[axis] = num_units
        shape += [num_channels // num_units]
        dynamic = None
        for i, d in enumerate(shape):
            if d is None:
                dynamic = array_ops.shape(inputs) if dynamic is None else dynamic
                shape[i] = dynamic[i]
        if dynamic is not None:
            shape = concat_split_ops.stack(shape)
        return reduction_ops.reduce_max(array_ops.reshape(inputs, shape), -1, keepdims=False)


def embedding_lookup_unique(params, ids, partition_strategy="mod", name=None):
    """``tf.contrib.layers.embedding_lookup_unique``: ``embedding_lookup`` of the unique ids
    only, gathered back (any shape of ``ids``)."""
    with name_scope(name, "EmbeddingLookupUnique", [params, ids]):
        ids = convert_to_tensor(ids)
        shape = array_ops.shape(ids)
        ids_flat = array_ops.reshape(ids, reduction_ops.reduce_prod(shape, keepdims=True))
        unique_ids, idx = segment_ops.unique(ids_flat)
        unique_embeddings = nn_embedding.embedding_lookup(params, unique_ids,
                                                          partition_strategy)
        embeds_flat = gather_ops.gather(unique_embeddings, idx)
        embed_shape = concat_split_ops.concat([shape, array_ops.shape(unique_embeddings)[1:]],
                                              0)
        embeds = array_ops.reshape(embeds_flat, embed_shape)
        embeds.set_shape(ids.shape.concatenate(unique_embeddings.shape[1:]))
        return embeds


def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None,
                   regularizer=None, trainable=True, scope=None, reuse=None):
    """``tf.contrib.layers.embed_sequence``: ``[batch, doc_length]`` ids to ``[batch,
    doc_length, embed_dim]`` through an ``EmbedSequence/embeddings`` model variable."""
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not reusing. "
                         f"Got vocab_size={vocab_size} and embed_dim={embed_dim}")
    with variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        shape = [vocab_size, embed_dim]
        if reuse and vocab_size is None or embed_dim is None:
            shape = None
        embeddings = _model_variable("embeddings", shape=shape, initializer=initializer,
                                     regularizer=regularizer, trainable=trainable)
        if unique:
            return embedding_lookup_unique(embeddings, ids)
        return nn_embedding.embedding_lookup(embeddings, ids)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, name=None,
                                 partition_strategy="div", max_norm=None):
    """``tf.contrib.layers.safe_embedding_lookup_sparse``: TF1's core function (contrib's
    was its origin, with the same signature and behaviour)."""
    return sparse.safe_embedding_lookup_sparse(
        embedding_weights, sparse_ids, sparse_weights=sparse_weights, combiner=combiner,
        default_id=default_id, name=name, partition_strategy=partition_strategy,
        max_norm=max_norm)


@add_arg_scope
def images_to_sequence(inputs, data_format=DATA_FORMAT_NHWC, outputs_collections=None,
                       scope=None):
    """``tf.contrib.layers.images_to_sequence``: ``[B, H, W, C]`` to ``[W, B * H, C]``."""
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with name_scope(scope, "ImagesToSequence", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        if _channels_first(data_format):
            inputs = transform_ops.transpose(inputs, [0, 2, 3, 1])
        _, _, width, depth = inputs.shape.as_list()
        s = array_ops.shape(inputs)
        batch_size, height = s[0], s[1]
        transposed = transform_ops.transpose(inputs, [2, 0, 1, 3])
        outputs = array_ops.reshape(transposed,
                                    concat_split_ops.stack([width, batch_size * height, depth]))
        return _collect(outputs_collections, sc, outputs)


@add_arg_scope
def sequence_to_images(inputs, height, output_data_format="channels_last",
                       outputs_collections=None, scope=None):
    """``tf.contrib.layers.sequence_to_images``: ``[W, B * H, C]`` back to images."""
    with name_scope(scope, "SequenceToImages", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        width, num_batches, depth = inputs.shape.as_list()
        num_batches = -1 if num_batches is None else num_batches // height
        reshaped = array_ops.reshape(inputs, [width, num_batches, height, depth])
        perm = [1, 3, 2, 0] if output_data_format == "channels_first" else [1, 2, 0, 3]
        return _collect(outputs_collections, sc, transform_ops.transpose(reshaped, perm))
