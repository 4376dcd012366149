"""tf.train.Saver given a variable op's output tensor (a graph rebuilt by import_graph_def has
tensors, no Variable objects), and Saver(reshape=True): values by hand, and side by side with
tf.compat.v1 (TF 2.21), which also reads minitf's V2 checkpoint and .meta."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

V2 = tf.train.SaverDef.V2
ARANGE = np.arange(6.0, dtype=np.float32).reshape(2, 3)


def _graph_def():
    with tf.Graph().as_default() as g:
        tf.Variable([1.0, 2.0], name="v")
        tf.Variable([[3.0]], name="s/w")
        return g.as_graph_def()


@pytest.mark.parametrize("write_version", [None, V2])
def test_tensor_var_list_saves_and_restores_an_imported_graph(tmp_path, write_version):
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def(), name="")
        v, w = g.get_tensor_by_name("v:0"), g.get_tensor_by_name("s/w:0")
        by_key = tf.train.Saver({"vv": v}, write_version=write_version)
        by_op = tf.train.Saver([w, v], write_version=write_version)  # named by op, as TF
        with tf.Session() as sess:
            sess.run(["v/Assign", "s/w/Assign"])
            p1 = by_key.save(sess, str(tmp_path / "a"))
            p2 = by_op.save(sess, str(tmp_path / "b"))
            assert tf.train.list_variables(p1) == [("vv", [2])]
            assert tf.train.list_variables(p2) == [("s/w", [1, 1]), ("v", [2])]
            assert tf.train.load_variable(p2, "s/w").tolist() == [[3.0]]
            sess.run(tf.assign(v, [7.0, 7.0]))
            by_key.restore(sess, p1)
            assert sess.run(v).tolist() == [1.0, 2.0]
            sess.run([tf.assign(v, [7.0, 7.0]), tf.assign(w, [[7.0]])])
            by_op.restore(sess, p2)
            assert sess.run([v, w]) == [pytest.approx([1.0, 2.0]), [[3.0]]]
    # The .meta beside it records what the Saver saves: import_meta_graph's Saver restores it.
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(p1 + ".meta")
        with tf.Session() as sess:
            saver.restore(sess, p1)
            assert sess.run("v:0").tolist() == [1.0, 2.0]


def test_a_tensor_and_its_variable_are_one_saveable():
    with tf.Graph().as_default():
        v = tf.Variable([1.0], name="v")
        # TF printed: ValueError The same saveable will be restored with two names: b
        with pytest.raises(ValueError, match="restored with two names: b"):
            tf.train.Saver({"a": v, "b": v._ref()})
        # TF printed: ValueError At least two variables have the same name: v
        with pytest.raises(ValueError, match="At least two variables have the same name: v"):
            tf.train.Saver([v, v._ref()])


def test_a_tensor_that_is_no_variable_is_refused_with_tfs_words():
    with tf.Graph().as_default():
        c = tf.constant([1.0, 2.0], name="c")
        v = tf.Variable([1.0], name="v")
        # TF: TypeError names_to_saveables must be a dict mapping string names to
        # Tensors/Variables. Not a variable: Tensor("c:0", shape=(2,), dtype=float32)
        with pytest.raises(TypeError, match=r"Tensors/Variables. Not a variable: "
                                            r'Tensor\("c:0", shape=\(2,\), dtype=float32\)$'):
            tf.train.Saver({"c": c})
        # TF: TypeError Variable to save is not a Variable: Tensor("v/read:0", ...)
        with pytest.raises(TypeError, match=r'^Variable to save is not a Variable: '
                                            r'Tensor\("v/read:0"'):
            tf.train.Saver([v.value()])


def _save_arange(tmp_path, write_version):
    with tf.Graph().as_default():
        v = tf.Variable(ARANGE, name="v")
        with tf.Session() as sess:
            sess.run(v.initializer)
            return tf.train.Saver(write_version=write_version).save(sess, str(tmp_path / "r"))


@pytest.mark.parametrize("write_version", [None, V2])
def test_reshape_restores_as_many_elements_in_another_shape(tmp_path, write_version):
    path = _save_arange(tmp_path, write_version)
    for shape in [(3, 2), (6,), (1, 6, 1), (2, 3)]:
        with tf.Graph().as_default():
            v = tf.Variable(np.zeros(shape, np.float32), name="v")
            with tf.Session() as sess:
                tf.train.Saver(reshape=True, write_version=write_version).restore(sess, path)
                np.testing.assert_array_equal(sess.run(v), ARANGE.reshape(shape))
    with tf.Graph().as_default():  # unknown static shape: the variable's current one (TF's)
        v = tf.Variable(tf.zeros([3, 2]), validate_shape=False, name="v")
        saver = tf.train.Saver(reshape=True)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
                saver.restore(sess, path)
            sess.run(v.initializer)
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run(v), ARANGE.reshape(3, 2))


@pytest.mark.parametrize("write_version", [None, V2])
def test_reshape_still_refuses_another_count_or_dtype(tmp_path, write_version):
    path = _save_arange(tmp_path, write_version)
    cases = [((2, 2), np.float32, True,
              "Input to reshape is a tensor with 6 values, but the requested shape has 4"),
             ((3, 2), np.float64, True,
              "expected dtype double does not equal original dtype float"),
             ((3, 2), np.float32, False, r"lhs shape= \[3,2\] rhs shape= \[2,3\]")]
    for shape, dtype, reshape, words in cases:
        with tf.Graph().as_default():
            v = tf.Variable(np.full(shape, 9, dtype), name="v")
            with tf.Session() as sess:
                sess.run(v.initializer)
                with pytest.raises(tf.errors.InvalidArgumentError,
                                   match="Restoring from checkpoint failed.*mismatch") as e:
                    tf.train.Saver(reshape=reshape).restore(sess, path)
                assert e.match(words)
                assert (sess.run(v) == 9).all()  # nothing restored


def test_reshape_v2_saver_builds_tfs_reshape_ops():
    with tf.Graph().as_default() as g:
        tf.Variable(np.zeros((3, 2), np.float32), name="v")
        tf.train.Saver(reshape=True, write_version=V2)
        reshape = g.get_operation_by_name("save/Reshape")
        assign = g.get_operation_by_name("save/Assign")
        assert assign.inputs[1].op is reshape and not assign.get_attr("validate_shape")


_VS_TF = r'''
import json, os, sys
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_v2_behavior()

TMP = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
ARANGE = np.arange(6.0, dtype=np.float32).reshape(2, 3)


def outcome(f):
    try:
        r = f()
        return ["ok", np.asarray(r).tolist() if r is not None else None]
    except Exception as e:
        text = str(e)
        for words in ("Input to reshape is a tensor with 6 values, but the requested shape "
                      "has 4", "expected dtype double does not equal original dtype float",
                      "Assign requires shapes of both tensors to match",
                      "uninitialized value v"):
            if words in text:
                return [type(e).__name__, words]
        return [type(e).__name__, text.splitlines()[0][:200]]


def tensor_var_list(tf, d, write_version):
    with tf.Graph().as_default():
        tf.Variable([1.0, 2.0], name="v"); tf.Variable([[3.0]], name="s/w")
        gd = tf.get_default_graph().as_graph_def()
    out = []
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        v, w = g.get_tensor_by_name("v:0"), g.get_tensor_by_name("s/w:0")
        kw = {} if write_version is None else {"write_version": write_version}
        a, b = tf.train.Saver({"vv": v}, **kw), tf.train.Saver([w, v], **kw)
        with tf.Session() as s:
            s.run(["v/Assign", "s/w/Assign"])
            pa, pb = a.save(s, os.path.join(d, "a")), b.save(s, os.path.join(d, "b"))
            out += [tf.train.list_variables(pa), tf.train.list_variables(pb)]
            s.run([tf.assign(v, [7.0, 7.0]), tf.assign(w, [[7.0]])])
            a.restore(s, pa); out.append(s.run(v).tolist())
            s.run(tf.assign(v, [7.0, 7.0])); b.restore(s, pb); out.append(s.run([v, w]))
    with tf.Graph().as_default() as g:
        c = tf.constant([1.0, 2.0], name="c"); x = tf.Variable([1.0], name="x")
        for var_list in ({"c": c}, [c], {"x": x.value()}, [x.value()], {"a": x, "b": x._ref()},
                         [x, x._ref()]):
            out.append(outcome(lambda: tf.train.Saver(var_list) and None))
    return json.loads(json.dumps(out, default=lambda a: np.asarray(a).tolist()))


def reshape_cases(tf, d, write_version):
    kw = {} if write_version is None else {"write_version": write_version}
    with tf.Graph().as_default():
        v = tf.Variable(ARANGE, name="v")
        with tf.Session() as s:
            s.run(v.initializer); p = tf.train.Saver(**kw).save(s, os.path.join(d, "r"))
    out = []
    for shape, dtype, reshape in [((3, 2), np.float32, True), ((6,), np.float32, True),
                                  ((2, 3), np.float32, True), ((2, 2), np.float32, True),
                                  ((3, 2), np.float64, True), ((3, 2), np.float32, False)]:
        with tf.Graph().as_default():
            v = tf.Variable(np.zeros(shape, dtype), name="v")
            with tf.Session() as s:
                out.append(outcome(lambda: tf.train.Saver(reshape=reshape, **kw).restore(s, p)
                                   or s.run(v)))
    with tf.Graph().as_default():
        v = tf.Variable(tf.zeros([3, 2]), validate_shape=False, name="v")
        saver = tf.train.Saver(reshape=True, **kw)
        with tf.Session() as s:
            out.append(outcome(lambda: saver.restore(s, p)))
            s.run(v.initializer)
            out.append(outcome(lambda: saver.restore(s, p) or s.run(v)))
    return out


def report(name, ours, theirs):
    print(name, "OK" if ours == theirs else f"DIFF ours={ours!r} theirs={theirs!r}")


for wv in (None, 2):
    d_tf, d_m = os.path.join(TMP, f"tf{wv}"), os.path.join(TMP, f"m{wv}")
    os.makedirs(d_tf, exist_ok=True); os.makedirs(d_m, exist_ok=True)
    report(f"tensor var_list {wv}", tensor_var_list(mtf, d_m, wv),
           tensor_var_list(tf1, d_tf, wv))
    report(f"reshape {wv}", reshape_cases(mtf, d_m, wv), reshape_cases(tf1, d_tf, wv))

# TF reads minitf's V2 checkpoint written through a tensor var_list: its reader, its own
# Saver, and import_meta_graph of minitf's .meta (minitf's save/restore ops).
d = os.path.join(TMP, "m2")
pa, pb = os.path.join(d, "a"), os.path.join(d, "b")
got = [tf1.train.list_variables(pa), tf1.train.load_variable(pb, "s/w").tolist()]
with tf1.Graph().as_default():
    v = tf1.Variable([0.0, 0.0], name="v")
    with tf1.Session() as s:
        tf1.train.Saver({"vv": v}).restore(s, pa); got.append(s.run(v).tolist())
with tf1.Graph().as_default():
    saver = tf1.train.import_meta_graph(pb + ".meta")
    with tf1.Session() as s:
        saver.restore(s, pb); got.append(s.run(["v:0", "s/w:0"]))
got = json.loads(json.dumps(got, default=lambda a: np.asarray(a).tolist()))
report("tf reads minitf", got, [[["vv", [2]]], [[3.0]], [1.0, 2.0], [[1.0, 2.0], [[3.0]]]])

# minitf's Saver(reshape=True) V2 .meta: TF's import_meta_graph restores through its Reshape.
with mtf.Graph().as_default():
    v = mtf.Variable(np.zeros((3, 2), np.float32), name="v")
    saver = mtf.train.Saver(reshape=True, write_version=2)
    with mtf.Session() as s:
        s.run(v.initializer); meta = saver.save(s, os.path.join(d, "z")) + ".meta"
with tf1.Graph().as_default():
    saver = tf1.train.import_meta_graph(meta)
    with tf1.Session() as s:
        saver.restore(s, os.path.join(d, "r")); got = s.run("v:0").tolist()
report("tf restores through minitf's Reshape", got, ARANGE.reshape(3, 2).tolist())
'''


def test_against_tensorflow(tmp_path):
    """Tensor var_lists (dict and list, both formats), TF's refusals, reshape=True (counts,
    dtypes, an unknown shape), and TF reading minitf's V2 checkpoint, .meta and Reshape ops."""
    run_against_tf("saver_tensors_reshape_vs_tf.py", cases=6, source=_VS_TF, tmp_path=tmp_path)
