"""tf.TypeSpec and its family, tf.type_spec_from_value, the specs tf.data reports and
Dataset.from_generator's output_signature: hand-written expectations (TF-free), then the same
calls side by side with real TensorFlow (each in its own tf1.Graph)."""

import re

import numpy as np
import pytest

import minitf as tf
from minitf import errors, opdef
from minitf import type_spec as ts

from .legacy_tf import tf1_shape_spellings

T, S, R = tf.TensorSpec, tf.SparseTensorSpec, tf.RaggedTensorSpec


def _err(fn):
    """fn()'s repr, or 'ErrorClass: message' when it raises."""
    try:
        return repr(fn())
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return f"{type(e).__name__}: {e}"


# -- TensorSpec ---------------------------------------------------------------------------------
def test_public_tensor_spec_is_the_type_spec_one_and_the_internal_class_is_unchanged():
    assert tf.TensorSpec is ts.TensorSpec and issubclass(T, opdef.TensorSpec)
    assert isinstance(T([2]), tf.TypeSpec) and not issubclass(opdef.TensorSpec, tf.TypeSpec)
    # the engine's class keeps its slots, repr and identity equality
    assert opdef.TensorSpec.__slots__ == ("dtype", "shape", "_value", "_value_fn", "_shape_fn")
    a, b = opdef.TensorSpec([2], tf.float32), opdef.TensorSpec([2], tf.float32)
    assert a != b and repr(a) == "TensorSpec((2,), tf.float32)"
    assert T.__slots__ == ("name",)


def test_tensor_spec_constructor_repr_and_properties():
    assert repr(T([2])) == "TensorSpec(shape=(2,), dtype=tf.float32, name=None)"
    assert repr(T(None)) == "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert repr(T([None, 3], tf.int32, "x")) == \
        "TensorSpec(shape=(?, 3), dtype=tf.int32, name='x')"
    spec = T(shape=[2, 3], dtype="int64", name="n")
    assert spec.shape.as_list() == [2, 3] and spec.dtype == tf.int64 and spec.name == "n"
    assert T(3).shape.as_list() == [3]  # one dimension, as TensorShape(3)
    assert T([2]).value_type is tf.Tensor
    with pytest.raises(TypeError):
        T([2], "foo")
    with pytest.raises(TypeError):
        T("ab")


def test_tensor_spec_equality_hash_and_compatibility():
    assert T([2]) == T([2], "float32") and T([None]) == T([None]) and T(None) == T(None)
    assert T([2]) != T([2], name="a") and T([2]) != T([2], tf.int32) and T([2]) != T([None])
    assert T([2]) != S([2]) and T([2]) != 3
    assert hash(T([2])) == hash(T([2], name="q"))  # TF hashes shape and dtype only
    assert len({T([2]), T([2]), T([3])}) == 2
    assert T([None, 2]).is_compatible_with(T([5, 2], name="other"))  # names are ignored
    assert not T([None, 2]).is_compatible_with(T([5, 3]))
    assert not T([2]).is_compatible_with(T([2], tf.int32))
    assert not T([2]).is_compatible_with(S([2]))
    # Only specs and graph tensors: a numpy array or a number is not a tensor (TF's rule).
    assert not T([2]).is_compatible_with(np.zeros(2, np.float32))
    assert not T([]).is_compatible_with(3)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, 2], name="p")
        assert T([4, 2]).is_compatible_with(p) and not T([4, 3]).is_compatible_with(p)
        assert T.from_tensor(p) == T([None, 2], tf.float32, "p")  # named after its op
        assert T.from_tensor(p, name="z").name == "z"
    assert T.from_spec(T([2], tf.int32, "a")) == T([2], tf.int32, "a")
    assert T.from_spec(T([2], tf.int32, "a"), name="b").name == "b"
    with pytest.raises(ValueError, match="`tensor` should be a tf.Tensor"):
        T.from_tensor(np.zeros(3))


