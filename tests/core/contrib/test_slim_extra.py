"""slim's model_analyzer and summaries side by side with tf_slim on tf.compat.v1 (a process of
its own, as tf_slim needs TF1 behaviour): the same printed report and totals, the same
summary ops, tags, values and SUMMARIES collection; slim's bucketize and scattered embedding
lookups against TensorFlow's Bucketize and SparseCross ops and numpy."""

import contextlib
import io
import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import slim
from tests.core.side_by_side import tf_run
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


# One program, run with (tf, slim) = minitf's or tf.compat.v1 and tf_slim; prints JSON.
PROGRAM = """
import contextlib
import io

import numpy as np


def printed(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args, **kwargs)
    return result, out.getvalue()


def analyzer(tf, slim):
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.constant(np.ones([4, 3], np.float32), name="w")
        y = tf.matmul(x, w, name="y")
        tf.reshape(y, [-1], name="flat")
        tf.placeholder(tf.int64, None, name="unknown_rank")
        tf.no_op(name="nothing")
        tf.constant(2.0, name="scalar")
        total, report = printed(slim.model_analyzer.analyze_ops, g, print_info=True)
        quiet = slim.model_analyzer.analyze_ops(g)
        v = [tf.Variable(np.zeros([2, 3], np.float32), name="v"),
             tf.Variable(np.zeros([5], np.int64), name="counts"),
             tf.Variable(np.zeros([], np.float64), name="s")]
        sizes, var_report = printed(slim.model_analyzer.analyze_vars, v, print_info=True)
        described = slim.model_analyzer.tensor_description(y)
        tf.assign_add(v[1], np.ones([5], np.int64), name="bump")
        tf.scatter_update(v[0], [1], np.ones([1, 3], np.float32), name="row")
        with_vars, vars_report = printed(slim.model_analyzer.analyze_ops, g, print_info=True)
    return {"ops_total": total, "ops_quiet": quiet, "ops_report": report,
            "with_vars": with_vars, "vars_ops_report": vars_report,
            "var_sizes": list(sizes), "var_report": var_report, "described": described}


def summaries(tf, slim):
    s = slim.summaries
    with tf.Graph().as_default():
        x = tf.constant([[0.0, 1.0], [2.0, 0.0]], name="x")
        loss = tf.reduce_sum(x, name="loss")
        img = tf.constant(np.arange(2 * 3 * 3 * 1, dtype=np.float32).reshape(2, 3, 3, 1) / 18,
                          name="img")
        ops = [s.add_scalar_summary(loss), s.add_scalar_summary(loss, name="L", prefix="p"),
               s.add_scalar_summary(loss, prefix="printed", print_summary=True),
               s.add_histogram_summary(x, prefix="h"), s.add_zero_fraction_summary(x),
               s.add_zero_fraction_summary(x, name="zf", prefix="q", print_summary=True),
               s.add_image_summary(img, name="picture")]
        ops += s.add_scalar_summaries([loss, loss], prefix="many")
        ops += s.add_histogram_summaries([x]) + s.add_zero_fraction_summaries([x], prefix="z")
        ops += s.add_image_summaries([img], prefix="imgs")
        collected = [op.name for op in tf.get_collection(tf.GraphKeys.SUMMARIES)]
        with tf.Session() as sess:
            values = sess.run(ops)
    out = []
    for value in values:
        summary = tf.Summary()
        summary.ParseFromString(value)
        for v in summary.value:
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                data = v.simple_value
            elif kind == "histo":
                data = [v.histo.min, v.histo.max, v.histo.num, v.histo.sum]
            else:
                data = [v.image.height, v.image.width, v.image.colorspace]
            out.append([v.tag, kind, data])
    return {"names": [op.name for op in ops], "collected": collected, "values": out}


def run(tf, slim):
    return {"analyzer": analyzer(tf, slim), "summaries": summaries(tf, slim)}
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
sys.path.insert(0, sys.argv[1])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
import tf_slim
print(json.dumps(run(tf, tf_slim)))
"""


def _ours():
    scope = {}
    exec(compile(PROGRAM, "slim_program", "exec"), scope)  # noqa: S102 - shared program
    return json.loads(json.dumps(scope["run"](tf, slim)))


def test_analyzer_and_summaries_match_tf_slim():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    want = tf_side_json(TF_SIDE, REPO)
    got = _ours()
    assert got["analyzer"] == want["analyzer"]
    assert got["summaries"]["names"] == want["summaries"]["names"]
    assert got["summaries"]["collected"] == want["summaries"]["collected"]
    assert len(got["summaries"]["values"]) == len(want["summaries"]["values"])
    for g, w in zip(got["summaries"]["values"], want["summaries"]["values"]):
        assert g[:2] == w[:2]
        np.testing.assert_allclose(g[2], w[2], rtol=1e-6, err_msg=g[0])


