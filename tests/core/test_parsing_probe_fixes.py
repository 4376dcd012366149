"""tf.parse_example / parse_single_example / the SequenceExample parsers where a probe found
them unlike TF 1.x (TF 2.21's compat.v1, graph mode): an unknown-rank scalar input, strictly
typed default values, SparseFeature, op names, refused dtypes, bytes keys and zero-size dense
features. The expected values are TF's, written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors

FL, FLS, VL = tf.FixedLenFeature, tf.FixedLenSequenceFeature, tf.VarLenFeature


def _feature(values):
    train = tf.train
    if not values:
        return train.Feature(int64_list=train.Int64List(value=[]))
    if isinstance(values[0], bytes):
        return train.Feature(bytes_list=train.BytesList(value=values))
    if isinstance(values[0], float):
        return train.Feature(float_list=train.FloatList(value=values))
    return train.Feature(int64_list=train.Int64List(value=values))


def _example(**features) -> bytes:
    return tf.train.Example(features=tf.train.Features(
        feature={k: _feature(v) for k, v in features.items()})).SerializeToString()


def _sequence_example(context: dict, lists: dict) -> bytes:
    train = tf.train
    return train.SequenceExample(
        context=train.Features(feature={k: _feature(v) for k, v in context.items()}),
        feature_lists=train.FeatureLists(feature_list={
            k: train.FeatureList(feature=[_feature(step) for step in steps])
            for k, steps in lists.items()})).SerializeToString()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- 1. a serialized input of unknown rank ----------------------------------------------------
def test_single_example_of_unknown_rank_keeps_static_shapes_and_checks_the_rank():
    s = tf.placeholder(tf.string)  # no shape at all
    out = tf.parse_single_example(s, {"a": FL([3], tf.float32), "v": VL(tf.int64)})
    assert out["a"].shape.as_list() == [3]
    assert out["v"].indices.shape.as_list() == [None, 1]
    assert out["v"].dense_shape.shape.as_list() == [1]
    got = _run(out, {s: _example(a=[1.0, 2.0, 3.0], v=[4, 5])})
    np.testing.assert_array_equal(got["a"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(got["v"].indices, [[0], [1]])
    np.testing.assert_array_equal(got["v"].dense_shape, [2])
    # A vector is refused when the graph runs, not parsed as a batch.
    with pytest.raises(errors.InvalidArgumentError, match="Input serialized must be a scalar"):
        _run(out["a"], {s: [_example(a=[1.0, 2.0, 3.0])]})


def test_single_sequence_example_of_unknown_rank_keeps_static_shapes():
    s = tf.placeholder(tf.string)
    context, lists = tf.parse_single_sequence_example(
        s, {"c": FL([3], tf.int64)}, {"f": FLS([4], tf.float32), "v": VL(tf.int64)})
    assert context["c"].shape.as_list() == [3]
    assert lists["f"].shape.as_list() == [None, 4]
    assert lists["v"].indices.shape.as_list() == [None, 2]
    record = _sequence_example({"c": [1, 2, 3]}, {"f": [[1.0, 2.0, 3.0, 4.0]], "v": [[7]]})
    c, f = _run([context["c"], lists["f"]], {s: record})
    np.testing.assert_array_equal(c, [1, 2, 3])
    np.testing.assert_array_equal(f, [[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(errors.InvalidArgumentError, match="Input serialized must be a scalar"):
        _run(context["c"], {s: [record]})


# -- 2. default values are converted as tf.convert_to_tensor converts them ---------------------
@pytest.mark.parametrize(("dtype", "default", "message"), [
    (tf.int64, 1.5, "Expected int64, but got 1.5 of type 'float'"),
    (tf.int64, 2.0, "Expected int64, but got 2.0 of type 'float'"),  # whole, still refused
    (tf.int64, "3", "Expected int64, but got 3 of type 'str'"),
    (tf.string, 1.5, "Expected string, but got 1.5 of type 'float'"),
    (tf.string, 2, "Expected string, but got 2 of type 'int'"),
    (tf.float32, "3", "Expected float32, but got 3 of type 'str'"),
    (tf.float32, b"x", "Expected float32, but got b'x' of type 'bytes'"),
])
def test_default_of_the_wrong_type_is_a_type_error(dtype, default, message):
    s = tf.placeholder(tf.string, [None])
    with pytest.raises(TypeError, match=message):
        tf.parse_example(s, {"x": FL([], dtype, default_value=default)})
    with pytest.raises(TypeError, match=message):
        tf.parse_example(s, {"x": FLS([], dtype, allow_missing=True, default_value=default)})
    with pytest.raises(TypeError, match=message):
        tf.parse_single_sequence_example(tf.placeholder(tf.string, []),
                                         {"x": FL([], dtype, default_value=default)})


def test_defaults_of_a_compatible_type_still_parse():
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"f": FL([], tf.float32, default_value=2),
                               "i": FL([2], tf.int64, default_value=[1, True]),
                               "t": FL([], tf.string, default_value="d")})
    got = _run(out, {s: [_example()]})
    assert got["f"].tolist() == [2.0] and got["f"].dtype == np.float32
    assert got["i"].tolist() == [[1, 1]]
    assert got["t"].tolist() == [b"d"]


# -- 3. SparseFeature ---------------------------------------------------------------------------
def test_sparse_feature_merges_index_and_value_keys():
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"s": tf.SparseFeature("i", "v", tf.float32, 5)})
    assert list(out) == ["s"]  # the index and value keys are not returned
    assert out["s"].shape.as_list() == [None, 5]
    got = _run(out["s"], {s: [_example(i=[3, 0], v=[1.0, 2.0]), _example(i=[2], v=[3.0])]})
    np.testing.assert_array_equal(got.indices, [[0, 0], [0, 3], [1, 2]])  # sorted
    np.testing.assert_array_equal(got.values, [2.0, 1.0, 3.0])
    np.testing.assert_array_equal(got.dense_shape, [2, 5])


def test_sparse_feature_already_sorted_keeps_the_record_order():
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"s": tf.SparseFeature("i", "v", tf.int64, 5,
                                                     already_sorted=True)})
    got = _run(out["s"], {s: [_example(i=[3, 0], v=[10, 20]), _example(), _example(i=[2],
                                                                                    v=[30])]})
    np.testing.assert_array_equal(got.indices, [[0, 3], [0, 0], [2, 2]])
    np.testing.assert_array_equal(got.values, [10, 20, 30])
    np.testing.assert_array_equal(got.dense_shape, [3, 5])


def test_sparse_feature_with_several_index_keys_and_in_a_single_example():
    feature = tf.SparseFeature(["i0", "i1"], "v", tf.string, [4, 3])
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"s": feature, "i0": VL(tf.int64)})
    assert out["s"].shape.as_list() == [None, 4, 3]
    got = _run(out, {s: [_example(i0=[3, 0], i1=[1, 2], v=[b"a", b"b"])]})
    np.testing.assert_array_equal(got["s"].indices, [[0, 0, 2], [0, 3, 1]])
    assert got["s"].values.tolist() == [b"b", b"a"]
    np.testing.assert_array_equal(got["s"].dense_shape, [1, 4, 3])
    np.testing.assert_array_equal(got["i0"].values, [3, 0])  # also a feature: kept
    scalar = tf.placeholder(tf.string, [])
    one = tf.parse_single_example(scalar, {"s": tf.SparseFeature("i", "v", tf.float32, 5)})["s"]
    assert one.shape.as_list() == [5]
    got = _run(one, {scalar: _example(i=[3, 0], v=[1.0, 2.0])})
    np.testing.assert_array_equal(got.indices, [[0], [3]])
    np.testing.assert_array_equal(got.values, [2.0, 1.0])
    np.testing.assert_array_equal(got.dense_shape, [5])


def test_sparse_feature_errors():
    s = tf.placeholder(tf.string, [None])
    with pytest.raises(ValueError, match="Conflicting type .*float32.* vs .*int64.* for "
                                         "feature i"):
        tf.parse_example(s, {"s": tf.SparseFeature("i", "v", tf.float32, 5),
                             "i": VL(tf.float32)})
    with pytest.raises(ValueError, match="Dense and sparse keys must not intersect"):
        tf.parse_example(s, {"s": tf.SparseFeature("i", "v", tf.float32, 5),
                             "i": FL([], tf.int64)})
    out = tf.parse_example(s, {"s": tf.SparseFeature("i", "v", tf.float32, 5)})["s"]
    with pytest.raises(errors.InvalidArgumentError):  # 2 indices, 1 value
        _run(out, {s: [_example(i=[1, 2], v=[1.0])]})
    with pytest.raises(errors.InvalidArgumentError, match="Key: i, Index: 0.  Data types "
                                                          "don't match"):
        _run(out, {s: [_example(i=[1.0], v=[1.0])]})


# -- 4. op names ------------------------------------------------------------------------------
def test_parse_op_names_are_tfs():
    s, b = tf.placeholder(tf.string, []), tf.placeholder(tf.string, [None])
    feature = {"a": FL([], tf.int64, default_value=0)}
    assert tf.parse_example(b, feature)["a"].name == "ParseExample/ParseExampleV2:0"
    assert tf.parse_example(b, feature, name="myparse")["a"].name == "myparse/myparse:0"
    assert tf.parse_single_example(s, feature)["a"].name == \
        "ParseSingleExample/ParseExample/ParseExampleV2:0"
    assert tf.parse_single_example(s, feature, name="n")["a"].name == "n/n/n:0"
    assert tf.parse_single_sequence_example(s, feature)[0]["a"].name == \
        "ParseSingleSequenceExample/ParseSequenceExample/ParseSequenceExampleV2:0"
    assert tf.parse_single_sequence_example(s, feature, name="m")[0]["a"].name == \
        "m/m_1/m:0"
    assert tf.io.parse_sequence_example(b, feature)[0]["a"].name == \
        "ParseSequenceExample/ParseSequenceExample/ParseSequenceExampleV2:0"
    assert tf.io.parse_sequence_example(b, feature, name="q")[0]["a"].name == "q/q/q:0"


# -- 5. dtypes the op does not parse ------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tf.int32, tf.float64, tf.bool])
def test_unparsable_dtypes_are_type_errors(dtype):
    s = tf.placeholder(tf.string, [None])
    with pytest.raises(TypeError, match=f"Value passed to parameter 'dense_defaults' has "
                                        f"DataType {dtype.name} not in list of allowed values: "
                                        "float32, int64, string"):
        tf.parse_example(s, {"x": FL([], dtype)})
    with pytest.raises(TypeError, match=f"'sparse_types' has DataType {dtype.name} not in"):
        tf.parse_example(s, {"x": VL(dtype)})


# -- 6. bytes keys ------------------------------------------------------------------------------
def test_bytes_keys_are_accepted_and_kept():
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {b"x": FL([], tf.int64), b"v": VL(tf.int64),
                               b"q": FLS([], tf.int64, allow_missing=True)})
    assert sorted(out) == [b"q", b"v", b"x"]
    got = _run(out, {s: [_example(x=[5], v=[1, 2], q=[7]), _example(x=[6])]})
    np.testing.assert_array_equal(got[b"x"], [5, 6])
    np.testing.assert_array_equal(got[b"v"].indices, [[0, 0], [0, 1]])
    np.testing.assert_array_equal(got[b"q"], [[7], [0]])
    one = tf.parse_single_example(tf.constant(_example(x=[5])), {b"x": FL([], tf.int64)})
    assert _run(one) == {b"x": 5}
    context, _ = tf.parse_single_sequence_example(
        tf.constant(_sequence_example({"x": [9]}, {})), {b"x": FL([], tf.int64)})
    assert _run(context) == {b"x": 9}


# -- 7. dense features of size 0 ----------------------------------------------------------------
@pytest.mark.parametrize("default", [None, []])
@pytest.mark.parametrize("shape", [[0], [2, 0]])
def test_zero_size_feature_is_required_but_may_be_an_empty_list(default, shape):
    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"x": FL(shape, tf.int64, default_value=default)})["x"]
    with pytest.raises(errors.InvalidArgumentError, match=r"Feature: x \(data type: int64\) "
                                                          "is required but could not be found"):
        _run(out, {s: [_example(y=[1])]})
    if shape == [0]:  # present with no values: an empty row
        got = _run(out, {s: [_example(x=[])]})
        assert got.shape == (1, 0) and got.dtype == np.int64
    scalar = tf.placeholder(tf.string, [])
    single = tf.parse_single_example(scalar, {"x": FL(shape, tf.float32,
                                                      default_value=default)})["x"]
    with pytest.raises(errors.InvalidArgumentError, match=r"Feature: x \(data type: float\) "
                                                          "is required"):
        _run(single, {scalar: _example()})
