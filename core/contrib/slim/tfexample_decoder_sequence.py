"""slim.tfexample_decoder's handlers of box and keypoint sequences (per-frame lists of boxes in
a SequenceExample's VarLen feature lists, parsed as [time, boxes] SparseTensors); exported by
tfexample_decoder.py."""

import minitf as tf

from ...sparse_tensor import SparseTensor as _SparseTensorValue
from .tfexample_decoder import ItemHandler

__all__ = ["BoundingBoxSequence", "KeypointsSequence", "NumBoxesSequence"]


def _sparse_or_error(value, key, what):
    if not isinstance(value, _SparseTensorValue):
        raise ValueError(f"{what}: feature '{key}' must be parsed as a VarLenFeature (a "
                         f"SparseTensor), got {type(value).__name__}")
    return value


def _stack_coordinates(handler, keys_to_tensors):
    """The [time, n, len(keys)] SparseTensor of the handler's coordinate features: each gets
    a trailing dimension of 1, then they are concatenated along it; dense with the handler's
    default value if it returns dense."""
    sides = []
    for key in handler._full_keys:
        value = _sparse_or_error(keys_to_tensors[key], key, type(handler).__name__)
        expanded = tf.concat([tf.cast(value.dense_shape, tf.int64),
                              tf.constant([1], dtype=tf.int64)], 0)
        sides.append(tf.sparse_reshape(value, expanded))
    stacked = tf.sparse_concat(2, sides)
    if handler._return_dense:
        return tf.sparse_tensor_to_dense(stacked, default_value=handler._default_value)
    return stacked


class _CoordinatesSequence(ItemHandler):
    _default_keys: list = []

    def __init__(self, keys=None, prefix=None, return_dense=True, default_value=-1.0):
        if keys is None:
            keys = list(self._default_keys)
        elif len(keys) != len(self._default_keys):
            raise ValueError(f"{type(self).__name__} expects {len(self._default_keys)} keys "
                             f"but got {len(keys)}")
        self._prefix = prefix
        self._full_keys = [(prefix or "") + k for k in keys]
        self._return_dense = return_dense
        self._default_value = default_value
        super().__init__(self._full_keys)

    def tensors_to_item(self, keys_to_tensors):
        return _stack_coordinates(self, keys_to_tensors)


class BoundingBoxSequence(_CoordinatesSequence):
    """[time, num_boxes, 4] boxes (ymin, xmin, ymax, xmax) from four VarLen feature lists
    (``keys`` after ``prefix``); frames with fewer boxes are filled with ``default_value``
    (a SparseTensor instead unless ``return_dense``)."""

    _default_keys = ["ymin", "xmin", "ymax", "xmax"]


class KeypointsSequence(_CoordinatesSequence):
    """[time, num_keypoints, 2] keypoints (y, x) from two VarLen feature lists, as
    BoundingBoxSequence."""

    _default_keys = ["y", "x"]


class NumBoxesSequence(ItemHandler):
    """int64 [time]: the number of boxes of each frame, from the first of ``keys`` (VarLen
    feature lists parsed as [time, boxes] SparseTensors); with ``check_consistency`` the run
    fails (InvalidArgumentError) unless every key gives the same counts."""

    def __init__(self, keys=None, check_consistency=True):
        if not keys:
            raise ValueError("keys must not be empty.")
        self._check_consistency = check_consistency
        super().__init__(keys)

    @staticmethod
    def _num_boxes(tensor, key):
        tensor = _sparse_or_error(tensor, key, "NumBoxesSequence")
        box_ids = _SparseTensorValue(tensor.indices, tensor.indices[:, 1], tensor.dense_shape)
        box_ids = tf.sparse_tensor_to_dense(box_ids, default_value=-1)
        # a padding column of 0 gives frames without boxes (or no boxes at all) a count of 0
        return tf.reduce_max(tf.pad(box_ids + 1, [[0, 0], [0, 1]]), axis=1)

    def tensors_to_item(self, keys_to_tensors):
        num_boxes = self._num_boxes(keys_to_tensors[self._keys[0]], self._keys[0])
        checks = []
        if self._check_consistency:
            checks = [tf.assert_equal(num_boxes, self._num_boxes(keys_to_tensors[k], k))
                      for k in self._keys[1:]]
        with tf.control_dependencies(checks):
            return tf.identity(num_boxes)