def test_analyzer_totals_by_hand():
    got = _ours()["analyzer"]
    # x [?, 4]: 0; w 12; y [?, 3]: 0; flat [?]: 0; the reshape's shape const 1; unknown 0;
    # no_op 0; scalar 1
    assert got["ops_total"] == got["ops_quiet"] == 14
    assert got["var_sizes"] == [6 + 5 + 1, 6 * 4 + 5 * 8 + 1 * 8]
    assert got["described"] == "(float32 ?x3)"
    lines = got["var_report"].splitlines()
    assert lines[3] == "v:0 (float32_ref 2x3) [6, bytes: 24]"  # a TF 1.x ref variable
    assert lines[-2:] == ["Total size of variables: 12", "Total bytes of variables: 72"]
    assert "unknown_rank \t->  [0]" in got["ops_report"]
    assert "y \t-> (float32 ?x3) [0]" in got["ops_report"]
    # variables and in-place updates are references in TF 1.x; reads are not
    report = got["vars_ops_report"]
    for line in ("v \t-> (float32_ref 2x3) [6]", "v/read \t-> (float32 2x3) [6]",
                 "bump \t-> (int64_ref 5) [5]", "row \t-> (float32_ref 2x3) [6]"):
        assert line in report.splitlines()


def test_summaries_by_hand():
    got = _ours()["summaries"]
    values = {tag: data for tag, _, data in got["values"]}
    # "loss" is the reduce_sum's op name already: the summary op and tag are "loss_1"
    assert values["loss_1"] == 3.0 and values["p/L"] == 3.0 and values["printed/loss"] == 3.0
    assert values["x/Fraction_of_Zero_Values"] == 0.5
    assert values["h/x"] == [0.0, 2.0, 4.0, 3.0]
    assert values["picture/image/0"][:2] == [3, 3]
    # the printing ones stand in SUMMARIES as their Print ops, not as the summary ops
    assert got["names"][2] == "Print:0" and got["names"][5] == "Print_1:0"
    assert got["collected"] == got["names"]


def test_tensor_description_of_unknown_rank_fails_as_tf():
    with pytest.raises(ValueError, match="unknown rank"):
        slim.model_analyzer.tensor_description(tf.placeholder(tf.float32))


def test_bucketize_matches_tf():
    values = np.array([[-1.0, 0.0, 0.5], [1.0, 2.5, 9.0]], np.float32)
    boundaries = [0.0, 1.0, 2.5]
    got = slim.bucketize(tf.constant(values), boundaries)
    assert got.op.type == "Bucketize" and got.dtype == tf.int32
    with tf.Session() as sess:
        got = sess.run(got)
    np.testing.assert_array_equal(got, np.searchsorted(boundaries, values, side="right"))
    want = tf_run(lambda t: t.raw_ops.Bucketize(input=values, boundaries=boundaries))
    np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError, match="Expected list for 'boundaries'"):
        slim.bucketize(tf.constant(values), 1.0)


def _partitioned(flat, shards):
    """``flat`` split "div"-style into ``shards`` constant tensors."""
    parts = np.array_split(flat, shards)
    return [tf.constant(p) for p in parts]


def test_scattered_embedding_lookup_matches_tf_hashing():
    weights = np.arange(11, dtype=np.float32) * 1.5 - 4
    values = np.array([[4, 4, 70], [5, 123456789, 4]], np.int64)
    got = slim.scattered_embedding_lookup(_partitioned(weights, 3), tf.constant(values), 4,
                                          hash_key=7)
    with tf.Session() as sess:
        got = sess.run(got)
    assert got.shape == (2, 3, 4)

    def reference(t):
        # TF's SparseCross with a hash_key hashes as contrib's SparseFeatureCrossV2
        flat = values.reshape(-1, 1)
        cand = np.tile(np.arange(4, dtype=np.int64)[None], [flat.shape[0], 1])
        ids = t.raw_ops.SparseCross(indices=[], values=[], shapes=[],
                                    dense_inputs=[t.constant(cand), t.constant(flat)],
                                    hashed_output=True, num_buckets=11, hash_key=7,
                                    out_type=t.int64, internal_type=t.int64)
        return t.sparse.to_dense(t.SparseTensor(*ids))
    ids = tf_run(reference)
    np.testing.assert_array_equal(got.reshape(-1, 4), weights[ids])