def test_most_specific_compatible_type_relaxes_dims_and_refuses_other_kinds():
    assert T([2, 3]).most_specific_compatible_type(T([4, 3])) == T([None, 3])
    assert T([2]).most_specific_compatible_type(T([3, 1])) == T(None)
    assert T([2], name="a").most_specific_compatible_type(T([3], name="a")) == \
        T([None], name="a")
    for a, b in [(T([2], name="a"), T([2], name="b")), (T([2]), T([2], tf.int32)),
                 (T([2]), S([2]))]:
        with pytest.raises(ValueError, match="No TypeSpec is compatible with both"):
            a.most_specific_compatible_type(b)


def test_type_spec_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        tf.TypeSpec()


# -- the composite specs ------------------------------------------------------------------------
def test_sparse_tensor_spec():
    assert repr(S([2, None])) == \
        "SparseTensorSpec(TensorShape([Dimension(2), Dimension(None)]), tf.float32)"
    assert repr(S()) == "SparseTensorSpec(TensorShape(None), tf.float32)"
    spec = S([2], tf.int32)
    assert spec.shape.as_list() == [2] and spec.dtype == tf.int32
    assert spec.value_type is tf.SparseTensor
    assert S([2]) == S([2]) and S([2]) != S([None]) and hash(S([2])) == hash(S([2]))
    assert S([2]).is_compatible_with(S([None])) and not S([2]).is_compatible_with(T([2]))
    assert S([2, 3]).most_specific_compatible_type(S([None, 3])) == S([None, 3])
    assert S([2]).is_compatible_with(tf.SparseTensorValue([[0]], [1.0], [2]))
    assert not S([2]).is_compatible_with(3)  # a tensor's spec, not a sparse one
    with pytest.raises(TypeError, match="Could not build a TypeSpec"):
        S([2]).is_compatible_with(object())
    assert [repr(p) for p in S([None, 3], tf.int32).parts()] == [
        "TensorSpec(shape=(?, 2), dtype=tf.int64, name=None)",
        "TensorSpec(shape=(?,), dtype=tf.int32, name=None)",
        "TensorSpec(shape=(2,), dtype=tf.int64, name=None)"]
    with pytest.raises(TypeError, match="Expected SparseTensor or SparseTensorValue"):
        S.from_value(np.zeros(2))


def test_ragged_tensor_spec_infers_and_checks_ragged_rank():
    assert repr(R([2, None])) == ("RaggedTensorSpec(TensorShape([Dimension(2), "
                                  "Dimension(None)]), tf.float32, 1, tf.int64)")
    assert R([2, None, 3]).ragged_rank == 2 and R(ragged_rank=1).shape.rank is None
    spec = R([2, None], tf.int32, row_splits_dtype=tf.int32)
    assert (spec.dtype, spec.row_splits_dtype, spec.flat_values_spec) == (tf.int32, tf.int32, None)
    assert R([2, None]).value_type is tf.RaggedTensor
    with pytest.raises(ValueError, match="Must specify ragged_rank or a shape with a known rank"):
        R()
    with pytest.raises(ValueError, match=r"`ragged_rank` \(2\) must be less than rank \(2\)"):
        R([2, None], ragged_rank=2)
    with pytest.raises(TypeError, match="`ragged_rank` must be an int. Received 1.5"):
        R([2, None], ragged_rank=1.5)
    fvs = T([None, 5])
    assert repr(R([2, None, None], ragged_rank=1, flat_values_spec=fvs)) == (
        "RaggedTensorSpec(TensorShape([Dimension(2), Dimension(None), Dimension(None)]), "
        "tf.float32, 1, tf.int64, "
        "TensorSpec(shape=(?, 5), dtype=tf.float32, name=None))")
    with pytest.raises(ValueError, match="dtype must be the same as flat_values_spec.dtype"):
        R([2, None], tf.int32, flat_values_spec=fvs)
    with pytest.raises(ValueError, match="At least one of dtype or flat_values_spec"):
        R([2, None], dtype=None)
    assert R([2, None]).is_compatible_with(R([None, None]))
    assert not R([2, None]).is_compatible_with(R([2, None], row_splits_dtype=tf.int32))
    assert not R([2, None, None]).is_compatible_with(R([2, None, None], ragged_rank=1))
    assert R([2, None]).most_specific_compatible_type(R([3, None])) == R([None, None])
    with pytest.raises(ValueError, match="No TypeSpec"):
        R([2, None]).most_specific_compatible_type(R([3, None, None]))
    # ragged_rank 0 describes plain tensors too
    assert R([5], ragged_rank=0).is_compatible_with(T([None]))
    assert not R([5], ragged_rank=0).is_compatible_with(T([4]))


