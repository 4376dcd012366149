"""tf.contrib.layers.utils: every contrib layer's collected output carries its scope's name as
an alias, and convert_collection_to_dict builds end points from them (TF1's mechanism)."""

import pytest

import minitf as tf
from minitf.contrib.layers import utils


def test_layers_alias_their_outputs_by_scope():
    layers = tf.contrib.layers
    with tf.Graph().as_default():
        x = tf.zeros([1, 8, 8, 3])
        with tf.variable_scope("net") as sc:
            collection = sc.original_name_scope + "_end_points"
            with tf.contrib.framework.arg_scope([layers.conv2d, layers.max_pool2d],
                                                outputs_collections=collection):
                conv = layers.conv2d(x, 4, [3, 3], scope="conv1")
                pool = layers.max_pool2d(conv, [2, 2], scope="pool1")
                unnamed = layers.conv2d(pool, 2, [1, 1])
        end_points = utils.convert_collection_to_dict(collection)
        assert list(end_points) == ["net/conv1", "net/pool1", "net/Conv"]
        assert end_points["net/pool1"] is pool and end_points["net/Conv"] is unnamed
        assert utils.gather_tensors_aliases([conv, pool]) == ["net/conv1", "net/pool1"]
        assert utils.get_tensor_aliases(x) == ["zeros"]  # no alias: the op's name
        utils.convert_collection_to_dict(collection, clear_collection=True)
        assert tf.get_collection(collection) == []
        assert utils.last_dimension(conv.shape) == 4
        with pytest.raises(ValueError, match="must be known"):
            utils.last_dimension(tf.TensorShape([2, None]))
