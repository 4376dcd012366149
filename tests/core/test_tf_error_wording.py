"""Error messages carry TF 1.x's searchable wording and exception class (users paste the text
into a search engine): tensor conversion of lists holding None or an unknown Dimension, Saver
restore mismatches, op_def_library's input conversion errors, tf.assign on a plain Tensor,
nested-structure mismatches of map_fn / while_loop / cond, and get_variable without a shape.
The expected texts are TF 1.15's (tensor_util.make_tensor_proto, saver.py's
_wrap_restore_error_with_msg, op_def_library.py, nest.assert_same_structure,
variable_scope.py); the last test checks class and phrase against TensorFlow itself."""

import re

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

_CASTING = "Consider casting elements to a supported type."


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


# -- 1. a list holding None / an unknown Dimension --------------------------------------------
def _failed(contents: str, kind="list") -> str:
    return re.escape(f"Failed to convert object of type <class '{kind}'> to Tensor. Contents: "
                     f"{contents}. {_CASTING}")


def test_reshape_with_none_from_as_list():
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(TypeError, match="^" + _failed("[None, 2, 2]") + "$"):
        tf.reshape(x, [x.get_shape().as_list()[0], 2, 2])


def test_reshape_with_unknown_dimension():
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(TypeError, match=_failed("[Dimension(None), -1]")):
        tf.reshape(x, [x.shape[0], -1])
    with pytest.raises(TypeError, match=_failed("(Dimension(None), -1)", "tuple")):
        tf.reshape(x, (x.shape[0], -1))
    # known Dimensions still convert, and a bare unknown one keeps TF's ValueError
    assert tf.reshape(x, [x.shape[1], -1]).shape.as_list() == [4, None]
    with pytest.raises(ValueError, match=re.escape("Cannot convert an unknown Dimension to a "
                                                   "Tensor: ?")):
        tf.convert_to_tensor(x.shape[0])


@pytest.mark.parametrize("build", [
    lambda: tf.constant([None, 2]),
    lambda: tf.convert_to_tensor([None, 2]),
    lambda: tf.fill([None, 2], 1.0),
])
def test_none_in_a_list(build):
    with pytest.raises(TypeError, match=_failed("[None, 2]")):
        build()


def test_tile_with_none():
    with pytest.raises(TypeError, match=_failed("[None]")):
        tf.tile(tf.constant([1.0]), [None])


# -- 2. Saver.restore mismatches ----------------------------------------------------------------
_MISMATCH = ("Restoring from checkpoint failed. This is most likely due to a mismatch between "
             "the current graph and the graph from the checkpoint. Please ensure that you have "
             "not altered the graph expected based on the checkpoint. Original error:\n\n")
_MISSING = ("Restoring from checkpoint failed. This is most likely due to a Variable name or "
            "other graph key that is missing from the checkpoint. Please ensure that you have "
            "not altered the graph expected based on the checkpoint. Original error:\n\n")


def _saved(tmp_path, value):
    with tf.Graph().as_default():
        v = tf.Variable(value, name="v")
        with tf.Session() as sess:
            sess.run(v.initializer)
            return tf.train.Saver().save(sess, str(tmp_path / "m"))


def _restore(path, build):
    with tf.Graph().as_default():
        build()
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, path)