def test_indexed_slices_and_tensor_array_specs():
    assert repr(tf.IndexedSlicesSpec()) == (
        "IndexedSlicesSpec(TensorShape(None), tf.float32, tf.int64, None, "
        "TensorShape([Dimension(None)]))")
    spec = tf.IndexedSlicesSpec([2, 3], tf.int32, tf.int64, tf.int64, [3])
    assert repr(spec) == ("IndexedSlicesSpec(TensorShape([Dimension(2), Dimension(3)]), "
                          "tf.int32, tf.int64, tf.int64, "
                          "TensorShape([Dimension(3)]))")
    assert spec.value_type is tf.IndexedSlices
    with pytest.raises(ValueError):
        tf.IndexedSlicesSpec(indices_shape=[2, 2])  # indices are a vector
    a, b = tf.IndexedSlicesSpec([2, 3]), tf.IndexedSlicesSpec([4, 3])
    assert a.most_specific_compatible_type(b) == tf.IndexedSlicesSpec([None, 3])
    with pytest.raises(ValueError, match="No TypeSpec"):
        a.most_specific_compatible_type(tf.IndexedSlicesSpec([4, 3], dense_shape_dtype=tf.int64))

    A = tf.TensorArraySpec
    assert repr(A()) == "TensorArraySpec(TensorShape(None), tf.float32, False, True)"
    assert repr(A([2], tf.int32, True, False)) == \
        "TensorArraySpec(TensorShape([Dimension(2)]), tf.int32, True, False)"
    assert A([2]).is_compatible_with(A([None], infer_shape=False))  # infer_shape is ignored
    assert not A([2]).is_compatible_with(A([2], dynamic_size=True))
    assert A([2]).most_specific_compatible_type(A([3], infer_shape=False)) == \
        A([None], infer_shape=False)
    assert A().value_type is tf.TensorArray


def test_none_optional_and_dataset_specs():
    N = tf.NoneTensorSpec
    assert repr(N()) == "NoneTensorSpec()" and N() == N() and hash(N()) == hash(N())
    assert N().is_compatible_with(None) and N().most_specific_compatible_type(N()) == N()
    Opt = tf.OptionalSpec
    assert repr(Opt(T([2]))) == \
        "OptionalSpec(TensorSpec(shape=(2,), dtype=tf.float32, name=None),)"
    assert Opt(T([2])).is_compatible_with(Opt(T([None]))) and Opt((T([2]),)) != Opt(T([2]))
    assert Opt(T([2])).most_specific_compatible_type(Opt(T([3]))) == Opt(T([None]))
    assert Opt(T([2])).value_type is tf.data.experimental.Optional
    D = tf.data.DatasetSpec
    assert repr(D(T([2]))) == \
        "DatasetSpec(TensorSpec(shape=(2,), dtype=tf.float32, name=None), TensorShape([]))"
    assert D(T([2]), [4]).element_spec == T([2])
    assert D(T([2]), [3]).most_specific_compatible_type(D(T([2]), [4])) == D(T([2]), [None])
    assert D({"a": T([2])}).is_compatible_with(D({"a": T([None])}))
    assert not D({"a": T([2])}).is_compatible_with(D({"b": T([2])}))
    assert D(T([2])).value_type is tf.data.Dataset
    x = tf.data.experimental
    assert (x.TensorStructure, x.SparseTensorStructure, x.OptionalStructure, x.Structure,
            x.DatasetStructure) == (T, S, tf.OptionalSpec, tf.TypeSpec, D)


