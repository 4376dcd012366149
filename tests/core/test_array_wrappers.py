"""Wrapper behaviour of the shape-manipulation ops: TF1 signatures, node names, defaults, static
shapes and error messages. Expectations were verified against TensorFlow 2.21 (tf.compat.v1,
graph mode) and are hard-coded here."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import minitf as tf
from minitf.graph import constant_value
from minitf.ops import array_ops, concat_split_ops, pad_ops, slicing_ops, transform_ops

_ARRAY_MODULES = (array_ops, transform_ops, concat_split_ops, pad_ops)


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _ops():
    return [(op.name, op.type) for op in tf.get_default_graph().get_operations()]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _ph(shape, dtype=tf.float32):
    return tf.placeholder(dtype, shape)


# -- names and exports ---------------------------------------------------------------------------


def test_public_names_are_exported_and_range_does_not_shadow_the_builtin():
    for name in ("size", "rank", "expand_dims", "squeeze", "transpose", "invert_permutation",
                 "concat", "stack", "unstack", "split", "tile", "one_hot", "pad"):
        homes = [m for m in _ARRAY_MODULES if name in m.__all__]
        assert len(homes) == 1, (name, homes)
        assert getattr(tf, name) is getattr(homes[0], name)
    assert all("range_" not in m.__all__ for m in _ARRAY_MODULES)
    assert "range" not in vars(array_ops)
    assert array_ops.range_.__name__ == "range_"
    assert builtins.range(2) == range(2)
    assert tf.range is array_ops.range_  # exported under TF's name at the root only


def test_size_and_rank_nodes_and_static_values():
    x = _ph([2, 3])
    s, r = tf.size(x), tf.rank(x)
    s64 = tf.size(x, out_type=tf.int64)
    assert (s.name, s.dtype, s.shape.as_list()) == ("Size:0", tf.int32, [])
    assert (r.name, r.dtype) == ("Rank:0", tf.int32)
    assert s64.dtype == tf.int64
    assert constant_value(s) == 6 and constant_value(r) == 2
    u = _ph(None)
    su, ru = tf.size(u), tf.rank(u)
    assert constant_value(su) is None and constant_value(ru) is None
    assert _run([su, ru], {u: np.zeros((4, 5, 2))}) == [40, 3]
    assert constant_value(tf.size(_ph([None, 0]))) == 0


def test_expand_dims_axis_and_dim_alias():
    x = _ph([2, 3])
    a = tf.expand_dims(x, 1)
    b = tf.expand_dims(x, dim=-1)
    assert a.name == "ExpandDims:0" and a.shape.as_list() == [2, 1, 3]
    assert b.name == "ExpandDims_1:0" and b.shape.as_list() == [2, 3, 1]
    assert ("ExpandDims/dim", "Const") in _ops()
    with pytest.raises(ValueError, match="Must specify an axis argument to tf.expand_dims()"):
        tf.expand_dims(x)
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'dim'"):
        tf.expand_dims(x, 0, dim=0)
    with pytest.raises(ValueError, match=r"dim 3 not in the interval \[-3, 2\]\."):
        tf.expand_dims(x, 3)
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Tried to expand dim index 3 for tensor with 2 dimensions."):
        _run(tf.expand_dims(u, 3), {u: np.zeros((2, 3))})
    # An unknown dim keeps the rank: one more than the input's.
    assert tf.expand_dims(x, _ph([], tf.int32)).shape.as_list() == [None, None, None]


def test_squeeze_axis_squeeze_dims_and_inference():
    x = _ph([2, 1, 3, 1])
    assert tf.squeeze(x).shape.as_list() == [2, 3]
    a = tf.squeeze(x, [1])
    assert a.shape.as_list() == [2, 3, 1] and a.op.get_attr("squeeze_dims") == [1]
    b = tf.squeeze(x, squeeze_dims=-1)
    assert b.shape.as_list() == [2, 1, 3] and b.op.get_attr("squeeze_dims") == [-1]
    assert tf.squeeze(x).op.get_attr("squeeze_dims") == []
    assert [n for n, _ in _ops()] == ["Placeholder", "Squeeze", "Squeeze_1", "Squeeze_2",
                                      "Squeeze_3"]
    # An unknown dim may or may not be 1: squeezing everything gives an unknown shape.
    assert tf.squeeze(_ph([None, 1, 3])).shape.rank is None
    assert tf.squeeze(_ph([None, 1, 3]), [0]).shape.as_list() == [1, 3]
    with pytest.raises(ValueError, match=r"Can not squeeze dim\[1\], expected a dimension of 1, "
                                         "got 3"):
        tf.squeeze(_ph([2, 3]), [1])
    with pytest.raises(ValueError, match=r"squeeze_dims\[0\] not in \[-2,2\)"):
        tf.squeeze(_ph([2, 3]), [3])
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'squeeze_dims'"):
        tf.squeeze(x, 1, squeeze_dims=1)
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Can not squeeze dim"):
        _run(tf.squeeze(u, [1]), {u: np.zeros((2, 3))})


# -- transpose -----------------------------------------------------------------------------------


def test_transpose_default_perm_known_rank_is_a_constant():
    x = _ph([2, 3, 4])
    y = tf.transpose(x)
    assert y.name == "transpose:0" and y.shape.as_list() == [4, 3, 2]
    assert _ops() == [("Placeholder", "Placeholder"), ("transpose/perm", "Const"),
                      ("transpose", "Transpose")]
    np.testing.assert_array_equal(constant_value(y.op.inputs[1]), [2, 1, 0])
    z = tf.transpose(x, [1, 0, 2], name="t")
    assert z.name == "t:0" and z.shape.as_list() == [3, 2, 4]


def test_transpose_unknown_rank_builds_the_perm_at_run_time():
    x = _ph(None)
    y = tf.transpose(x)
    assert _ops() == [("Placeholder", "Placeholder"), ("transpose/Rank", "Rank"),
                      ("transpose/sub/y", "Const"), ("transpose/sub", "Sub"),
                      ("transpose/Range/limit", "Const"), ("transpose/Range/delta", "Const"),
                      ("transpose/Range", "Range"), ("transpose", "Transpose")]
    v = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(_run(y, {x: v}), v.T)


def test_transpose_errors_and_gradient():
    with pytest.raises(ValueError, match="Dimension must be 2 but is 3"):
        tf.transpose(_ph([2, 3]), [0, 1, 2])
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"1 is missing from \{0,0\}\."):
        _run(tf.transpose(u, [0, 0]), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"transpose expects a vector of size 2\. But input\(1\) is a "
                             "vector of size 3"):
        _run(tf.transpose(u, [0, 1, 2]), {u: np.zeros((2, 3))})
    x = _ph([2, 3])
    (g,) = tf.gradients(tf.reduce_sum(tf.transpose(x) * tf.constant([[1.0, 2.0]])), [x])
    assert any(t == "InvertPermutation" for _, t in _ops())
    np.testing.assert_array_equal(_run(g, {x: np.zeros((2, 3))}), [[1, 1, 1], [2, 2, 2]])


def test_invert_permutation():
    p = tf.invert_permutation([2, 0, 1])
    assert p.name == "InvertPermutation:0" and p.dtype == tf.int32
    assert ("InvertPermutation/x", "Const") in _ops()
    np.testing.assert_array_equal(_run(p), [1, 2, 0])
    q = _ph([3], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="0 is duplicated in the input."):
        _run(tf.invert_permutation(q), {q: [0, 0, 1]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="5 is not between 0 and 3"):
        _run(tf.invert_permutation(q), {q: [0, 5, 1]})
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.invert_permutation(_ph([3, 1], tf.int32))


# -- concat / stack / unstack --------------------------------------------------------------------


def test_concat_naming_and_single_value_identity():
    x = _ph([2, 3])
    y = tf.concat([x, x], -1)
    assert y.name == "concat:0" and y.shape.as_list() == [2, 6]
    assert ("concat/axis", "Const") in _ops()
    assert y.op.get_attr("N") == 2 and y.op.get_attr("Tidx") == tf.int32
    tf.reset_default_graph()
    x = _ph([2, 3])
    one = tf.concat([x], 0)
    assert one.op.type == "Identity" and one.name == "concat/concat:0"
    assert ("concat/concat_dim", "Const") in _ops()


def test_concat_static_shapes():
    assert tf.concat([_ph([None, 3]), _ph([2, None])], 0).shape.as_list() == [None, 3]
    assert tf.concat([_ph([None, 3]), _ph([2, None])], _ph([], tf.int32)).shape.as_list() == \
        [None, None]
    assert tf.concat([_ph(None), _ph([2, None])], 1).shape.as_list() == [2, None]
    assert tf.concat([_ph([2, 3]), _ph([2, 4]), _ph([2, 1])], 1).shape.as_list() == [2, 8]
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 3\. Shapes are \[2\] and \[3\]\."):
        tf.concat([_ph([2, 3]), _ph([3, 3])], 1)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.concat([_ph([2, 3]), _ph([3])], 0)
    with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
        tf.concat([_ph([2, 3]), _ph([3, 3])], 2)


def test_concat_runtime_errors():
    a, b = _ph(None), _ph(None)
    y = tf.concat([a, b], 1)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"ConcatOp : Dimension 0 in both shapes must be equal: shape\[0\] "
                             r"= \[2,3\] vs\. shape\[1\] = \[3,3\]"):
        _run(y, {a: np.zeros((2, 3)), b: np.zeros((3, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="ConcatOp : Ranks of all input tensors should match"):
        _run(y, {a: np.zeros((2, 3)), b: np.zeros(3)})


def test_concat_gradient_with_unknown_shapes_and_axis():
    a, b, axis = _ph(None), _ph(None), _ph([], tf.int32)
    y = tf.concat([a, b], axis)
    w = np.arange(10, dtype=np.float32).reshape(2, 5)
    dy = _ph(None)
    ga, gb = tf.gradients(y, [a, b], grad_ys=dy)
    got_a, got_b = _run([ga, gb], {a: np.zeros((2, 2)), b: np.zeros((2, 3)), axis: -1, dy: w})
    np.testing.assert_array_equal(got_a, w[:, :2])
    np.testing.assert_array_equal(got_b, w[:, 2:])


def test_stack_naming_constants_and_errors():
    x = _ph([2, 3])
    s = tf.stack([x, x], 1)
    assert s.name == "stack:0" and s.shape.as_list() == [2, 2, 3]
    assert s.op.type == "Pack" and s.op.get_attr("axis") == 1
    c = tf.stack([1, 2, 3])  # TF1: a Python list is one constant
    assert c.op.type == "Const" and c.name == "stack_1:0"
    assert tf.stack([_ph([None, 3]), _ph([2, None])]).shape.as_list() == [2, 2, 3]
    assert tf.stack([_ph(None), _ph(None)], 1).shape.rank is None
    with pytest.raises(ValueError, match=r"Argument `axis` = 3 not in range \[-3, 3\)"):
        tf.stack([x, x], 3)
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 3\. Shapes are \[2,3\] and \[3,3\]\."):
        tf.stack([_ph([2, 3]), _ph([3, 3])])
    a, b = _ph(None), _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Shapes of all inputs must match: values\[0\]\.shape = \[2, 3\] "
                             r"!= values\[1\]\.shape = \[3, 3\]"):
        _run(tf.stack([a, b]), {a: np.zeros((2, 3)), b: np.zeros((3, 3))})


def test_unstack_num_inference_and_errors():
    x = _ph([2, 3])
    parts = tf.unstack(x, axis=1)
    assert [p.name for p in parts] == ["unstack:0", "unstack:1", "unstack:2"]
    assert parts[0].op.get_attr("num") == 3 and parts[0].shape.as_list() == [2]
    (one,) = tf.unstack(_ph([1, 4]))
    assert one.shape.as_list() == [4]
    assert tf.unstack(_ph([0, 4])) == []
    with pytest.raises(ValueError, match=r"Cannot infer argument `num` from shape \(\?, 3\)"):
        tf.unstack(_ph([None, 3]))
    with pytest.raises(ValueError, match="Cannot infer argument `num` from shape <unknown>"):
        tf.unstack(_ph(None))
    with pytest.raises(ValueError, match=r"Argument `axis` = 2 not in range \[-2, 2\)"):
        tf.unstack(x, axis=2)
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Input shape axis 0 must equal 3, got shape \[2, 3\]"):
        _run(tf.unstack(u, num=3), {u: np.zeros((2, 3))})


# -- split ---------------------------------------------------------------------------------------


def test_split_by_number_and_by_sizes():
    x = _ph([2, 3])
    parts = tf.split(x, 3, 1)
    assert [p.name for p in parts] == ["split:0", "split:1", "split:2"]
    assert parts[0].op.type == "Split" and parts[0].op.get_attr("num_split") == 3
    assert ("split/split_dim", "Const") in _ops()
    (whole,) = tf.split(x, 1)
    assert whole.shape.as_list() == [2, 3]
    tf.reset_default_graph()
    x = _ph([2, 3])
    a, b = tf.split(x, [1, -1], 1)
    assert _ops() == [("Placeholder", "Placeholder"), ("Const", "Const"),
                      ("split/split_dim", "Const"), ("split", "SplitV")]
    assert a.op.get_attr("Tlen") == tf.int32 and a.op.get_attr("num_split") == 2
    assert (a.shape.as_list(), b.shape.as_list()) == ([2, 1], [2, 2])
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    got_a, got_b = _run([a, b], {x: v})
    np.testing.assert_array_equal(got_a, v[:, :1])
    np.testing.assert_array_equal(got_b, v[:, 1:])


def test_split_static_shapes_and_errors():
    x = _ph([4, 6])
    assert [p.shape.as_list() for p in tf.split(x, 2, _ph([], tf.int32))] == [[None, None]] * 2
    sizes = _ph([2], tf.int32)
    assert [p.shape.as_list() for p in tf.split(x, sizes, 1)] == [[4, None]] * 2
    with pytest.raises(ValueError, match="Cannot infer argument `num` from shape"):
        tf.split(x, _ph([None], tf.int32), 1)
    with pytest.raises(ValueError, match="Rank-0 tensors are not supported"):
        tf.split(x, tf.constant(2), 1)
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 4 but is 6"):
        tf.split(x, 4, 1)
    with pytest.raises(ValueError, match=r"can't split axis of size 6 into pieces of size "
                                         r"\[1,1\]"):
        tf.split(x, [1, 1], 1)
    with pytest.raises(ValueError, match="size_splits can only have one -1"):
        tf.split(x, [-1, -1], 1)
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Number of ways to split should evenly divide the split dimension, "
                             r"but got split_dim 1 \(size = 3\) and num_split 2"):
        _run(tf.split(u, 2, 1), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Split size at index 0 must be >= 0. Got: -2"):
        _run(tf.split(u, [-2, 5], 1), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Determined shape must either "
                                                             "match input shape"):
        _run(tf.split(u, [1, 1], 1), {u: np.zeros((2, 3))})


# -- tile ----------------------------------------------------------------------------------------


def test_tile_naming_inference_and_errors():
    x = _ph([2, 3])
    t = tf.tile(x, [2, 1])
    assert t.name == "Tile:0" and t.shape.as_list() == [4, 3]
    assert ("Tile/multiples", "Const") in _ops()
    m = _ph([2], tf.int32)
    assert tf.tile(x, m).shape.as_list() == [None, None]
    assert tf.tile(_ph(None), m).shape.as_list() == [None, None]
    assert tf.tile(_ph(None), _ph(None, tf.int32)).shape.rank is None
    assert tf.tile(_ph([None, 3]), [2, 2]).shape.as_list() == [None, 6]
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.tile(x, [2])
    u = _ph(None)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expected multiples argument to be a vector of length 2 but got "
                             "length 1"):
        _run(tf.tile(u, [2]), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected multiples\[1\] >= 0, but got -1"):
        _run(tf.tile(u, [2, -1]), {u: np.zeros((2, 3))})


def test_tile_gradient_with_unknown_shapes():
    x, m = _ph(None), _ph(None, tf.int32)
    y = tf.tile(x, m)
    dy = _ph(None)
    (g,) = tf.gradients(y, [x], grad_ys=dy)
    w = np.arange(12.0, dtype=np.float32).reshape(2, 6)
    want = w[:, :3] + w[:, 3:]
    np.testing.assert_allclose(_run(g, {x: np.zeros((2, 3)), m: [1, 2], dy: w}), want)


# -- range ---------------------------------------------------------------------------------------


def test_range_naming_and_dtypes():
    r = array_ops.range_(5)
    assert r.name == "range:0" and r.dtype == tf.int32 and r.shape.as_list() == [5]
    assert _ops() == [("range/start", "Const"), ("range/limit", "Const"),
                      ("range/delta", "Const"), ("range", "Range")]
    assert array_ops.range_(1, 7, 2).shape.as_list() == [3]
    f = array_ops.range_(1.0, 3.0, 0.5)
    assert f.dtype == tf.float32 and f.shape.as_list() == [4]
    assert array_ops.range_(5, dtype=tf.float32).dtype == tf.float32
    assert array_ops.range_(5, dtype=tf.int64).dtype == tf.int64
    tf.reset_default_graph()
    mixed = array_ops.range_(1, 3.5)
    assert mixed.dtype == tf.float32 and mixed.shape.as_list() == [3]
    assert _ops() == [("range/start", "Const"), ("range/limit", "Const"),
                      ("range/delta", "Const"), ("range/Cast", "Cast"),
                      ("range/Cast_1", "Cast"), ("range", "Range")]
    np.testing.assert_allclose(_run(mixed), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(_run(array_ops.range_(0.1, 1.0, 0.1)),
                               np.float32(0.1) * np.arange(1, 10, dtype=np.float32), rtol=1e-6)
    np.testing.assert_array_equal(_run(array_ops.range_(10, 2, -3)), [10, 7, 4])


def test_range_unknown_limit_and_errors():
    n = _ph([], tf.int32)
    r = array_ops.range_(n)
    assert r.shape.as_list() == [None]
    np.testing.assert_array_equal(_run(r, {n: 4}), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="Requires start <= limit when delta > 0: 5/1"):
        array_ops.range_(5, 1)
    with pytest.raises(ValueError, match="Requires delta != 0"):
        array_ops.range_(0, 5, 0)
    d = _ph([], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Requires start >= limit when delta < 0: 0/3"):
        _run(array_ops.range_(0, 3, d), {d: -1})


# -- one_hot -------------------------------------------------------------------------------------


def test_one_hot_naming_and_dtypes():
    y = tf.one_hot([0, 2], 3)
    assert y.name == "one_hot:0" and y.dtype == tf.float32 and y.shape.as_list() == [2, 3]
    assert _ops() == [("one_hot/on_value", "Const"), ("one_hot/off_value", "Const"),
                      ("one_hot/indices", "Const"), ("one_hot/depth", "Const"),
                      ("one_hot", "OneHot")]
    assert y.op.get_attr("TI") == tf.int32 and y.op.get_attr("axis") == -1
    np.testing.assert_array_equal(_run(y), [[1, 0, 0], [0, 0, 1]])
    tf.reset_default_graph()
    z = tf.one_hot(tf.constant([0, 2]), 3, on_value=5, off_value=1, axis=0)
    assert z.dtype == tf.int32 and z.shape.as_list() == [3, 2]
    assert ("one_hot/Const", "Const") in _ops() and ("one_hot/Const_1", "Const") in _ops()
    np.testing.assert_array_equal(_run(z), [[5, 1], [1, 1], [1, 5]])
    assert tf.one_hot(tf.constant([0, 2]), 3, dtype=tf.int64).dtype == tf.int64


def test_one_hot_inference_and_errors():
    idx = _ph([2, 3], tf.int32)
    assert tf.one_hot(idx, _ph([], tf.int32), axis=1).shape.as_list() == [2, None, 3]
    assert tf.one_hot(_ph(None, tf.int32), 3).shape.rank is None
    with pytest.raises(TypeError, match="dtype <dtype: 'float32'> of on_value does not match "
                                        "dtype <dtype: 'int32'> of off_value"):
        tf.one_hot(idx, 3, on_value=1.0, off_value=0)
    with pytest.raises(TypeError, match="dtype <dtype: 'float32'> of on_value does not match "
                                        "dtype parameter <dtype: 'int32'>"):
        tf.one_hot(idx, 3, on_value=1.0, dtype=tf.int32)
    with pytest.raises(ValueError, match="axis must be >= -1"):
        tf.one_hot(idx, 3, axis=-2)
    with pytest.raises(ValueError, match="must be non-negative but is -1"):
        tf.one_hot(idx, -1)
    d = _ph([], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="depth must be non-negative, got: -1"):
        _run(tf.one_hot(idx, d), {idx: np.zeros((2, 3)), d: -1})


# -- pad -----------------------------------------------------------------------------------------


def test_pad_modes_and_naming():
    x = _ph([2, 3])
    p = tf.pad(x, [[1, 0], [2, 2]])
    v2 = tf.pad(x, [[1, 0], [2, 2]], constant_values=3)
    m = tf.pad(x, [[1, 0], [2, 2]], mode="reflect")
    s = tf.pad(x, [[1, 0], [2, 2]], mode="SYMMETRIC")
    assert [t.name for t in (p, v2, m, s)] == ["Pad:0", "PadV2:0", "MirrorPad:0",
                                               "MirrorPad_1:0"]
    assert all(t.shape.as_list() == [3, 7] for t in (p, v2, m, s))
    assert ("Pad/paddings", "Const") in _ops() and ("PadV2/constant_values", "Const") in _ops()
    assert v2.op.inputs[2].dtype == tf.float32
    assert m.op.get_attr("mode") == b"REFLECT" and s.op.get_attr("mode") == b"SYMMETRIC"
    val = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = _run([p, v2, m, s], {x: val})
    np.testing.assert_array_equal(got[0], np.pad(val, [[1, 0], [2, 2]]))
    np.testing.assert_array_equal(got[1], np.pad(val, [[1, 0], [2, 2]], constant_values=3))
    np.testing.assert_array_equal(got[2], np.pad(val, [[1, 0], [2, 2]], mode="reflect"))
    np.testing.assert_array_equal(got[3], np.pad(val, [[1, 0], [2, 2]], mode="symmetric"))
    assert tf.pad(x, [[0, 0], [1, 1]], constant_values=tf.constant(0.0)).op.type == "PadV2"
    with pytest.raises(ValueError, match='Value of argument `mode` expected to be one of '
                                         '"CONSTANT", "REFLECT", or "SYMMETRIC". Received '
                                         '`mode` = FOO'):
        tf.pad(x, [[0, 0], [0, 0]], mode="foo")


def test_pad_inference_and_errors():
    assert tf.pad(_ph([2, 3]), _ph([2, 2], tf.int32)).shape.as_list() == [None, None]
    assert tf.pad(_ph(None), [[1, 1], [2, 2]]).shape.as_list() == [None, None]
    assert tf.pad(_ph([None, 3]), [[1, 1], [2, 2]]).shape.as_list() == [None, 7]
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.pad(_ph([2, 3]), [[1, 1]])
    with pytest.raises(ValueError, match="Paddings must be non-negative"):
        tf.pad(_ph([2, 3]), [[1, 1], [-1, 0]])
    u, q = _ph(None), _ph([2, 2], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"The first dimension of paddings must be the rank of "
                             r"inputs\[1,2\] \[2,3\]"):
        _run(tf.pad(u, [[1, 1]]), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Paddings must be non-negative: -1 0"):
        _run(tf.pad(u, q), {u: np.zeros((2, 3)), q: [[1, 1], [-1, 0]]})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="paddings must be less than the dimension size: 2, 0 not less "
                             "than 2"):
        _run(tf.pad(u, [[2, 0], [0, 0]], mode="REFLECT"), {u: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="paddings must be no greater than the dimension size: 3, 0 "
                             "greater than 2"):
        _run(tf.pad(u, [[3, 0], [0, 0]], mode="SYMMETRIC"), {u: np.zeros((2, 3))})


@pytest.mark.parametrize("with_slice", [True, False])
def test_pad_gradient_with_and_without_a_slice_op(monkeypatch, with_slice):
    if not with_slice:  # the SplitV fallback used when slicing_ops has no slice_
        monkeypatch.delattr(slicing_ops, "slice_", raising=False)
    x = _ph([2, 3])
    y = tf.pad(x, [[1, 0], [2, 1]], constant_values=-1.0)
    w = np.arange(18, dtype=np.float32).reshape(3, 6)
    (g,) = tf.gradients(tf.reduce_sum(y * w), [x])
    types = {t for _, t in _ops()}
    assert ("Slice" in types) == with_slice
    np.testing.assert_array_equal(_run(g, {x: np.zeros((2, 3))}), w[1:, 2:5])


def test_mirror_pad_second_derivative_ops():
    x = _ph([3, 4])
    y = tf.pad(x, [[1, 1], [2, 0]], mode="REFLECT")
    (g,) = tf.gradients(tf.reduce_sum(y * np.ones((5, 6), np.float32)), [x])
    assert g.op.type == "MirrorPadGrad" and g.shape.as_list() == [3, 4]
    # Each input element counts once plus once per reflected copy of it.
    want = np.outer([1, 3, 1], [1, 2, 2, 1]).astype(np.float32)
    np.testing.assert_array_equal(_run(g, {x: np.zeros((3, 4))}), want)


def test_zeros_and_ones_of_a_run_time_shape_in_any_dtype():
    n = tf.placeholder(tf.int32, [])
    cases = [(tf.zeros([n], tf.bool), [False, False]), (tf.ones([n, 1], tf.bool), [[True]] * 2),
             (tf.zeros([n], tf.string), [b"", b""]), (tf.ones([n], tf.int64), [1, 1])]
    with tf.Session() as sess:
        for t, want in cases:
            got = sess.run(t, {n: 2})
            assert got.tolist() == want and t.dtype == tf.as_dtype(got.dtype if got.dtype !=
                                                                   object else tf.string)
