"""``slim.tfexample_decoder`` (TF 1.x contrib.slim): decoders of serialized tf.train.Example
(and SequenceExample) records into named items. Decoding is two steps: the records are parsed
with ``keys_to_features`` (FixedLenFeature / VarLenFeature / ...), then each item's
ItemHandler turns the parsed tensors of its keys into the item (an image decoded from its
PNG/JPEG/raw bytes, a [num_boxes, 4] box tensor, a reshaped tensor, ...). The sequence
handlers (BoundingBoxSequence, KeypointsSequence, NumBoxesSequence) are in
tfexample_decoder_sequence.py, imported here."""

import abc

import minitf as tf

from . import data_decoder
from ...sparse_tensor import SparseTensor as _SparseTensorValue

__all__ = ["BackupHandler", "BoundingBox", "BoundingBoxSequence", "Image", "ItemHandler",
           "ItemHandlerCallback", "KeypointsSequence", "LookupTensor", "NumBoxesSequence",
           "SparseTensor", "TFExampleDecoder", "TFSequenceExampleDecoder", "Tensor"]


def _dense(value, default_value=0):
    """A VarLenFeature's SparseTensor as a dense tensor; a dense tensor as it is."""
    if isinstance(value, _SparseTensorValue):
        return tf.sparse_tensor_to_dense(value, default_value)
    return value


class ItemHandler(abc.ABC):
    """The Example features (``keys``) one item is made of, and how it is made of their
    parsed tensors (``tensors_to_item``)."""

    def __init__(self, keys):
        self._keys = list(keys) if isinstance(keys, (tuple, list)) else [keys]

    @property
    def keys(self):
        return self._keys

    @abc.abstractmethod
    def tensors_to_item(self, keys_to_tensors):
        """The item's tensor, from {key: parsed tensor} of this handler's keys."""


class ItemHandlerCallback(ItemHandler):
    """The item is ``func({key: parsed tensor})``."""

    def __init__(self, keys, func):
        super().__init__(keys)
        self._func = func

    def tensors_to_item(self, keys_to_tensors):
        return self._func(keys_to_tensors)


class BoundingBox(ItemHandler):
    """[num_boxes, 4] boxes (ymin, xmin, ymax, xmax per row) from four features of one
    coordinate each (``keys``, default ymin/xmin/ymax/xmax, each after ``prefix``), VarLen
    or dense."""

    def __init__(self, keys=None, prefix=""):
        if keys is None:
            keys = ["ymin", "xmin", "ymax", "xmax"]
        elif len(keys) != 4:
            raise ValueError(f"BoundingBox expects 4 keys but got {len(keys)}")
        self._prefix = prefix
        self._full_keys = [prefix + k for k in keys]
        super().__init__(self._full_keys)

    def tensors_to_item(self, keys_to_tensors):
        sides = []
        for key in self._full_keys:
            side = keys_to_tensors[key]
            if isinstance(side, _SparseTensorValue):
                side = side.values
            sides.append(tf.expand_dims(side, 0))
        return tf.transpose(tf.concat(sides, 0))


class Tensor(ItemHandler):
    """The parsed tensor of ``tensor_key`` (a VarLen one made dense with ``default_value``),
    reshaped to ``shape`` or to the values of the ``shape_keys`` features (one feature of the
    whole shape, or one per dimension) if given."""

    def __init__(self, tensor_key, shape_keys=None, shape=None, default_value=0):
        if shape_keys and shape is not None:
            raise ValueError("Cannot specify both shape_keys and shape parameters.")
        if shape_keys and not isinstance(shape_keys, list):
            shape_keys = [shape_keys]
        self._tensor_key = tensor_key
        self._shape_keys = shape_keys
        self._shape = shape
        self._default_value = default_value
        super().__init__([tensor_key] + list(shape_keys or []))

    def tensors_to_item(self, keys_to_tensors):
        tensor = keys_to_tensors[self._tensor_key]
        shape = self._shape
        if self._shape_keys:
            dims = [_dense(keys_to_tensors[k]) for k in self._shape_keys]
            shape = tf.reshape(tf.stack(dims), [-1])
        if isinstance(tensor, _SparseTensorValue):
            if shape is not None:
                tensor = tf.sparse_reshape(tensor, shape)
            return tf.sparse_tensor_to_dense(tensor, self._default_value)
        return tensor if shape is None else tf.reshape(tensor, shape)