# -- type_spec_from_value -----------------------------------------------------------------------
def test_type_spec_from_value_hand_computed():
    f = tf.type_spec_from_value
    assert f(np.zeros(3)) == T([3], tf.float64) and f(3) == T([], tf.int32)
    assert f([1.0, 2.0]) == T([2]) and f((1, 2)) == T([2], tf.int32) and f([]) == T([0])
    assert f("s") == T([], tf.string) and f(np.array(["a", "bc"])) == T([2], tf.string)
    assert f(None) == tf.NoneTensorSpec()
    assert f(tf.SparseTensorValue([[0]], [1.0], [3])) == S([3])
    for bad in [object(), {"a": 1}, [1, [2, 3]], 2 ** 70]:
        with pytest.raises(TypeError, match=re.escape(
                f"Could not build a TypeSpec for {bad} of unsupported type {type(bad)}.")):
            f(bad)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, 3], name="p")
        assert f(p) == T([None, 3])  # no name, unlike from_tensor
        assert f([p, p]) == T([2, None, 3])  # a list of tensors: batched
        assert f(tf.sparse_placeholder(tf.float32, [None, 3])) == S([None, 3])
        assert f(tf.ragged.constant([[1], [2, 3]])) == R([2, None], tf.int32)
        assert f(tf.ragged.constant([[[1]], [[2, 3]]])) == R([2, None, None], tf.int32)
        sl = tf.IndexedSlices(tf.zeros([2, 3]), tf.constant([0, 1]), tf.constant([4, 3]))
        assert f(sl) == tf.IndexedSlicesSpec([4, 3], tf.float32, tf.int32, tf.int32, [2])
        sl = tf.IndexedSlices(tf.zeros([2, 3]), tf.constant([0, 1]))
        assert f(sl) == tf.IndexedSlicesSpec([None, 3], tf.float32, tf.int32, None, [2])
        assert f(tf.TensorArray(tf.float32, 3)) == tf.TensorArraySpec()
        ds = tf.data.Dataset.from_tensor_slices({"a": np.zeros((3, 2), np.float32)})
        assert f(ds) == tf.data.DatasetSpec({"a": T([2])})
        opt = tf.data.experimental.Optional.from_value((1, 2.0))
        assert f(opt) == tf.OptionalSpec((T([], tf.int32), T([])))


# -- what tf.data reports -----------------------------------------------------------------------
def _nested(lib):
    sp = lib.SparseTensor([[0, 0]], [1.0], [3, 4])
    return lib.data.Dataset.from_tensor_slices(
        (np.zeros((3, 2), np.float32), {"a": np.arange(3), "b": sp}))


def test_dataset_element_specs_and_legacy_outputs_hand_written():
    with tf.Graph().as_default():
        ds = _nested(tf)
        assert repr(ds.element_spec) == (
            "(TensorSpec(shape=(2,), dtype=tf.float32, name=None), {'a': TensorSpec(shape=(), "
            "dtype=tf.int64, name=None), 'b': SparseTensorSpec(TensorShape([Dimension(4)]), "
            "tf.float32)})")
        assert ds.output_types == (tf.float32, {"a": tf.int64, "b": tf.float32})
        assert ds.output_classes == (tf.Tensor, {"a": tf.Tensor, "b": tf.SparseTensor})
        assert ds.batch(2).element_spec[1]["b"] == S([None, 4])
        w = tf.data.Dataset.range(5).window(2)
        spec = tf.data.DatasetSpec(T([], tf.int64))
        assert w.element_spec == w.output_types == w.output_shapes == w.output_classes == spec
        assert ds.window(2).element_spec[1]["b"] == tf.data.DatasetSpec(S([4]))


