"""slim.tfexample_decoder: each ItemHandler of TFExampleDecoder / TFSequenceExampleDecoder on
hand-built tf.train.Examples, checked against the numpy values written (exact for PNG and raw
bytes) or computed by hand; and the errors naming what is wrong."""

import numpy as np
import pytest

import minitf as tf

slim = tf.contrib.slim
tfd = slim.tfexample_decoder


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _bytes(*values):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))


def _ints(*values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _floats(*values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def _example(**features):
    """A serialized Example; keyword names use '__' for '/'."""
    feature = {k.replace("__", "/"): v for k, v in features.items()}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _decode(serialized, keys_to_features, items_to_handlers, items=None):
    decoder = tfd.TFExampleDecoder(keys_to_features, items_to_handlers)
    outputs = decoder.decode(tf.constant(serialized), items)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        return sess.run(outputs)


def _encoded(fn, image):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(fn(tf.constant(image)))


IMAGE_FEATURES = {"image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
                  "image/format": tf.FixedLenFeature((), tf.string, default_value="png")}


def test_image_png_raw_and_jpeg():
    rng = np.random.RandomState(1)
    rgb = rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)
    png = _encoded(tf.image.encode_png, rgb)
    (decoded,) = _decode(_example(image__encoded=_bytes(png), image__format=_bytes(b"png")),
                         IMAGE_FEATURES, {"image": tfd.Image()})
    np.testing.assert_array_equal(decoded, rgb)
    # raw bytes need the shape; 'RAW' counts as 'raw'
    (raw,) = _decode(_example(image__encoded=_bytes(rgb.tobytes()), image__format=_bytes(b"RAW")),
                     IMAGE_FEATURES, {"image": tfd.Image(shape=[5, 7, 3])})
    np.testing.assert_array_equal(raw, rgb)
    floats = rng.rand(2, 3, 1).astype(np.float32)
    (raw_f,) = _decode(_example(image__encoded=_bytes(floats.tobytes()),
                                image__format=_bytes(b"raw")),
                       IMAGE_FEATURES, {"image": tfd.Image(shape=[2, 3, 1], channels=1,
                                                           dtype=tf.float32)})
    np.testing.assert_array_equal(raw_f, floats)
    # a JPEG whatever the format feature says (the header decides), lossy but close
    smooth = np.tile(np.linspace(0, 250, 16, dtype=np.uint8)[None, :, None], (16, 1, 3))
    jpeg = _encoded(lambda t: tf.image.encode_jpeg(t, quality=95), smooth)
    (from_jpeg,) = _decode(_example(image__encoded=_bytes(jpeg), image__format=_bytes(b"png")),
                           IMAGE_FEATURES, {"image": tfd.Image(dct_method="INTEGER_ACCURATE")})
    assert from_jpeg.shape == (16, 16, 3) and from_jpeg.dtype == np.uint8
    assert np.abs(from_jpeg.astype(int) - smooth).mean() < 3


def test_image_static_shape_channels_dtype_and_keys():
    handler = tfd.Image(image_key="img", format_key="fmt", channels=1, dtype=tf.float32)
    assert handler.keys == ["img", "fmt"]
    image = tfd.TFExampleDecoder(
        {"img": tf.FixedLenFeature((), tf.string), "fmt": tf.FixedLenFeature((), tf.string)},
        {"image": handler}).decode(tf.constant(b""), ["image"])[0]
    assert image.shape.as_list() == [None, None, 1] and image.dtype == tf.float32
    assert tfd.Image().keys == ["image/encoded", "image/format"]


def test_image_gray_png_cast_to_float():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4, 1) * 20
    png = _encoded(tf.image.encode_png, gray)
    (decoded,) = _decode(_example(image__encoded=_bytes(png)), IMAGE_FEATURES,
                         {"image": tfd.Image(channels=1, dtype=tf.float32)})
    assert decoded.dtype == np.float32
    np.testing.assert_array_equal(decoded, gray.astype(np.float32))