def test_scattered_embedding_lookup_is_consistent_and_checks_partitions():
    weights = np.linspace(-1, 1, 10).astype(np.float32)
    emb = slim.scattered_embedding_lookup(_partitioned(weights, 4), tf.constant([3, 3, 8]), 6)
    with tf.Session() as sess:
        got = sess.run(emb)
    np.testing.assert_array_equal(got[0], got[1])  # equal values embed equally
    assert not np.array_equal(got[0], got[2])
    assert np.isin(got, weights).all()
    with pytest.raises(ValueError, match="Tensor 0 in params has size 2, expected 3"):
        slim.scattered_embedding_lookup([tf.zeros([2]), tf.zeros([3])], tf.constant([1]), 2)
    with pytest.raises(ValueError, match="Dimension must be >0"):
        slim.scattered_embedding_lookup(tf.zeros([4]), tf.constant([1]), 0)
    with pytest.raises(ValueError, match="You must specify dimension"):
        slim.scattered_embedding_lookup(tf.zeros([4]), tf.constant([1]), None)


def test_scattered_embedding_lookup_sparse_combines_rows():
    params = tf.constant(np.linspace(0, 2, 9).astype(np.float32))
    sp = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant(["a", "b", "a"]), [3, 2])
    dense = slim.scattered_embedding_lookup(params, tf.constant(["a", "b", "6ZxWzWOHxZ"]), 3)
    combined = {c: slim.scattered_embedding_lookup_sparse(params, sp, 3, combiner=c)
                for c in ("sum", "mean", "sqrtn")}
    with tf.Session() as sess:
        a, b, empty = sess.run(dense)
        got = sess.run(combined)
    np.testing.assert_allclose(got["sum"], [a + b, empty, a], rtol=1e-6)
    np.testing.assert_allclose(got["mean"], [(a + b) / 2, empty, a], rtol=1e-6)
    np.testing.assert_allclose(got["sqrtn"], [(a + b) / np.sqrt(2), empty, a], rtol=1e-6)
    with pytest.raises(TypeError, match="sparse_values must be SparseTensor"):
        slim.scattered_embedding_lookup_sparse(params, tf.constant([1]), 3, combiner="sum")
    with pytest.raises(ValueError, match="Combiner must be one of"):
        slim.scattered_embedding_lookup_sparse(params, sp, 3, combiner="max")


def test_slim_namespace_keeps_framework_utilities_out():
    assert hasattr(slim, "arg_scope") and hasattr(slim, "model_variable")
    assert not hasattr(slim, "py_func") and not hasattr(slim, "smart_cond")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        slim.model_analyzer.analyze_vars([], print_info=False)
    assert out.getvalue() == ""


def test_embedding_lookup_sparse_with_distributed_aggregation_matches_tf():
    table = np.arange(24, dtype=np.float32).reshape(6, 4) / 7 - 1
    indices, ids, weights = [[0, 0], [0, 1], [2, 0], [2, 1]], [1, 5, 0, 1], [1.0, 2.0, 0.5, 3.0]
    shape = [3, 2]
    combos = [("sum", True, None), ("mean", True, 1.5), ("sqrtn", False, None),
              ("mean", False, None)]

    def build(t, lookup):
        params = [t.constant(p) for p in np.array_split(table, 2)]
        sp_ids = t.SparseTensor(indices, t.constant(ids, t.int64), shape)
        sp_w = t.SparseTensor(indices, t.constant(weights), shape)
        return [lookup(params, sp_ids, sp_w if weighted else None, partition_strategy="div",
                       combiner=c, max_norm=m) for c, weighted, m in combos]
    with tf.Session() as sess:
        got = sess.run(build(tf, slim.embedding_lookup_sparse_with_distributed_aggregation))
    want = tf_run(lambda t: build(t, t.nn.embedding_lookup_sparse))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_allclose(got[0][2], 0.5 * table[0] + 3.0 * table[1], rtol=1e-6)
    sp = tf.SparseTensor(indices, tf.constant(ids, tf.int64), shape)
    with pytest.raises(ValueError, match="combiner must be one of"):
        slim.embedding_lookup_sparse_with_distributed_aggregation(table, sp, None, combiner="x")
    with pytest.raises(TypeError, match="sp_ids must be SparseTensor"):
        slim.embedding_lookup_sparse_with_distributed_aggregation(table, ids, None)
    with pytest.raises(TypeError, match="sp_weights must be either None or SparseTensor"):
        slim.embedding_lookup_sparse_with_distributed_aggregation(table, sp, weights)


def test_scattered_embedding_lookup_gradient_counts_each_weight_use():
    weights = tf.constant(np.arange(11, dtype=np.float32))  # a weight's value is its index
    emb = slim.scattered_embedding_lookup(weights, tf.constant([[2, 9], [2, 40]]), 5)
    grad = tf.gradients(tf.reduce_sum(emb * 3.0), weights)[0]
    with tf.Session() as sess:
        ids, g = sess.run([emb, tf.convert_to_tensor(grad)])
    np.testing.assert_allclose(g, 3.0 * np.bincount(ids.astype(int).ravel(), minlength=11))