def _gen():
    yield (np.array([1.0, 2.0], np.float32),
           tf.SparseTensorValue([[0, 1]], np.array([5], np.int32), [2, 3]))
    yield (np.array([3.0, 4.0], np.float32),
           tf.SparseTensorValue([[1, 1], [1, 2]], np.array([6, 7], np.int32), [2, 3]))


def test_from_generator_output_signature_hand_written():
    with tf.Graph().as_default():
        sig = (T([2], name="x"), S([None, 3], tf.int32))
        ds = tf.data.Dataset.from_generator(_gen, output_signature=sig)
        assert ds.element_spec == sig and ds.output_classes == (tf.Tensor, tf.SparseTensor)
        batched = ds.batch(2)
        assert batched.element_spec == (T([None, 2]), S([None, None, 3], tf.int32))
        nxt = tf.data.make_one_shot_iterator(batched).get_next()
        with tf.Session() as sess:
            dense, sparse = sess.run(nxt)
            np.testing.assert_array_equal(dense, [[1, 2], [3, 4]])
            np.testing.assert_array_equal(sparse.indices, [[0, 0, 1], [1, 1, 1], [1, 1, 2]])
            np.testing.assert_array_equal(sparse.values, [5, 6, 7])
            np.testing.assert_array_equal(sparse.dense_shape, [2, 2, 3])
            with pytest.raises(errors.OutOfRangeError):
                sess.run(nxt)
        bad = tf.data.Dataset.from_generator(
            lambda: iter([tf.SparseTensorValue([[0]], [1.0], [4])]), output_signature=S([2]))
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match=re.escape(
                "yielded an element of SparseTensorSpec(TensorShape([Dimension(4)]), tf.float32) "
                "where an element of SparseTensorSpec(TensorShape([Dimension(2)]), tf.float32) "
                "was expected.")):
            sess.run(tf.data.make_one_shot_iterator(bad).get_next())
        with pytest.raises(TypeError, match="can not be used together"):
            tf.data.Dataset.from_generator(_gen, tf.float32, output_signature=sig)
        with pytest.raises(TypeError, match="subclass of `tf.TypeSpec`"):
            tf.data.Dataset.from_generator(_gen, output_signature=(tf.float32,))
        with pytest.raises(TypeError, match="either the `output_signature` argument"):
            tf.data.Dataset.from_generator(_gen)
        with pytest.raises(TypeError, match="can not contain RaggedTensorSpec"):
            tf.data.Dataset.from_generator(_gen, output_signature=R([None, None]))


def test_from_generator_casts_numbers_to_the_signature():
    """As TF's: a yielded 1.5 becomes int32 1 (and output_types too); a string does not."""
    with tf.Graph().as_default():
        for ds in (tf.data.Dataset.from_generator(lambda: iter([1.5, -0.5, 2 ** 40]),
                                                  output_signature=T([], tf.int32)),
                   tf.data.Dataset.from_generator(lambda: iter([1.5, -0.5, 2 ** 40]),
                                                  output_types=tf.int32, output_shapes=[])):
            nxt = tf.data.make_one_shot_iterator(ds).get_next()
            with tf.Session() as sess:
                assert [sess.run(nxt) for _ in range(3)] == [1, 0, 0]
        bad = tf.data.Dataset.from_generator(lambda: iter(["x"]), output_signature=T([], tf.int32))
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                                 match="could not be converted to the expected"):
            sess.run(tf.data.make_one_shot_iterator(bad).get_next())