class LookupTensor(Tensor):
    """A Tensor item mapped through ``table`` (a tf.lookup table: label names to ids, say)."""

    def __init__(self, tensor_key, table, shape_keys=None, shape=None, default_value=""):
        self._table = table
        super().__init__(tensor_key, shape_keys, shape, default_value)

    def tensors_to_item(self, keys_to_tensors):
        return self._table.lookup(super().tensors_to_item(keys_to_tensors))


class BackupHandler(ItemHandler):
    """``handler``'s item, or ``backup``'s where that one has no elements (decided at run
    time)."""

    def __init__(self, handler, backup):
        if not isinstance(handler, ItemHandler):
            raise ValueError(f"Primary handler is of type {type(handler)} instead of "
                             "ItemHandler")
        if not isinstance(backup, ItemHandler):
            raise ValueError(f"Backup handler is of type {type(backup)} instead of ItemHandler")
        self._handler = handler
        self._backup = backup
        super().__init__(handler.keys + backup.keys)

    def tensors_to_item(self, keys_to_tensors):
        item = self._handler.tensors_to_item(keys_to_tensors)
        return tf.cond(tf.equal(tf.reduce_prod(tf.shape(item)), 0),
                       lambda: self._backup.tensors_to_item(keys_to_tensors), lambda: item)


class SparseTensor(ItemHandler):
    """A SparseTensor from two VarLen features: ``indices_key`` (the ids, which become the last
    index column) and ``values_key``; its dense shape is the ``shape_key`` feature's value, or
    ``shape``, or the ids'. ``densify`` makes it dense with ``default_value``."""

    def __init__(self, indices_key=None, values_key=None, shape_key=None, shape=None,
                 densify=False, default_value=0):
        self._indices_key = indices_key or "indices"
        self._values_key = values_key or "values"
        self._shape_key = shape_key
        self._shape = shape
        self._densify = densify
        self._default_value = default_value
        keys = [self._indices_key, self._values_key] + ([shape_key] if shape_key else [])
        super().__init__(keys)

    def tensors_to_item(self, keys_to_tensors):
        indices = keys_to_tensors[self._indices_key]
        values = keys_to_tensors[self._values_key]
        for key, parsed in ((self._indices_key, indices), (self._values_key, values)):
            if not isinstance(parsed, _SparseTensorValue):
                raise ValueError(f"SparseTensor handler: feature '{key}' must be parsed as a "
                                 "VarLenFeature (a SparseTensor), got a dense tensor")
        if self._shape_key:
            shape = _dense(keys_to_tensors[self._shape_key])
        elif self._shape:
            shape = self._shape
        else:
            shape = indices.dense_shape
        rank = tf.shape(indices.indices)[1]
        ids = tf.cast(indices.values, tf.int64)
        # the parsed indices with their last column (the position in the list) replaced by ids
        kept_columns = tf.slice(indices.indices, [0, 0], tf.stack([-1, rank - 1]))
        new_indices = tf.concat([kept_columns, tf.reshape(ids, [-1, 1])], 1)
        tensor = _SparseTensorValue(new_indices, values.values, shape)
        if self._densify:
            tensor = tf.sparse_tensor_to_dense(tensor, self._default_value)
        return tensor


class Image(ItemHandler):
    """An image decoded from the ``image_key`` feature (default 'image/encoded'): raw pixels
    of ``dtype`` when the ``format_key`` feature (default 'image/format') is 'raw' or 'RAW',
    else JPEG (with ``dct_method``) or PNG/GIF/BMP by its header, with ``channels`` channels
    and cast to ``dtype``. Its static shape is [None, None, channels]; ``shape`` reshapes it
    (needed for raw images). ``repeated``: the feature holds a list of images, decoded to a
    stack of them."""

    def __init__(self, image_key=None, format_key=None, shape=None, channels=3,
                 dtype=tf.uint8, repeated=False, dct_method=""):
        self._image_key = image_key or "image/encoded"
        self._format_key = format_key or "image/format"
        super().__init__([self._image_key, self._format_key])
        self._shape = shape
        self._channels = channels
        self._dtype = tf.as_dtype(dtype)
        self._repeated = repeated
        self._dct_method = dct_method

    def tensors_to_item(self, keys_to_tensors):
        image_buffer = keys_to_tensors[self._image_key]
        image_format = keys_to_tensors[self._format_key]
        if self._repeated:
            return tf.map_fn(lambda buffer: self._decode(buffer, image_format), image_buffer,
                             dtype=self._dtype)
        return self._decode(image_buffer, image_format)

    def _decode(self, image_buffer, image_format):
        def decode_image():
            return tf.cast(tf.image.decode_image(image_buffer, channels=self._channels),
                           self._dtype)

        def decode_jpeg():  # decode_jpeg itself, as it takes the dct_method hint
            return tf.cast(tf.image.decode_jpeg(image_buffer, channels=self._channels,
                                                dct_method=self._dct_method), self._dtype)

        def check_jpeg():
            return tf.cond(tf.image.is_jpeg(image_buffer), decode_jpeg, decode_image,
                           name="cond_jpeg")

        def decode_raw():
            return tf.decode_raw(image_buffer, out_type=self._dtype)

        is_raw = tf.logical_or(tf.equal(image_format, "raw"), tf.equal(image_format, "RAW"))
        image = tf.case([(is_raw, decode_raw)], default=check_jpeg, exclusive=True)
        image.set_shape([None, None, self._channels])
        if self._shape is not None:
            image = tf.reshape(image, self._shape)
        return image