def test_image_repeated_decodes_each():
    images = [np.full((2, 3, 3), v, np.uint8) + np.arange(3, dtype=np.uint8) for v in (10, 90)]
    pngs = [_encoded(tf.image.encode_png, im) for im in images]
    features = {"image/encoded": tf.FixedLenFeature((2,), tf.string),
                "image/format": tf.FixedLenFeature((), tf.string, default_value="png")}
    (decoded,) = _decode(_example(image__encoded=_bytes(*pngs)), features,
                         {"images": tfd.Image(repeated=True)})
    np.testing.assert_array_equal(decoded, np.stack(images))


def test_tensor_fixed_var_len_and_shapes():
    serialized = _example(a=_ints(1, 2, 3, 4, 5, 6), v=_floats(1.5, 2.5), h=_ints(2), w=_ints(3),
                          hw=_ints(3, 2))
    features = {"a": tf.FixedLenFeature([6], tf.int64), "v": tf.VarLenFeature(tf.float32),
                "missing": tf.VarLenFeature(tf.float32), "h": tf.VarLenFeature(tf.int64),
                "w": tf.FixedLenFeature([1], tf.int64), "hw": tf.FixedLenFeature([2], tf.int64),
                "lbl": tf.FixedLenFeature([], tf.int64,
                                          default_value=tf.zeros([], dtype=tf.int64))}
    handlers = {"flat": tfd.Tensor("a"), "shaped": tfd.Tensor("a", shape=[2, 3]),
                "per_dim": tfd.Tensor("a", shape_keys=["h", "w"]),
                "whole": tfd.Tensor("a", shape_keys="hw"),
                "var": tfd.Tensor("v"), "var_shaped": tfd.Tensor("v", shape=[2, 1]),
                "absent": tfd.Tensor("missing", default_value=-1.0),
                "label": tfd.Tensor("lbl")}
    items = ["flat", "shaped", "per_dim", "whole", "var", "var_shaped", "absent", "label"]
    flat, shaped, per_dim, whole, var, var_shaped, absent, label = _decode(
        serialized, features, handlers, items)
    a = np.arange(1, 7)
    np.testing.assert_array_equal(flat, a)
    np.testing.assert_array_equal(shaped, a.reshape(2, 3))
    np.testing.assert_array_equal(per_dim, a.reshape(2, 3))
    np.testing.assert_array_equal(whole, a.reshape(3, 2))
    np.testing.assert_array_equal(var, [1.5, 2.5])
    np.testing.assert_array_equal(var_shaped, [[1.5], [2.5]])
    assert absent.shape == (0,)
    assert label == 0 and label.dtype == np.int64  # the tensor default of slim's datasets
    with pytest.raises(ValueError, match="Cannot specify both shape_keys and shape"):
        tfd.Tensor("a", shape_keys=["h"], shape=[2])


def test_bounding_box_var_len_and_prefix():
    boxes = np.array([[0.1, 0.2, 0.5, 0.6], [0.3, 0.0, 0.9, 0.4]], np.float32)
    serialized = _example(**{f"image__object__bbox__{k}": _floats(*boxes[:, i])
                             for i, k in enumerate(["ymin", "xmin", "ymax", "xmax"])})
    features = {f"image/object/bbox/{k}": tf.VarLenFeature(tf.float32)
                for k in ["ymin", "xmin", "ymax", "xmax"]}
    handler = tfd.BoundingBox(prefix="image/object/bbox/")
    assert handler.keys == [f"image/object/bbox/{k}" for k in ["ymin", "xmin", "ymax", "xmax"]]
    (got,) = _decode(serialized, features, {"boxes": handler})
    np.testing.assert_array_equal(got, boxes)
    # other key names, in the order given
    swapped = tfd.BoundingBox(keys=["xmin", "ymin", "xmax", "ymax"], prefix="image/object/bbox/")
    (got,) = _decode(serialized, features, {"boxes": swapped})
    np.testing.assert_array_equal(got, boxes[:, [1, 0, 3, 2]])
    with pytest.raises(ValueError, match="BoundingBox expects 4 keys but got 3"):
        tfd.BoundingBox(keys=["a", "b", "c"])