# -- side by side with TensorFlow ---------------------------------------------------------------
_SPECS = [
    lambda m: m.TensorSpec([2]), lambda m: m.TensorSpec(None, m.int32, "x"),
    lambda m: m.TensorSpec([None, 3], "float64"), lambda m: m.SparseTensorSpec(),
    lambda m: m.SparseTensorSpec([2, None], m.int32), lambda m: m.RaggedTensorSpec([2, None]),
    lambda m: m.RaggedTensorSpec([2, None, 3]), lambda m: m.RaggedTensorSpec(ragged_rank=2),
    lambda m: m.RaggedTensorSpec([5], ragged_rank=0), lambda m: m.RaggedTensorSpec(),
    lambda m: m.RaggedTensorSpec([2, None], ragged_rank=2),
    lambda m: m.RaggedTensorSpec([2, None], ragged_rank="a"),
    lambda m: m.RaggedTensorSpec([2, None], m.int32, flat_values_spec=m.TensorSpec([None])),
    lambda m: m.RaggedTensorSpec([None, None, None], ragged_rank=1,
                                 flat_values_spec=m.TensorSpec([None, 5])),
    lambda m: m.IndexedSlicesSpec(), lambda m: m.IndexedSlicesSpec([2, 3], m.int32, m.int64,
                                                                  m.int64, [3]),
    lambda m: m.TensorArraySpec(), lambda m: m.TensorArraySpec([2], m.int32, True, False),
    lambda m: m.NoneTensorSpec(), lambda m: m.OptionalSpec(m.TensorSpec([2])),
    lambda m: m.OptionalSpec((m.TensorSpec([]), m.SparseTensorSpec([None]))),
    lambda m: m.data.DatasetSpec(m.TensorSpec([2])),
    lambda m: m.data.DatasetSpec({"a": m.TensorSpec([2])}, [4]),
]
_PAIRS = [  # (a, b) built in one library: equality, compatibility, most specific type
    lambda m: (m.TensorSpec([2]), m.TensorSpec([None])),
    lambda m: (m.TensorSpec([2], name="a"), m.TensorSpec([3], name="a")),
    lambda m: (m.TensorSpec([2], name="a"), m.TensorSpec([2], name="b")),
    lambda m: (m.TensorSpec([2]), m.TensorSpec([2, 1])),
    lambda m: (m.TensorSpec([2]), m.TensorSpec([2], m.int32)),
    lambda m: (m.TensorSpec([2]), m.SparseTensorSpec([2])),
    lambda m: (m.SparseTensorSpec([2, 3]), m.SparseTensorSpec([4, 3])),
    lambda m: (m.RaggedTensorSpec([2, None]), m.RaggedTensorSpec([3, None])),
    lambda m: (m.RaggedTensorSpec([2, None]), m.RaggedTensorSpec([2, None], m.int32)),
    lambda m: (m.RaggedTensorSpec([None, None, 4], ragged_rank=1),
               m.RaggedTensorSpec([None, None, 4])),
    lambda m: (m.IndexedSlicesSpec([2, 3]), m.IndexedSlicesSpec([5, 3])),
    lambda m: (m.TensorArraySpec([2]), m.TensorArraySpec([2], dynamic_size=True)),
    lambda m: (m.OptionalSpec(m.TensorSpec([2])), m.OptionalSpec(m.TensorSpec([3]))),
    lambda m: (m.data.DatasetSpec(m.TensorSpec([2]), [3]),
               m.data.DatasetSpec(m.TensorSpec([2]), [4])),
    lambda m: (m.NoneTensorSpec(), m.NoneTensorSpec()),
]


def _spec_facts(lib, make):
    with lib.Graph().as_default():
        return _err(lambda: make(lib))


def _pair_facts(lib, make):
    with lib.Graph().as_default():
        a, b = make(lib)
        return (a == b, a != b, a.is_compatible_with(b), b.is_compatible_with(a),
                _err(lambda: a.most_specific_compatible_type(b)), repr(a), repr(b))


@pytest.mark.parametrize("make", _SPECS)
def test_spec_reprs_and_errors_match_tf(make):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():  # TF 1.x's spellings, as minitf's
        want = _spec_facts(tf1, make)
    assert _spec_facts(tf, make) == want