def _parsed_for(handler, item, parsed, where):
    """{key: parsed tensor} of ``handler``'s keys; KeyError naming the item and the key when
    ``parsed`` (the features declared in ``where``) lacks one."""
    out = {}
    for key in handler.keys:
        if key not in parsed:
            raise KeyError(f"Item '{item}' ({type(handler).__name__} handler) needs feature "
                           f"'{key}', which is not in {where}: {sorted(parsed)}")
        out[key] = parsed[key]
    return out


def _handler_of(items_to_handlers, item):
    if item not in items_to_handlers:
        raise KeyError(f"Item '{item}' has no handler; the decoder's items are "
                       f"{sorted(items_to_handlers, key=str)}")
    return items_to_handlers[item]


def _reshape_fixed_len(parsed, keys_to_features):
    # parsed dense features take their declared shapes, in a deterministic order of ops
    for key in sorted(keys_to_features):
        feature = keys_to_features[key]
        if isinstance(feature, tf.FixedLenFeature):
            parsed[key] = tf.reshape(parsed[key], feature.shape)
    return parsed


class TFExampleDecoder(data_decoder.DataDecoder):
    """Decodes one serialized tf.train.Example: parses it with ``keys_to_features`` ({key:
    FixedLenFeature or VarLenFeature}), then makes each item with its handler of
    ``items_to_handlers`` ({item name: ItemHandler})."""

    def __init__(self, keys_to_features, items_to_handlers):
        self._keys_to_features = keys_to_features
        self._items_to_handlers = items_to_handlers

    def list_items(self):
        return list(self._items_to_handlers.keys())

    def decode(self, serialized_example, items=None):
        """The tensors of ``items`` (all the decoder's if None or empty), in their order."""
        example = tf.parse_single_example(serialized_example, self._keys_to_features)
        example = _reshape_fixed_len(example, self._keys_to_features)
        outputs = []
        for item in items or self._items_to_handlers.keys():
            handler = _handler_of(self._items_to_handlers, item)
            outputs.append(handler.tensors_to_item(
                _parsed_for(handler, item, example, "keys_to_features")))
        return outputs


class TFSequenceExampleDecoder(data_decoder.DataDecoder):
    """Decodes one serialized tf.train.SequenceExample: parses its context with
    ``keys_to_context_features`` and its feature lists with ``keys_to_sequence_features``
    (keys must differ between the two), then makes each item with its handler."""

    def __init__(self, keys_to_context_features, keys_to_sequence_features,
                 items_to_handlers):
        shared = set(keys_to_context_features) & set(keys_to_sequence_features)
        if shared:
            raise ValueError(f"Context and sequence keys are not unique: {sorted(shared)} in "
                             f"both. \n Context keys: {list(keys_to_context_features)} \n "
                             f"Sequence keys: {list(keys_to_sequence_features)}")
        self._keys_to_context_features = keys_to_context_features
        self._keys_to_sequence_features = keys_to_sequence_features
        self._items_to_handlers = items_to_handlers

    def list_items(self):
        return list(self._items_to_handlers.keys())

    def decode(self, serialized_example, items=None):
        """The tensors of ``items`` (all the decoder's if None or empty), in their order."""
        context, feature_lists = tf.parse_single_sequence_example(
            serialized_example, self._keys_to_context_features,
            self._keys_to_sequence_features)
        context = _reshape_fixed_len(dict(context), self._keys_to_context_features)
        parsed = {**feature_lists, **context}
        outputs = []
        for item in items or self._items_to_handlers.keys():
            handler = _handler_of(self._items_to_handlers, item)
            outputs.append(handler.tensors_to_item(_parsed_for(
                handler, item, parsed, "keys_to_context_features or keys_to_sequence_features")))
        return outputs


from .tfexample_decoder_sequence import (BoundingBoxSequence, KeypointsSequence,  # noqa: E402
                                         NumBoxesSequence)
