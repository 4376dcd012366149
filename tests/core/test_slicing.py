"""Slicing wrappers and Tensor.__getitem__: TF's node names, masks, partial shape inference and
error messages (expectations verified against TensorFlow 2.21's tf.compat.v1)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

X = np.arange(120, dtype=np.float32).reshape(4, 5, 6)


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _masks(t):
    return [t.op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask",
                                       "new_axis_mask", "shrink_axis_mask")]


def _const(t):
    return tf.make_ndarray(t.op.get_attr("value")).tolist()


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _op_summary():
    return [(op.name, op.type) for op in tf.get_default_graph().get_operations()
            if op.type != "Placeholder"]


# -- __getitem__ ----------------------------------------------------------------------------------


def test_getitem_builds_one_strided_slice_named_like_tf():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = x[:, 1]
    assert y.name == "strided_slice:0" and y.op.type == "StridedSlice"
    assert [t.name for t in y.op.inputs] == [
        "x:0", "strided_slice/stack:0", "strided_slice/stack_1:0", "strided_slice/stack_2:0"]
    assert [_const(t) for t in y.op.inputs[1:]] == [[0, 1], [0, 2], [1, 1]]
    assert _masks(y) == [1, 1, 0, 0, 2]
    assert y.op.get_attr("Index") == tf.int32
    assert y.shape.as_list() == [4, 6]
    np.testing.assert_array_equal(_run(y, {x: X}), X[:, 1])
    assert x[0].name == "strided_slice_1:0"
    with tf.name_scope("foo"):
        assert x[1].name == "foo/strided_slice:0"


@pytest.mark.parametrize("index, begin, end, strides, masks, shape", [
    (0, [0], [1], [1], [0, 0, 0, 0, 1], [5, 6]),
    ((Ellipsis, slice(1, 3), None), [0, 1, 0], [0, 3, 0], [1, 1, 1], [0, 0, 1, 4, 0],
     [4, 5, 2, 1]),
    ((slice(None, None, -1), None, -2), [0, 0, -2], [0, 0, -1], [-1, 1, 1], [1, 1, 0, 2, 4],
     [4, 1, 6]),
    (slice(1, None), [1], [0], [1], [0, 1, 0, 0, 0], [3, 5, 6]),
])
def test_getitem_encodings_match_tf(index, begin, end, strides, masks, shape):
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = x[index]
    assert [_const(t) for t in y.op.inputs[1:]] == [begin, end, strides]
    assert _masks(y) == masks
    assert y.shape.as_list() == shape
    np.testing.assert_array_equal(_run(y, {x: X}), X[index])


def test_getitem_empty_spec_uses_one_empty_const():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = x[()]
    assert [t.name for t in y.op.inputs[1:]] == ["strided_slice/Const:0"] * 3
    assert y.shape.as_list() == [4, 5, 6]


def test_getitem_with_tensor_indices_packs_like_tf():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    i = tf.placeholder(tf.int32, [], name="i")
    y = x[i:i + 2, 1]
    assert _op_summary() == [
        ("add/y", "Const"), ("add", "AddV2"), ("Const", "Const"),
        ("strided_slice/stack/1", "Const"), ("strided_slice/stack", "Pack"),
        ("strided_slice/stack_1/1", "Const"), ("strided_slice/stack_1", "Pack"),
        ("strided_slice/stack_2/1", "Const"), ("strided_slice/stack_2", "Pack"),
        ("strided_slice", "StridedSlice")]
    assert _masks(y) == [0, 0, 0, 0, 2]
    assert y.shape.as_list() == [None, 6]
    np.testing.assert_array_equal(_run(y, {x: X, i: 1}), X[1:3, 1])


def test_getitem_scalar_tensor_index_and_int64():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    i = tf.placeholder(tf.int32, [], name="i")
    y = x[i]
    assert [t.op.type for t in y.op.inputs[1:]] == ["Pack", "Pack", "Const"]
    assert y.shape.as_list() == [5, 6]
    np.testing.assert_array_equal(_run(y, {x: X, i: 2}), X[2])
    j = tf.placeholder(tf.int64, [], name="j")
    z = x[j]
    assert z.op.get_attr("Index") == tf.int64
    # TF2's helper gives an int64 tensor index an int64 Const stride.
    assert z.op.inputs[3].op.type == "Pack" and z.op.inputs[3].op.inputs[0].name == "Const:0"
    np.testing.assert_array_equal(_run(z, {x: X, j: 3}), X[3])
    w = x[1:j]  # an int32 Const begin is cast to int64 to match
    assert w.op.inputs[1].op.type == "Cast" and w.op.inputs[1].name.startswith("strided_slice_")
    np.testing.assert_array_equal(_run(w, {x: X, j: 3}), X[1:3])


def test_getitem_numpy_ints_and_dimensions():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = x[np.int64(1), np.array(2):]
    assert y.op.inputs[1].dtype == tf.int32
    np.testing.assert_array_equal(_run(y, {x: X}), X[1, 2:])
    z = x[: x.shape[0]]  # a known Dimension is an ordinary bound
    np.testing.assert_array_equal(_run(z, {x: X}), X)


def test_getitem_list_spec_is_a_tuple_spec():
    x = tf.placeholder(tf.float32, [4, 5, 6])
    np.testing.assert_array_equal(_run(x[[1, 2]], {x: X}), X[1, 2])  # as in TF, not fancy


@pytest.mark.parametrize("bad", [1.5, "a", (slice(None), [1, 2])])
def test_getitem_rejects_non_indices(bad):
    x = tf.constant(X)
    with pytest.raises(TypeError, match=re.escape(
            "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
            "tf.int32/tf.int64 tensors are valid indices, got")):
        x[bad]


def test_getitem_rejects_vector_and_float_tensors():
    x = tf.constant(X)
    for bad in (tf.constant([1, 2]), tf.constant(1.0)):
        with pytest.raises(TypeError, match="are valid indices, got"):
            x[bad]


def test_getitem_on_variables_and_newaxis_export():
    assert tf.newaxis is None
    v = tf.Variable(X)
    y = v[tf.newaxis, 0, ..., 1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(y), X[None, 0, ..., 1])


# -- wrappers -------------------------------------------------------------------------------------


def test_slice_wrapper_naming_and_builtin_slice_untouched():
    import builtins

    from minitf.ops import slicing_ops

    assert tf.slice is slicing_ops.slice_ and builtins.slice(1, 2) == slice(1, 2)
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = tf.slice(x, [0, 1, 2], [1, -1, 2])
    assert _op_summary() == [("Slice/begin", "Const"), ("Slice/size", "Const"),
                             ("Slice", "Slice")]
    assert y.shape.as_list() == [1, 4, 2]
    np.testing.assert_array_equal(_run(y, {x: X}), X[0:1, 1:, 2:4])


def test_strided_slice_wrapper_defaults_strides_to_ones_like():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = tf.strided_slice(x, [0], [2])
    assert y.name == "StridedSlice:0"
    assert [t.name for t in y.op.inputs] == ["x:0", "StridedSlice/begin:0", "StridedSlice/end:0",
                                              "ones_like:0"]
    np.testing.assert_array_equal(_run(y, {x: X}), X[0:2])


def test_gather_wrapper_naming_and_tf1_batch_dims_quirk():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = tf.gather(x, [1, 2], axis=1)
    assert _op_summary() == [("GatherV2/indices", "Const"), ("GatherV2/axis", "Const"),
                             ("GatherV2", "GatherV2")]
    assert y.op.get_attr("Taxis") == tf.int32 and y.op.get_attr("Tindices") == tf.int32
    assert y.shape.as_list() == [4, 2, 6]
    # TF1's tf.gather drops batch_dims when the axis is statically 0.
    z = tf.gather(x, [[0, 1], [1, 1]], axis=0, batch_dims=1, validate_indices=True)
    assert z.op.get_attr("batch_dims") == 0 and z.shape.as_list() == [2, 2, 5, 6]
    # axis=None means axis=batch_dims.
    w = tf.gather(x, [[0, 4], [1, 1], [2, 3], [0, 0]], batch_dims=1)
    assert w.op.get_attr("batch_dims") == 1 and _const(w.op.inputs[2]) == 1
    np.testing.assert_array_equal(_run(w, {x: X}),
                                  np.stack([X[b][[[0, 4], [1, 1], [2, 3], [0, 0]][b]]
                                            for b in range(4)]))


def test_unsorted_segment_sum_wrapper():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = tf.unsorted_segment_sum(x, [0, 0, -1, 2], 3)
    assert _op_summary() == [("UnsortedSegmentSum/segment_ids", "Const"),
                             ("UnsortedSegmentSum/num_segments", "Const"),
                             ("UnsortedSegmentSum", "UnsortedSegmentSum")]
    assert y.shape.as_list() == [3, 5, 6]
    np.testing.assert_array_equal(_run(y, {x: X}), np.stack([X[0] + X[1], 0 * X[0], X[3]]))


# -- partial shape inference ----------------------------------------------------------------------


@pytest.mark.parametrize("build, shape", [
    (lambda: tf.placeholder(tf.float32, [None, 5, None])[1:3, ::-2, 1], [None, 3]),
    (lambda: tf.placeholder(tf.float32, [2, 3, 4])[tf.newaxis, ..., tf.newaxis, 1],
     [1, 2, 3, 1]),
    (lambda: tf.placeholder(tf.float32, [None, 3])[-1], [3]),
    (lambda: tf.placeholder(tf.float32)[..., 1], None),
    (lambda: tf.placeholder(tf.float32)[1:2, 3], None),
    (lambda: tf.strided_slice(tf.placeholder(tf.float32, [2, 3, 4]),
                              tf.placeholder(tf.int32, [2]), [1, 2], [1, 1],
                              shrink_axis_mask=1), [None, 4]),
    # TF gives an unknown shape when strides are not constant; the spec still tells the rank
    # and the dims an ellipsis (here the implicit one) covers.
    (lambda: tf.strided_slice(tf.placeholder(tf.float32, [2, 3, 4]), [0, 1], [1, 2],
                              tf.placeholder(tf.int32, [2]), shrink_axis_mask=2,
                              new_axis_mask=1), [1, 3, 4]),
    (lambda: tf.strided_slice(tf.placeholder(tf.float32, [2, 3, 4]), [0, 1], [1, 2],
                              tf.placeholder(tf.int32, [2])), [None, None, 4]),
    (lambda: tf.slice(tf.placeholder(tf.float32, [2, None, 4]), [0, 1, 1], [-1, -1, 2]),
     [2, None, 2]),
    (lambda: tf.slice(tf.placeholder(tf.float32, [2, 3, 4]), tf.placeholder(tf.int32, [3]),
                      [1, -1, 2]), [1, None, 2]),
    (lambda: tf.slice(tf.placeholder(tf.float32, [2, 3, 4]), [0, 0, 0],
                      tf.placeholder(tf.int32, [3])), [None, None, None]),
    (lambda: tf.slice(tf.placeholder(tf.float32), [0, 0], [1, 1]), [1, 1]),
    (lambda: tf.gather(tf.placeholder(tf.float32, [2, None, 4]),
                       tf.placeholder(tf.int32, [None, 5]), axis=1), [2, None, 5, 4]),
    (lambda: tf.gather(tf.constant(X), [1, 0], axis=tf.placeholder(tf.int32, [])),
     [None, None, None]),
    (lambda: tf.unsorted_segment_sum(tf.placeholder(tf.float32, [None, 3, 4]),
                                     tf.placeholder(tf.int32, [None]), 5), [5, 3, 4]),
    (lambda: tf.unsorted_segment_sum(tf.placeholder(tf.float32, [None, 3, 4]),
                                     tf.placeholder(tf.int32, [None, None]),
                                     tf.placeholder(tf.int32, [])), [None, 4]),
    (lambda: tf.unsorted_segment_sum(tf.placeholder(tf.float32),
                                     tf.placeholder(tf.int32, [None, None]), 4), None),
])
def test_partial_shape_inference(build, shape):
    t = build()
    assert t.shape.rank is None if shape is None else t.shape.as_list() == shape


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda x: x[5], "slice index 5 of dimension 0 out of bounds."),
    (lambda x: x[-5], "slice index -1 of dimension 0 out of bounds."),
    (lambda x: x[::0], "strides[0] must be non-zero"),
    (lambda x: x[1, 1, 1, 1], "Index out of range using input dim 3; input has only 3 dims"),
    (lambda x: tf.strided_slice(x, [0, 0], [0, 0], [1, 1], ellipsis_mask=3),
     "Multiple ellipses in slice spec not allowed"),
    (lambda x: tf.strided_slice(x, [0], [1], [-1], shrink_axis_mask=1),
     "only stride 1 allowed on non-range indexing."),
    (lambda x: tf.strided_slice(x, [0, 0], [1], [1]),
     "Dimension 0 in both shapes must be equal, but are 2 and 1."),
    (lambda x: tf.strided_slice(x, [[0]], [[1]], [[1]]), "Shape must be rank 1 but is rank 2"),
    (lambda x: tf.slice(x, [0, 1], [1, 1]), "Shape must be rank 2 but is rank 3"),
    (lambda x: tf.slice(x, [0, 0, 0], [1, -2, 1]), "Invalid value in tensor used for shape: -2"),
    (lambda x: tf.gather(x, [0], axis=3), "Shape must be at least rank 4 but is rank 3"),
    (lambda x: tf.gather(x, [0], axis=-4), "Shape must be at least rank 4 but is rank 3"),
    (lambda x: tf.gather(x, [0], axis=[1]), "Shape must be rank 0 but is rank 1"),
    (lambda x: tf.gather(x, [0, 1], axis=1, batch_dims=2),
     "Shape must be at least rank 2 but is rank 1"),
    (lambda x: tf.unsorted_segment_sum(x, [0, 1, 1], 3),
     "Dimensions must be equal, but are 4 and 3"),
    (lambda x: tf.unsorted_segment_sum(x, [0, 1], [3]), "Shape must be rank 0 but is rank 1"),
])
def test_graph_construction_errors(build, message):
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        build(tf.constant(X))


@pytest.mark.parametrize("build, message", [
    (lambda x: x[5], "slice index 5 of dimension 0 out of bounds."),
    (lambda x: tf.slice(x, [0, 1, 0], [1, 5, 1]), "Expected size[1] in [0, 4], but got 5"),
    (lambda x: tf.slice(x, [0, -1, 0], [1, 1, 1]), "Expected begin[1] in [0, 5], but got -1"),
    (lambda x: tf.slice(x, [0, 1], [1, 1]),
     "Expected begin and size arguments to be 1-D tensors of size 3, but got shapes [2] and "
     "[2] instead."),
    (lambda x: tf.gather(x, [[0, 5]]), "indices[0,1] = 5 is not in [0, 4)"),
    (lambda x: tf.gather(x, [[0, 1], [2, -1]], axis=1), "indices[1,1] = -1 is not in [0, 5)"),
    (lambda x: tf.gather(x, 9), "indices = 9 is not in [0, 4)"),
    (lambda x: tf.gather(x, [[0, 2], [1, 7], [0, 0], [1, 1]], axis=2, batch_dims=1),
     "indices[1,1] = 7 is not in [0, 6)"),
    (lambda x: tf.gather(x, [[0, 2], [1, 1]], axis=2, batch_dims=1),
     "params.shape[0]: 4 should be equal to indices.shape[0]: 2"),
    (lambda x: tf.unsorted_segment_sum(x, [0, 3, 1, 1], 3),
     "segment_ids[1] = 3 is out of range [0, 3)"),
    (lambda x: tf.unsorted_segment_sum(x, [0, 1], tf.placeholder_with_default(-1, [])),
     "Input num_segments == -1 must not be negative."),
    (lambda x: tf.unsorted_segment_sum(x, [0, 1, 1], 3),
     "data.shape = [4,5,6] does not start with segment_ids.shape = [3]"),
])
def test_runtime_errors(build, message):
    x = tf.placeholder_with_default(X, None)  # unknown shape: the kernels must check
    t = build(x)
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        _run(t)


def test_raw_gather_batch_dims_above_axis_is_rejected():
    from minitf.ops.gather_ops import GATHER_V2

    with pytest.raises(InvalidArgumentError,
                       match=re.escape("batch_dims (1) must be less than or equal to axis (0).")):
        GATHER_V2(tf.constant(X), [[0, 1], [1, 1]], 0, batch_dims=1)


def test_strided_slice_grad_checks_dy_shape():
    from minitf.ops.slicing_ops import strided_slice_grad

    msg = "shape of dy was [2,3,4] instead of [2,2,4]"
    with pytest.raises(InvalidArgumentError, match=re.escape(msg)):
        strided_slice_grad([2, 3, 4], [0, 1], [2, 3], [1, 1], tf.ones([2, 3, 4]))
    t = strided_slice_grad([2, 3, 4], [0, 1], [2, 3], [1, 1],
                           tf.placeholder_with_default(tf.ones([2, 3, 4]), None))
    assert t.shape.as_list() == [2, 3, 4]
    with pytest.raises(InvalidArgumentError, match=re.escape(msg)):
        _run(t)


# -- gradients ------------------------------------------------------------------------------------


def test_strided_slice_gradient_is_strided_slice_grad_with_static_shape():
    x = tf.placeholder(tf.float32, [4, 5, 6], name="x")
    y = x[1:3, ::2]
    (g,) = tf.gradients(tf.reduce_sum(y), x)
    assert g.op.type == "StridedSliceGrad" and g.op.name == "gradients/strided_slice_grad/" \
        "StridedSliceGrad"
    assert _const(g.op.inputs[0]) == [4, 5, 6]
    assert g.op.inputs[1] is y.op.inputs[1]
    assert _masks(g) == [2, 2, 0, 0, 0]
    want = np.zeros_like(X)
    want[1:3, ::2] = 1
    np.testing.assert_array_equal(_run(g, {x: X}), want)


def test_gradients_with_unknown_shapes():
    x = tf.placeholder(tf.float64, None)
    xv = np.random.default_rng(1).standard_normal((3, 4))
    for y, mask in [(x[1:, ::-2], (slice(1, None), slice(None, None, -2))),
                    (tf.slice(x, [1, 1], [-1, 2]), (slice(1, None), slice(1, 3)))]:
        (g,) = tf.gradients(tf.reduce_sum(y * y), x)
        want = np.zeros_like(xv)
        want[mask] = 2 * xv[mask]
        np.testing.assert_allclose(_run(g, {x: xv}), want)


def test_gather_gradient_accumulates():
    """Along axis 0 the gradient is sparse (TF1's IndexedSlices), its dense form the repeated
    rows added up; along another axis it is dense."""
    p = tf.placeholder(tf.float64, [4, 3])
    i = tf.placeholder(tf.int64, [None])
    (g0,) = tf.gradients(tf.reduce_sum(tf.gather(p, i)), p)
    assert isinstance(g0, tf.IndexedSlices) and g0.shape.as_list() == [4, 3]
    g0 = tf.convert_to_tensor(g0)
    assert g0.op.type == "UnsortedSegmentSum" and g0.shape.as_list() == [4, 3]
    (g1,) = tf.gradients(tf.reduce_sum(tf.gather(p, i, axis=1)), p)
    assert isinstance(g1, tf.Tensor) and g1.shape.as_list() == [4, 3]
    pv = np.ones((4, 3))
    got0, got1 = _run([g0, g1], {p: pv, i: [2, 0, 2]})
    np.testing.assert_array_equal(got0, [[1] * 3, [0] * 3, [2] * 3, [0] * 3])
    np.testing.assert_array_equal(got1, [[1, 0, 2]] * 4)


def test_gather_second_derivative():
    """d2/dp2 of sum(gather(p, i)**3) is 6 * count(i) * p on the gathered rows."""
    p = tf.placeholder(tf.float64, [4, 2])
    i = tf.constant([1, 3, 1])
    for axis in (0, 1):
        idx = i if axis == 0 else tf.constant([1, 1, 0])
        gathered = tf.gather(p, idx, axis=axis)
        y = tf.reduce_sum(gathered * gathered * gathered)
        (g,) = tf.gradients(y, p)
        (h,) = tf.gradients(tf.reduce_sum(g), p)
        pv = np.arange(8, dtype=np.float64).reshape(4, 2)
        counts = np.zeros((4, 2))
        if axis == 0:
            counts[[1, 3]] = [[2, 2], [1, 1]]
        else:
            counts[:, [0, 1]] = [1, 2]
        # (axis 0: h is sparse, as TF1's; compared in its dense form)
        np.testing.assert_allclose(_run(tf.convert_to_tensor(h), {p: pv}), 6 * counts * pv)


def test_unsorted_segment_sum_gradient_drops_negative_ids():
    d = tf.placeholder(tf.float64, [4, 2])
    ids = tf.placeholder(tf.int32, [4])
    (g,) = tf.gradients(tf.reduce_sum(tf.unsorted_segment_sum(d, ids, 3) * [[1.0], [2.0],
                                                                             [3.0]]), d)
    np.testing.assert_array_equal(_run(g, {d: np.ones((4, 2)), ids: [2, -1, 0, -5]}),
                                  [[3, 3], [0, 0], [1, 1], [0, 0]])


def test_slice_kernel_returns_arrays_for_full_shrink():
    x = tf.placeholder(tf.float32, [4, 5, 6])
    y = x[1, 2, 3]
    assert y.shape.as_list() == []
    out = _run(y, {x: X})
    assert isinstance(out, (np.ndarray, np.generic)) and out == X[1, 2, 3]


def test_gradients_of_gather_and_segment_sum_with_unknown_shapes():
    p = tf.placeholder(tf.float64, None)
    ids = tf.placeholder(tf.int32, None)
    pv = np.arange(12, dtype=np.float64).reshape(4, 3)
    (g0,) = tf.gradients(tf.reduce_sum(tf.gather(p, ids)), p)
    assert isinstance(g0, tf.IndexedSlices)  # axis 0: sparse, dense only when converted
    g0 = tf.convert_to_tensor(g0)
    (g1,) = tf.gradients(tf.reduce_sum(tf.gather(p, ids, axis=1) * 2.0), p)
    (g2,) = tf.gradients(tf.reduce_sum(tf.unsorted_segment_sum(p, ids, 2) * [[1.0], [5.0]]), p)
    np.testing.assert_array_equal(_run(g0, {p: pv, ids: [1, 1, 3]}),
                                  np.array([0, 2, 0, 1])[:, None] * np.ones((4, 3)))
    np.testing.assert_array_equal(_run(g1, {p: pv, ids: [1, 1, 2]}), [[0, 4, 2]] * 4)
    np.testing.assert_array_equal(_run(g2, {p: pv, ids: [1, -1, 0, -7]}),
                                  [[5] * 3, [0] * 3, [1] * 3, [0] * 3])


def test_getitem_builds_in_the_tensors_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 5, 6])
        j = tf.placeholder(tf.int64, [])
    y = x[1:j, ::2]  # default graph is not g: every helper op must still land in g
    assert y.graph is g and not tf.get_default_graph().get_operations()
    with tf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: X, j: 3}), X[1:3, ::2])
