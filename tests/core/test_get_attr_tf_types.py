"""``Operation.get_attr`` gives TensorFlow 1.x's types (bytes, TensorProto, TensorShapeProto,
float32-rounded floats, DTypes), and op wrappers take those values back: user code (custom
gradients, graph surgery) hands ``op.get_attr("padding")`` to ``tf.nn.conv2d_backprop_input``.

Types checked against TensorFlow 2.21's tf.compat.v1 (a process of its own) where installed; the
hand-written expectations below run without it."""

import numpy as np
import pytest

import minitf as tf
from minitf.protos import attr_value_pb2, tensor_pb2, tensor_shape_pb2

from .legacy_tf import tf_side_json

# One source for both sides: builds one op per attr kind and describes what get_attr gives.
CASES = '''
def build(tf):
    c = tf.constant([[1, 2], [3, 4]], name="c")
    s = tf.constant([b"a", b"bc"], name="s")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    anything = tf.placeholder(tf.float32, name="anything")
    scalar = tf.placeholder(tf.int64, [], name="scalar")
    y = tf.nn.max_pool(tf.zeros([1, 4, 4, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    q = tf.FIFOQueue(3, [tf.float32, tf.int32], shapes=[[2], []], shared_name="qq")
    lr = tf.nn.leaky_relu(tf.zeros([2]), 0.3)
    mm = tf.matmul(tf.zeros([2, 2]), tf.zeros([2, 2]), transpose_a=True)
    cat = tf.concat([tf.zeros([2]), tf.zeros([3])], 0)
    img = tf.summary.image("im", tf.zeros([1, 2, 2, 3]))
    rt = tf.RaggedTensor.from_row_splits([1.0, 2.0, 3.0], [0, 1, 3]).to_tensor()
    return [(y.op, "padding"), (y.op, "data_format"), (y.op, "ksize"), (y.op, "T"),
            (c.op, "value"), (c.op, "dtype"), (s.op, "value"), (p.op, "shape"),
            (anything.op, "shape"), (scalar.op, "shape"), (q.queue_ref.op, "shapes"),
            (q.queue_ref.op, "component_types"), (q.queue_ref.op, "shared_name"),
            (q.queue_ref.op, "container"), (lr.op, "alpha"), (mm.op, "transpose_a"),
            (cat.op, "N"), (img.op, "bad_color"), (rt.op, "row_partition_types")]


def describe(v, make_ndarray):
    kind = type(v).__name__
    if isinstance(v, list):
        return ["list", [describe(x, make_ndarray) for x in v]]
    if kind == "DType":
        return [kind, v.name]
    if kind == "TensorProto":
        a = make_ndarray(v)
        return [kind, str(a.dtype), a.shape, [x.decode() if isinstance(x, bytes) else x
                                              for x in a.ravel().tolist()]]
    if kind == "TensorShapeProto":
        return [kind, v.unknown_rank, [d.size for d in v.dim]]
    if isinstance(v, bytes):
        return [kind, v.decode()]
    return [kind, v]


def describe_all(tf):
    return [[op.type, name, describe(op.get_attr(name), tf.make_ndarray)]
            for op, name in build(tf)]
'''

TF_SIDE = CASES + '''
import json
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
print(json.dumps(describe_all(tf)))
'''


def _minitf_side():
    scope = {}
    exec(CASES, scope)  # noqa: S102 - the shared case list, as the TF side runs it
    return scope["describe_all"](tf)


def test_get_attr_types_match_tensorflow():
    want = tf_side_json(TF_SIDE, legacy_keras=False)  # skips without TensorFlow
    import json

    got = json.loads(json.dumps(_minitf_side()))  # tuples -> lists, as TF's side went
    assert got == want