def test_sparse_tensor_handler():
    serialized = _example(indices=_ints(1, 4, 6), values=_floats(0.5, 1.5, 2.5), shape=_ints(8))
    features = {"indices": tf.VarLenFeature(tf.int64), "values": tf.VarLenFeature(tf.float32),
                "shape": tf.VarLenFeature(tf.int64)}
    sp, dense, by_key = _decode(serialized, features, {
        "sp": tfd.SparseTensor(shape=[8]),
        "dense": tfd.SparseTensor(shape=[8], densify=True, default_value=-1.0),
        "by_key": tfd.SparseTensor(shape_key="shape", densify=True)}, ["sp", "dense", "by_key"])
    np.testing.assert_array_equal(sp.indices, [[1], [4], [6]])
    np.testing.assert_array_equal(sp.values, [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(sp.dense_shape, [8])
    want = np.full(8, -1.0, np.float32)
    want[[1, 4, 6]] = [0.5, 1.5, 2.5]
    np.testing.assert_array_equal(dense, want)
    want[want == -1] = 0
    np.testing.assert_array_equal(by_key, want)
    with pytest.raises(ValueError, match="feature 'indices' must be parsed as a VarLenFeature"):
        tfd.TFExampleDecoder({"indices": tf.FixedLenFeature([3], tf.int64),
                              "values": tf.VarLenFeature(tf.float32)},
                             {"sp": tfd.SparseTensor(shape=[8])}).decode(
            tf.constant(serialized), ["sp"])


def test_lookup_callback_and_backup_handlers():
    serialized = _example(name=_bytes(b"tulip"), label=_ints(), alt=_ints(7), xs=_ints(2, 5))
    table = tf.contrib.lookup.index_table_from_tensor(["daisy", "rose", "tulip"])
    features = {"name": tf.FixedLenFeature((), tf.string), "label": tf.VarLenFeature(tf.int64),
                "alt": tf.VarLenFeature(tf.int64), "xs": tf.VarLenFeature(tf.int64)}
    handlers = {
        "looked_up": tfd.LookupTensor("name", table),
        "sum": tfd.ItemHandlerCallback(["xs"], lambda t: tf.reduce_sum(t["xs"].values)),
        "backed_up": tfd.BackupHandler(tfd.Tensor("label"), tfd.Tensor("alt")),
        "primary": tfd.BackupHandler(tfd.Tensor("xs"), tfd.Tensor("alt"))}
    looked_up, total, backed_up, primary = _decode(
        serialized, features, handlers, ["looked_up", "sum", "backed_up", "primary"])
    assert looked_up == 2 and total == 7
    np.testing.assert_array_equal(backed_up, [7])  # "label" is empty: the backup's
    np.testing.assert_array_equal(primary, [2, 5])
    assert handlers["backed_up"].keys == ["label", "alt"]
    with pytest.raises(ValueError, match="Backup handler is of type"):
        tfd.BackupHandler(tfd.Tensor("a"), "b")


def _feature_list(rows):
    return tf.train.FeatureList(feature=[_floats(*row) for row in rows])


def _boxes_sequence_example(sides):
    return tf.train.SequenceExample(
        context=tf.train.Features(feature={"clip/frames": _ints(len(sides["ymin"]))}),
        feature_lists=tf.train.FeatureLists(feature_list={
            f"box/{k}": _feature_list(rows) for k, rows in sides.items()})).SerializeToString()


def test_sequence_handlers():
    sides = {"ymin": [[0.1, 0.2], [], [0.3]], "xmin": [[0.4, 0.5], [], [0.6]],
             "ymax": [[0.7, 0.8], [], [0.9]], "xmax": [[1.0, 1.1], [], [1.2]]}
    keys = ["ymin", "xmin", "ymax", "xmax"]
    decoder = tfd.TFSequenceExampleDecoder(
        {"clip/frames": tf.FixedLenFeature([], tf.int64)},
        {f"box/{k}": tf.VarLenFeature(tf.float32) for k in keys},
        {"boxes": tfd.BoundingBoxSequence(prefix="box/"),
         "sparse_boxes": tfd.BoundingBoxSequence(prefix="box/", return_dense=False),
         "num_boxes": tfd.NumBoxesSequence(["box/ymin", "box/xmax"]),
         "points": tfd.KeypointsSequence(keys=["ymax", "xmax"], prefix="box/",
                                         default_value=0.0),
         "frames": tfd.Tensor("clip/frames")})
    outputs = decoder.decode(tf.constant(_boxes_sequence_example(sides)))
    with tf.Session() as sess:
        boxes, sparse_boxes, num_boxes, points, frames = sess.run(outputs)
    want = np.full((3, 2, 4), -1.0, np.float32)
    for t in range(3):
        for b in range(len(sides["ymin"][t])):
            want[t, b] = [sides[k][t][b] for k in keys]
    np.testing.assert_allclose(boxes, want)
    np.testing.assert_array_equal(sparse_boxes.dense_shape, [3, 2, 4])
    assert len(sparse_boxes.values) == 12
    np.testing.assert_array_equal(num_boxes, [2, 0, 1])
    np.testing.assert_allclose(points, np.where(want[..., 2:] == -1, 0.0, want[..., 2:]))
    assert frames == 3
    with pytest.raises(ValueError, match="BoundingBoxSequence expects 4 keys but got 2"):
        tfd.BoundingBoxSequence(keys=["a", "b"])
    with pytest.raises(ValueError, match="KeypointsSequence expects 2 keys but got 3"):
        tfd.KeypointsSequence(keys=["a", "b", "c"])
    with pytest.raises(ValueError, match="keys must not be empty"):
        tfd.NumBoxesSequence([])


def test_num_boxes_sequence_inconsistent_fails_at_run():
    sides = {"ymin": [[0.1, 0.2], [0.3]], "xmin": [[0.4], [0.6]]}
    decoder = tfd.TFSequenceExampleDecoder(
        {}, {f"box/{k}": tf.VarLenFeature(tf.float32) for k in sides},
        {"n": tfd.NumBoxesSequence(["box/ymin", "box/xmin"]),
         "unchecked": tfd.NumBoxesSequence(["box/ymin", "box/xmin"], check_consistency=False)})
    checked, unchecked = decoder.decode(tf.constant(_boxes_sequence_example(sides)))
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(unchecked), [2, 1])
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(checked)


def test_sequence_decoder_refuses_shared_keys():
    with pytest.raises(ValueError, match=r"Context and sequence keys are not unique: \['k'\]"):
        tfd.TFSequenceExampleDecoder({"k": tf.FixedLenFeature([], tf.int64)},
                                     {"k": tf.VarLenFeature(tf.int64)}, {})


def test_decoder_errors_name_item_and_key():
    decoder = tfd.TFExampleDecoder(
        {"image/encoded": tf.FixedLenFeature((), tf.string)},
        {"image": tfd.Image(), "label": tfd.Tensor("image/class/label")})
    assert decoder.list_items() == ["image", "label"]
    serialized = tf.constant(_example(image__encoded=_bytes(b"")))
    with pytest.raises(KeyError, match="Item 'image' .*needs feature 'image/format', which is "
                                       r"not in keys_to_features: \['image/encoded'\]"):
        decoder.decode(serialized, ["image"])
    with pytest.raises(KeyError, match="Item 'label' .*'image/class/label'"):
        decoder.decode(serialized, ["label"])
    with pytest.raises(KeyError, match=r"Item 'lable' has no handler; the decoder's items are "
                                       r"\['image', 'label'\]"):
        decoder.decode(serialized, ["lable"])


def test_tensor_default_value_need_not_be_constant():
    fed = tf.placeholder_with_default(tf.constant(-7, tf.int64), [])
    decoder = tfd.TFExampleDecoder({"label": tf.FixedLenFeature([], tf.int64, default_value=fed)},
                                   {"label": tfd.Tensor("label")})
    [label] = decoder.decode(tf.constant(_example()))
    with tf.Session() as sess:
        assert sess.run(label) == -7 and sess.run(label, {fed: 5}) == 5