@pytest.mark.parametrize("make", _PAIRS)
def test_spec_equality_compatibility_and_supertype_match_tf(make):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():
        want = _pair_facts(tf1, make)
    assert _pair_facts(tf, make) == want


def test_tensor_array_spec_supertype_differs_from_tf_on_purpose():
    """TF 2.21's TensorArraySpec.most_specific_common_supertype hands TensorShape's a generator
    that its first check consumes, so it keeps the first spec's dims ([2] for [2] and [None],
    which [None] is not); minitf gives the true common supertype. The rest agrees."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def make(m):
        return m.TensorArraySpec([2]), m.TensorArraySpec([None], infer_shape=False)

    with tf1_shape_spellings():
        theirs = _pair_facts(tf1, make)
    ours = _pair_facts(tf, make)
    assert ours[:4] + ours[5:] == theirs[:4] + theirs[5:]
    assert ours[4] == "TensorArraySpec(TensorShape([Dimension(None)]), tf.float32, False, False)"
    assert theirs[4] == "TensorArraySpec(TensorShape([Dimension(2)]), tf.float32, False, False)"


_VALUES = [
    lambda m: np.zeros((2, 3), np.float32), lambda m: 3, lambda m: [1.0, 2.0], lambda m: "s",
    lambda m: (1, 2), lambda m: None, lambda m: [], lambda m: np.array([b"a"]),
    lambda m: m.placeholder(m.float32, [None, 3]),
    lambda m: [m.zeros([2]), m.zeros([3])],
    lambda m: m.sparse_placeholder(m.int32, [None, 4]),
    lambda m: m.SparseTensorValue([[0]], [1.0], [3]),
    lambda m: m.ragged.constant([[1], [2, 3]]),
    lambda m: m.ragged.constant([[[1.0]], [[2.0, 3.0]]]),
    lambda m: m.IndexedSlices(m.zeros([2, 3]), m.constant([0, 1]), m.constant([4, 3])),
    lambda m: m.IndexedSlices(m.zeros([2, 3]), m.constant([0, 1], m.int64)),
    lambda m: _nested(m), lambda m: m.data.Dataset.range(3).window(2),
    lambda m: m.data.experimental.Optional.from_value((1, 2.0)),
    lambda m: m.data.experimental.Optional.empty(m.TensorSpec([2])),
    lambda m: {"a": 1}, lambda m: [1, [2, 3]], lambda m: 2 ** 70,
]


def _value_spec(lib, make):
    with lib.Graph().as_default():
        return _err(lambda: lib.type_spec_from_value(make(lib)))


@pytest.mark.parametrize("make", _VALUES)
def test_type_spec_from_value_matches_tf(make):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():
        want = _value_spec(tf1, make)
    assert _value_spec(tf, make) == want


def _data_facts(lib):
    with lib.Graph().as_default():
        ds = _nested(lib)
        w = ds.window(2)
        out = [ds.element_spec, ds.output_types, ds.output_shapes, ds.batch(2).element_spec,
               w.element_spec, w.output_types, w.output_shapes, w.output_classes,
               lib.data.Dataset.range(3).map(lambda x: lib.identity(x, name="y")).element_spec,
               lib.data.Dataset.from_tensors(lib.placeholder(lib.float32, [None, 2])).element_spec,
               lib.data.Dataset.from_tensor_slices(np.zeros((4, 3))).apply(
                   lib.data.experimental.dense_to_sparse_batch(2, [5])).element_spec,
               lib.data.Iterator.from_structure(
                   (lib.float32, lib.int32), ([2], [None]),
                   output_classes=(lib.Tensor, lib.SparseTensor)).element_spec]
        classes = [c.__name__ for c in lib.nest.flatten(ds.output_classes)]
        return [repr(x) for x in out] + classes


def test_dataset_element_specs_match_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():
        want = _data_facts(tf1)
    assert _data_facts(tf) == want


def _generator_results(lib, gen, signature, batch=None):
    """(element_spec repr, the elements or the error's key message) of from_generator;
    ``gen(lib)`` makes the generator (SparseTensorValues are each library's own)."""
    with lib.Graph().as_default():
        ds = lib.data.Dataset.from_generator(gen(lib), output_signature=signature(lib))
        ds = ds.batch(batch) if batch else ds
        nxt = lib.data.make_one_shot_iterator(ds).get_next()
        out = [repr(ds.element_spec)]
        with lib.Session() as sess:
            while True:
                try:
                    value = sess.run(nxt)
                except lib.errors.OutOfRangeError:
                    return out
                except lib.errors.InvalidArgumentError as e:
                    found = re.search(r"`generator` yielded [^\n]*", str(e))
                    return out + [found.group(0) if found else str(e)]
                out.append(_flat_values(value))


def _flat_values(value) -> list:
    """An element's arrays as lists: dicts by sorted key, a SparseTensorValue as its three."""
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flat_values(value[k])]
    if hasattr(value, "dense_shape"):
        return [np.asarray(x).tolist() for x in (value.indices, value.values, value.dense_shape)]
    if isinstance(value, tuple):
        return [x for v in value for x in _flat_values(v)]
    return [np.asarray(value).tolist()]


def _sparse_gen(m):
    return lambda: iter([
        (np.array([1.0, 2.0], np.float32),
         m.SparseTensorValue([[0, 1]], np.array([5], np.int32), [2, 3])),
        (np.array([3.0, 4.0], np.float32),
         m.SparseTensorValue([[1, 1], [1, 2]], np.array([6, 7], np.int32), [2, 3]))])


def _yields(*values):
    return lambda m: lambda: iter([v(m) if callable(v) else v for v in values])


_SIGNATURES = [
    (_sparse_gen, lambda m: (m.TensorSpec([2], name="x"), m.SparseTensorSpec([None, 3], m.int32)),
     None),
    (_sparse_gen, lambda m: (m.TensorSpec([2]), m.SparseTensorSpec([None, 3], m.int32)), 2),
    (_yields(np.zeros(2), np.ones(2)), lambda m: m.TensorSpec([2], name="x"), None),
    (_yields(np.zeros(3)), lambda m: m.TensorSpec([2]), None),
    (_yields(np.zeros(3)), lambda m: m.SparseTensorSpec([2]), None),
    (_yields(lambda m: m.SparseTensorValue([[0]], [1.0], [4])),
     lambda m: m.SparseTensorSpec([2]), None),
    (_yields(lambda m: m.SparseTensorValue([[0]], [1], [4])),
     lambda m: m.SparseTensorSpec([None]), None),
    (_yields({"a": 1}),
     lambda m: {"a": m.TensorSpec([], m.int64), "s": m.SparseTensorSpec([None])}, None),
    (_yields(lambda m: {"a": 1, "s": m.SparseTensorValue([[1], [3]], [1.0, 2.0], [4])}),
     lambda m: {"a": m.TensorSpec([], m.int64), "s": m.SparseTensorSpec([None])}, None),
    # numbers are cast as numpy casts them (truncated, wrapped), not refused as by tf.constant
    (_yields(1.5, -0.5, 2 ** 40), lambda m: m.TensorSpec([], m.int32), None),
    (_yields((1.5, [1.9, 2.1])), lambda m: (m.TensorSpec([], m.int32), m.TensorSpec([2], m.int64)),
     None),
    (_yields(True, 0.0), lambda m: m.TensorSpec([], m.float32), None),
    (_yields("x"), lambda m: m.TensorSpec([], m.int32), None),
]


@pytest.mark.parametrize("gen,signature,batch", _SIGNATURES)
def test_from_generator_output_signature_matches_tf(gen, signature, batch):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():
        want = _generator_results(tf1, gen, signature, batch)
    assert _generator_results(tf, gen, signature, batch) == want