def test_get_attr_gives_bytes_protos_and_float32_values():
    c = tf.constant([[1, 2], [3, 4]], name="c")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    y = tf.nn.max_pool(tf.zeros([1, 4, 4, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    assert y.op.get_attr("data_format").decode() == "NHWC"
    assert y.op.get_attr("padding") == b"SAME"
    assert y.op.get_attr("ksize") == [1, 2, 2, 1] and y.op.get_attr("T") == tf.float32
    value = c.op.get_attr("value")
    assert isinstance(value, tensor_pb2.TensorProto)
    np.testing.assert_array_equal(tf.make_ndarray(value), [[1, 2], [3, 4]])
    assert tf.make_ndarray(value).dtype == np.int32
    shape = p.op.get_attr("shape")
    assert isinstance(shape, tensor_shape_pb2.TensorShapeProto)
    assert [d.size for d in shape.dim] == [-1, 3] and not shape.unknown_rank
    assert tf.placeholder(tf.float32).op.get_attr("shape").unknown_rank
    q = tf.FIFOQueue(2, [tf.float32], shapes=[[2, 5]])
    (qs,) = q.queue_ref.op.get_attr("shapes")
    assert isinstance(qs, tensor_shape_pb2.TensorShapeProto) and [d.size for d in qs.dim] == [2, 5]
    assert q.queue_ref.op.get_attr("component_types") == [tf.float32]
    # A float attr is a 32-bit float in TF's AttrValue: 0.3 comes back as float32(0.3).
    alpha = tf.nn.leaky_relu(tf.zeros([2]), 0.3).op.get_attr("alpha")
    assert type(alpha) is float and alpha == float(np.float32(0.3))
    # minitf's own code reads its values, unchanged.
    assert y.op._get_attr("padding") == "SAME" and p.op._get_attr("shape").as_list() == [None, 3]
    assert isinstance(c.op._get_attr("value"), np.ndarray)
    with pytest.raises(ValueError, match="has no attr named 'nope'"):
        y.op.get_attr("nope")


def test_undeclared_attrs_keep_their_tf_types():
    x = tf.constant(1.0, name="x")
    with tf.colocate_with(x):
        y = tf.identity(x)
    assert y.op.get_attr("_class") == [b"loc:@x"]
    fn = attr_value_pb2.AttrValue(func=attr_value_pb2.NameAttrList(name="f"))
    y.op._set_attr("_fn", fn)
    got = y.op.get_attr("_fn")  # a func attr: NameAttrList, as TF's
    assert isinstance(got, attr_value_pb2.NameAttrList) and got.name == "f"


def test_op_wrappers_take_bytes_for_string_attrs():
    x = tf.constant(np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2))
    w = tf.constant(np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 2, 2, 3))
    pairs = [
        (tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], b"SAME"),
         tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")),
        (tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], b"VALID"),
         tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")),
        (tf.nn.conv2d(x, w, [1, 1, 1, 1], b"SAME"), tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")),
        (tf.nn.conv2d_backprop_input([1, 4, 4, 2], w, tf.ones([1, 4, 4, 3]), [1, 1, 1, 1],
                                     b"SAME", data_format=b"NHWC"),
         tf.nn.conv2d_backprop_input([1, 4, 4, 2], w, tf.ones([1, 4, 4, 3]), [1, 1, 1, 1],
                                     "SAME")),
        (tf.raw_ops.MaxPool(input=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding=b"SAME",
                            data_format=b"NHWC"),
         tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")),
        (tf.strings.substr("h\u00e9llo", 0, 2, unit=b"UTF8_CHAR"),
         tf.constant("h\u00e9".encode())),
    ]
    assert pairs[0][0].op._get_attr("padding") == "SAME"  # kept as minitf's str
    with tf.Session() as sess:
        got = sess.run(pairs)
    for a, b in got:
        np.testing.assert_array_equal(a, b)


def _max_pool_grad_numpy(x, dy):
    """2x2, stride 2, VALID max pooling's input gradient: dy at each window's maximum."""
    dx = np.zeros_like(x)
    n, h, w, c = x.shape
    for b in range(n):
        for i in range(0, h, 2):
            for j in range(0, w, 2):
                for k in range(c):
                    win = x[b, i:i + 2, j:j + 2, k]
                    r, s = np.unravel_index(np.argmax(win), win.shape)
                    dx[b, i + r, j + s, k] += dy[b, i // 2, j // 2, k]
    return dx


def test_custom_gradients_hand_get_attr_values_back():
    """The TF1 pattern: a registered gradient rebuilds the op's gradient from its attrs."""

    @tf.RegisterGradient("GetAttrTypesConv")
    def _conv_grad(op, grad):
        strides, padding = op.get_attr("strides"), op.get_attr("padding")
        fmt = op.get_attr("data_format")
        assert isinstance(padding, bytes) and isinstance(fmt, bytes)
        x, w = op.inputs
        return (tf.nn.conv2d_backprop_input(tf.shape(x), w, grad, strides, padding,
                                            data_format=fmt),
                tf.nn.conv2d_backprop_filter(x, tf.shape(w), grad, strides, padding,
                                             data_format=fmt))

    @tf.RegisterGradient("GetAttrTypesMaxPool")
    def _pool_grad(op, grad):
        return tf.raw_ops.MaxPoolGrad(
            orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad,
            ksize=op.get_attr("ksize"), strides=op.get_attr("strides"),
            padding=op.get_attr("padding"), data_format=op.get_attr("data_format"))

    rng = np.random.default_rng(0)
    xv = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    wv = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    g = tf.get_default_graph()
    x, w = tf.constant(xv), tf.constant(wv)
    with g.gradient_override_map({"Conv2D": "GetAttrTypesConv",
                                  "MaxPool": "GetAttrTypesMaxPool"}):
        conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
        pool = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    conv_ref = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    pool_ref = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    dy = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    custom = tf.gradients(tf.reduce_sum(conv * conv), [x, w]) + \
        tf.gradients(tf.reduce_sum(pool * dy), [x])
    built_in = tf.gradients(tf.reduce_sum(conv_ref * conv_ref), [x, w]) + \
        tf.gradients(tf.reduce_sum(pool_ref * dy), [x])
    assert custom[0].op.type == "Conv2DBackpropInput" and custom[2].op.type == "MaxPoolGrad"
    with tf.Session() as sess:
        got, want = sess.run([custom, built_in])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[2], _max_pool_grad_numpy(xv, dy))