def test_restore_shape_mismatch(tmp_path):
    path = _saved(tmp_path, np.zeros(2, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _restore(path, lambda: tf.Variable(np.zeros(3, np.float32), name="v"))
    assert info.value.message.startswith(
        _MISMATCH + "Assign requires shapes of both tensors to match. lhs shape= [3] rhs "
        "shape= [2]")
    assert f"(variable v, checkpoint {path})" in info.value.message  # minitf's detail


def test_restore_dtype_mismatch(tmp_path):
    path = _saved(tmp_path, np.zeros(2, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _restore(path, lambda: tf.Variable(np.zeros(2, np.float64), name="v"))
    assert info.value.message == (_MISMATCH + "tensor_name = v; expected dtype double does not "
                                  "equal original dtype float")


def test_restore_missing_key(tmp_path):
    path = _saved(tmp_path, np.zeros(2, np.float32))

    def build():
        tf.Variable(np.zeros(2, np.float32), name="v")
        tf.Variable(np.zeros(2, np.float32), name="w")
    with pytest.raises(tf.errors.NotFoundError) as info:
        _restore(path, build)
    assert info.value.message.startswith(_MISSING + "Key w not found in checkpoint")


# -- 3. op_def_library's conversion errors, tf.assign on a Tensor ------------------------------
def test_expected_dtype_passed_to_parameter():
    with pytest.raises(TypeError, match=re.escape(
            "Expected int32 passed to parameter 'y' of op 'Equal', got 'yes' of type 'str' "
            "instead. Error: ")):
        tf.equal(tf.constant(1), "yes")
    with pytest.raises(TypeError, match=re.escape(
            "Expected int32 passed to parameter 'size' of op 'Slice', got [1.5, 2] of type "
            "'list' instead. Error: ")):
        tf.slice(tf.zeros([3, 3]), [0, 0], [1.5, 2])


@pytest.mark.parametrize("build, arg, op", [
    (lambda a, b: tf.concat([a, b], 0), "values", "ConcatV2"),
    (lambda a, b: tf.stack([a, b]), "values", "Pack"),
    (lambda a, b: tf.add_n([a, b]), "inputs", "AddN"),
])
def test_list_of_mixed_dtypes(build, arg, op):
    with pytest.raises(TypeError, match="^" + re.escape(
            f"Tensors in list passed to '{arg}' of '{op}' Op have types [int32, float32] that "
            "don't all match.") + "$"):
        build(tf.constant([1]), tf.constant([1.0]))


def test_list_with_a_python_value_of_another_dtype():
    with pytest.raises(TypeError, match=re.escape(
            "Tensors in list passed to 'inputs' of 'AddN' Op have types [int32, float32] that "
            "don't all match.")):
        tf.add_n([tf.constant(1), 2.5])


def test_assign_to_a_plain_tensor_is_an_attribute_error():
    c = tf.constant([1.0, 2.0])
    for fn, method in ((tf.assign, "assign"), (tf.assign_add, "assign_add"),
                       (tf.assign_sub, "assign_sub")):
        with pytest.raises(AttributeError, match=f"'Tensor' object has no attribute '{method}'"):
            fn(c, [3.0, 4.0])
    v = tf.Variable([1.0, 2.0])  # variables (and their storage tensor) still assign
    assert tf.assign(v, [3.0, 4.0]).op.type == "Assign"
    assert tf.assign_add(v.op.outputs[0], [1.0, 1.0]).op.type == "AssignAdd"


# -- 4. nested-structure mismatches -------------------------------------------------------------
_NEST = "The two structures don't have the same nested structure."


def test_map_fn_structure():
    x = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=re.escape(_NEST)):
        tf.map_fn(lambda v: (v, v), x)
    with pytest.raises(ValueError, match=re.escape(_NEST)):
        tf.map_fn(lambda v: (v, v), x, dtype=(tf.float32,))


def test_while_loop_body_structure():
    with pytest.raises(ValueError, match=re.escape(_NEST)) as info:
        tf.while_loop(lambda i: i < 3, lambda i: [i + 1, i], [tf.constant(0)])
    assert "[tensor] went in and [tensor, tensor] came back" in str(info.value)


def test_cond_branch_structure():
    t = tf.constant(True)
    with pytest.raises(ValueError, match="Incompatible return values of true_fn and false_fn: "
                                         + re.escape(_NEST)):
        tf.cond(t, lambda: (tf.constant(1), tf.constant(2)), lambda: tf.constant(3))


# -- 5. get_variable without a shape -------------------------------------------------------------
def test_get_variable_without_shape():
    with pytest.raises(ValueError, match=re.escape(
            "Shape of a new variable (w) must be fully defined, but instead was <unknown>.")):
        tf.get_variable("w")


# -- against TensorFlow ---------------------------------------------------------------------------
_VS_TF = r'''
import os
import tempfile
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_v2_behavior()  # TF 1.x graphs: ref variables, Dimension-valued shapes

NEST = "The two structures don't have the same nested structure."
CASTING = "Consider casting elements to a supported type."
RESTORE = "Restoring from checkpoint failed. This is most likely due to "
PLEASE = ("from the checkpoint. Please ensure that you have not altered the graph expected "
          "based on the checkpoint. Original error:")


def saver_case(tf, stored, build):
    d = tempfile.mkdtemp()
    with tf.Graph().as_default():
        v = tf.Variable(stored, name="v")
        with tf.Session() as s:
            s.run(v.initializer)
            path = tf.train.Saver().save(s, os.path.join(d, "m"))
    with tf.Graph().as_default():
        build(tf)
        with tf.Session() as s:
            tf.train.Saver().restore(s, path)


def missing(tf):
    tf.Variable(np.zeros(2, np.float32), name="v")
    tf.Variable(np.zeros(2, np.float32), name="w")


# name: (build(tf), [phrases both messages hold]); TF 2.21 words some differently from 1.15,
# so the phrases are the ones the two share.
CASES = {
    "reshape_none_list": (lambda tf: tf.reshape(tf.placeholder(tf.float32, [None, 4]),
                                                [None, 2, 2]), [CASTING]),
    "reshape_unknown_dimension": (
        lambda tf: (lambda x: tf.reshape(x, [x.shape[0], -1]))(
            tf.placeholder(tf.float32, [None, 4])), ["Dimension(None), -1]", CASTING]),
    "constant_none": (lambda tf: tf.constant([None, 2]), ["[None, 2]", CASTING]),
    "fill_none": (lambda tf: tf.fill([None, 2], 1.0), ["[None, 2]", CASTING]),
    "tile_none": (lambda tf: tf.tile(tf.constant([1.0]), [None]), ["[None]", CASTING]),
    "restore_shape": (lambda tf: saver_case(tf, np.zeros(2, np.float32), lambda tf: tf.Variable(
        np.zeros(3, np.float32), name="v")), [
            RESTORE + "a mismatch between the current graph and the graph " + PLEASE,
            "Assign requires shapes of both tensors to match. lhs shape= [3] rhs shape= [2]"]),
    "restore_dtype": (lambda tf: saver_case(tf, np.zeros(2, np.float32), lambda tf: tf.Variable(
        np.zeros(2, np.float64), name="v")), [
            RESTORE + "a mismatch between the current graph and the graph " + PLEASE,
            "tensor_name = v; expected dtype double does not equal original dtype float"]),
    "restore_missing": (lambda tf: saver_case(tf, np.zeros(2, np.float32), missing), [
        RESTORE + "a Variable name or other graph key that is missing " + PLEASE,
        "Key w not found in checkpoint"]),
    "equal_str": (lambda tf: tf.equal(tf.constant(1), "yes"), [
        "Expected int32 passed to parameter 'y' of op 'Equal', got 'yes' of type 'str' "
        "instead. Error: "]),
    "concat_mixed": (lambda tf: tf.concat([tf.constant([1]), tf.constant([1.0])], 0), [
        "Tensors in list passed to 'values' of 'ConcatV2' Op have types [int32, float32] "
        "that don't all match."]),
    "add_n_mixed": (lambda tf: tf.add_n([tf.constant(1), tf.constant(1.0)]), [
        "Tensors in list passed to 'inputs' of 'AddN' Op have types [int32, float32] that "
        "don't all match."]),
    "assign_to_tensor": (lambda tf: tf.assign(tf.constant([1.0]), [2.0]),
                         ["object has no attribute 'assign'"]),
    "map_fn_structure": (lambda tf: tf.map_fn(lambda v: (v, v), tf.constant([1.0, 2.0])),
                         [NEST]),
    "while_structure": (lambda tf: tf.while_loop(lambda i: i < 3, lambda i: [i + 1, i],
                                                 [tf.constant(0)]), [NEST]),
    "cond_structure": (lambda tf: tf.cond(tf.constant(True),
                                          lambda: (tf.constant(1), tf.constant(2)),
                                          lambda: tf.constant(3)), [NEST]),
    "get_variable_no_shape": (lambda tf: tf.get_variable("w"), []),  # TF 2's words differ
}


def outcome(tf, build):
    tf.reset_default_graph()
    try:
        build(tf)
    except Exception as e:  # noqa: BLE001 -- the error is the result
        return type(e).__name__, str(e)
    return None, ""


for name, (build, phrases) in CASES.items():
    (c1, m1), (c2, m2) = outcome(mtf, build), outcome(tf1, build)
    problems = []
    if c1 is None or c1 != c2:
        problems.append(f"class {c1} vs TF {c2}")
    for p in phrases:
        for who, m in (("minitf", m1), ("TF", m2)):
            if p not in m:
                problems.append(f"{who} lacks {p!r}: {m[:400]!r}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))
'''


def test_classes_and_phrases_against_tensorflow(tmp_path):
    """Each case raises the class TF raises, and both messages hold the TF phrases."""
    run_against_tf("tf_error_wording_vs_tf.py", cases=16, source=_VS_TF, tmp_path=tmp_path)

