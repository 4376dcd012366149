"""The candidate samplers and compute_accidental_hits (tf.nn.* and tf.random.*): the draws'
range and uniqueness, the expected counts against TensorFlow's (they are deterministic given
the classes; the random streams are not TF's), the learned sampler's counts over runs, errors
with TF's classes and words, and a sampler graph that TensorFlow imports and runs."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from .side_by_side import run, tf1_or_skip, tf_run

SAMPLERS = ["uniform_candidate_sampler", "log_uniform_candidate_sampler",
            "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
            "all_candidate_sampler"]


def every_class(n):
    return np.arange(n, dtype=np.int64).reshape(-1, 1)


# (name, kwargs after true_classes and num_true, number of classes)
DETERMINISTIC = [
    ("uniform_candidate_sampler", {"num_sampled": 6, "unique": False, "range_max": 7}, 7),
    ("log_uniform_candidate_sampler", {"num_sampled": 5, "unique": False, "range_max": 9}, 9),
    ("fixed_unigram_candidate_sampler",
     {"num_sampled": 4, "unique": False, "range_max": 5, "unigrams": [1, 2, 3, 4, 5],
      "distortion": 0.5}, 5),
    ("fixed_unigram_candidate_sampler",
     {"num_sampled": 4, "unique": False, "range_max": 7, "unigrams": [1, 2, 3, 4, 5],
      "num_reserved_ids": 2}, 7),
    # shard 1 of 2 with 3 reserved ids: id 1 reserved, then unigrams numbered from 1 (TF's
    # numbering), so this shard keeps 1, 3, 5
    ("fixed_unigram_candidate_sampler",
     {"num_sampled": 3, "unique": False, "range_max": 4, "unigrams": [1, 2, 3, 4, 5],
      "num_reserved_ids": 3, "num_shards": 2, "shard": 1}, 4),
    ("all_candidate_sampler", {"num_sampled": 4, "unique": True}, 4),
]


@pytest.mark.parametrize("name, kwargs, n", DETERMINISTIC)
def test_expected_counts_match_tensorflow(name, kwargs, n):
    """With every class as a true class, TF's true_expected_count is its table of expected
    counts: ours must equal it, and each sampled id's count must be its entry."""
    table = tf_run(lambda tf1: getattr(tf1.nn, name)(every_class(n), 1, **kwargs, seed=1))[1]
    sampled, true_expected, sampled_expected = run(
        getattr(tf.nn, name)(every_class(n), 1, **kwargs, seed=1))
    np.testing.assert_allclose(true_expected, table, rtol=1e-6)
    np.testing.assert_allclose(sampled_expected, table[sampled, 0], rtol=1e-6)
    assert ((sampled >= 0) & (sampled < n)).all()


def test_fixed_unigram_expected_counts_by_hand(tmp_path):
    """TF 2.21 gave the same: weights w ** distortion after the reserved zeros, expected
    count w / total * num_sampled; a vocabulary file's last column gives the weights."""
    out = run(tf.nn.fixed_unigram_candidate_sampler(
        every_class(7), 1, 4, False, 7, unigrams=[1, 2, 3, 4, 5], num_reserved_ids=2, seed=1))
    np.testing.assert_allclose(out[1][:, 0], np.array([0, 0, 1, 2, 3, 4, 5]) / 15 * 4,
                               rtol=1e-6)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a,1\nb,4\nc,9\nd,16\n")
    out = run(tf.nn.fixed_unigram_candidate_sampler(
        every_class(4), 1, 4, False, 4, vocab_file=str(vocab), distortion=0.5, seed=1))
    np.testing.assert_allclose(out[1][:, 0], [0.4, 0.8, 1.2, 1.6], rtol=1e-6)
    # shard 1 of 2 after one reserved id (shard 0's): lines numbered from 0 keep b and d
    out = run(tf.nn.fixed_unigram_candidate_sampler(
        every_class(2), 1, 4, False, 2, vocab_file=str(vocab), num_reserved_ids=1,
        num_shards=2, shard=1, seed=1))
    np.testing.assert_allclose(out[1][:, 0], [0.8, 3.2], rtol=1e-6)


def test_learned_unigram_counts_grow_over_runs():
    """Counts start at 1 and each run adds the true classes after sampling: over 5 classes
    with true classes 1 and 3, class 1 is expected 5/5, then 2/7 * 5, then 3/9 * 5 times
    (TF 2.21 gave these)."""
    t = np.array([[1], [3]], np.int64)
    want = [1.0, 10 / 7, 15 / 9]
    sampler = tf.nn.learned_unigram_candidate_sampler(t, 1, 5, False, 5, seed=1)
    with tf.Session() as sess:
        got = [sess.run(sampler)[1][0, 0] for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    theirs = tf_run(lambda tf1: tf1.nn.learned_unigram_candidate_sampler(t, 1, 5, False, 5,
                                                                         seed=1), runs=3)
    np.testing.assert_allclose([r[1][0, 0] for r in theirs], want, rtol=1e-5)


@pytest.mark.parametrize("name", SAMPLERS[:4])
def test_unique_draws_are_distinct_and_in_range(name):
    kw = {"unigrams": [1.0] * 8} if name.startswith("fixed") else {}
    t = np.array([[0, 7], [3, 3]], np.int64)
    with tf.Session() as sess:
        op = getattr(tf.random, name)(t, 2, 8, True, 8, seed=4, **kw)
        for _ in range(3):
            sampled, true_expected, sampled_expected = sess.run(op)
            assert sorted(sampled.tolist()) == list(range(8))  # all 8 of 8: a permutation
            assert true_expected.shape == (2, 2) and sampled_expected.shape == (8,)
            assert (true_expected <= 1.0 + 1e-6).all()  # unique: a probability of appearing
    sampled = run(tf.nn.uniform_candidate_sampler(t, 2, 5, True, 100, seed=2))[0]
    assert len(set(sampled.tolist())) == 5 and ((sampled >= 0) & (sampled < 100)).all()


def test_seeds_make_draws_reproducible():
    t = np.zeros((1, 1), np.int64)
    sampler = tf.nn.uniform_candidate_sampler(t, 1, 20, False, 1000, seed=7)
    with tf.Session() as sess:
        first, second = sess.run(sampler)[0], sess.run(sampler)[0]
    with tf.Session() as sess:
        again = sess.run(sampler)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)


def test_tf_random_names_are_the_samplers():
    for name in SAMPLERS:
        assert getattr(tf.random, name) is getattr(tf.nn, name)
    assert not hasattr(tf.random, "compute_accidental_hits")  # tf.nn only, as in TF


TC = np.array([[1], [3]], np.int64)
RUN_ERRORS = [  # (build(lib), class, TF's words)
    (lambda lib: lib.nn.uniform_candidate_sampler(TC, 2, 3, True, 10), "InvalidArgumentError",
     "true_classes must have num_true columns, expected: 1 was: 2"),
    (lambda lib: lib.nn.uniform_candidate_sampler(TC, 1, 30, True, 10),
     "InvalidArgumentError", "Sampler's range is too small"),
    (lambda lib: lib.nn.uniform_candidate_sampler(TC * 4, 1, 3, False, 10),
     "InvalidArgumentError", r"`true_candidate` out of range \[0, 10\), received 12"),
    (lambda lib: lib.nn.all_candidate_sampler(TC * 2, 1, 4, False), "InvalidArgumentError",
     r"out of range \[0, 4\), received 6"),
    (lambda lib: lib.nn.fixed_unigram_candidate_sampler(TC, 1, 4, False, 6, unigrams=[1] * 5),
     "InvalidArgumentError", "range is 6 must be equal to weights size  5"),
    (lambda lib: lib.nn.fixed_unigram_candidate_sampler(TC, 1, 4, False, 5),
     "InvalidArgumentError", "Must provide either vocab_file or unigrams"),
    (lambda lib: lib.nn.fixed_unigram_candidate_sampler(
        TC, 1, 4, False, 5, vocab_file="/nonexistent", unigrams=[1] * 5),
     "InvalidArgumentError", "Must only provide one of vocab_file and unigrams"),
    (lambda lib: lib.nn.fixed_unigram_candidate_sampler(
        TC, 1, 4, False, 5, vocab_file="/nonexistent/vocab.txt"), "NotFoundError",
     "/nonexistent/vocab.txt"),
]


@pytest.mark.parametrize("build, cls, words", RUN_ERRORS)
def test_run_errors_as_tensorflow(build, cls, words):
    with pytest.raises(getattr(errors, cls), match=words):
        run(build(tf))
    tf1 = tf1_or_skip()
    with pytest.raises(getattr(tf1.errors, cls), match=words):
        tf_run(build)


def test_graph_errors():
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.nn.uniform_candidate_sampler(np.array([1], np.int64), 1, 3, False, 10)
    with pytest.raises(ValueError, match="'num_sampled' of 'UniformCandidateSampler' Op passed "
                                         "0 less than minimum 1"):
        tf.nn.uniform_candidate_sampler(TC, 1, 0, False, 10)
    with pytest.raises(ValueError, match="'range_max' .* passed 0 less than minimum 1"):
        tf.nn.learned_unigram_candidate_sampler(TC, 1, 2, False, 0)
    with pytest.raises(ValueError, match="range_max:2147483648 is too large"):
        tf.nn.learned_unigram_candidate_sampler(TC, 1, 2, False, 2**31)


# -- compute_accidental_hits ---------------------------------------------------------------------


def test_compute_accidental_hits():
    """TF 2.21 gave these: rows of the true classes found among the sampled, the sampled
    position (the last, for class 3 sampled twice) and -FLT_MAX."""
    true = np.array([[1, 2], [3, 3], [5, 6]], np.int64)
    sampled = np.array([3, 1, 7, 3], np.int64)
    want = [[0, 1, 1], [1, 3, 3], [np.finfo(np.float32).min] * 3]
    got = run(tf.nn.compute_accidental_hits(true, sampled, 2))
    assert [g.dtype for g in got] == [np.int32, np.int64, np.float32]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    theirs = tf_run(lambda tf1: tf1.nn.compute_accidental_hits(true, sampled, 2))
    for g, w in zip(got, theirs):
        np.testing.assert_array_equal(g, w)
    none = run(tf.nn.compute_accidental_hits(true, np.array([0, 9], np.int64), 2))
    assert [len(v) for v in none] == [0, 0, 0]


def test_compute_accidental_hits_errors():
    two = np.array([[1, 2], [3, 3]], np.int64)
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        tf.nn.compute_accidental_hits(two, np.array([3, 1], np.int64), 3)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.nn.compute_accidental_hits(np.array([1, 2], np.int64), np.array([3], np.int64), 1)
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.nn.compute_accidental_hits(two, two, 2)


def test_sampler_graph_round_trips_through_tensorflow():
    """Samplers and hits built in minitf run in TensorFlow: the deterministic outputs agree."""
    tf1 = tf1_or_skip()
    names = ["fixed:1", "learned:1", "all:0", "hits:0", "hits:1", "hits:2"]
    with tf.Graph().as_default() as ours:
        t = tf.placeholder(tf.int64, [None, 2], name="t")
        tf.nn.fixed_unigram_candidate_sampler(t, 2, 3, False, 7, unigrams=[3, 1, 4, 1, 5, 9],
                                              distortion=0.75, num_reserved_ids=1, seed=3,
                                              name="fixed")
        tf.nn.learned_unigram_candidate_sampler(t, 2, 3, True, 6, name="learned")
        tf.nn.all_candidate_sampler(t, 2, 6, True, name="all")
        tf.nn.compute_accidental_hits(t, tf.constant([5, 0, 2], tf.int64), 2, name="hits")
        feed = {"t:0": np.array([[0, 5], [2, 2]], np.int64)}
        mine = run(names, feed)
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(ours.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(names, feed)
    # the learned sampler draws uniquely: its counts depend on how many draws it took
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if names[i] != "learned:1":
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert mine[1].shape == theirs[1].shape == (2, 2)


# -- tf.random.gamma / tf.random.poisson ---------------------------------------------------------


def test_random_gamma_moments_shapes_and_clamp():
    alpha, beta = np.array([[0.5], [4.0]], np.float32), np.array([1.0, 2.0], np.float32)
    y = tf.random.gamma([5000], alpha, beta=beta, seed=3)
    assert y.shape.as_list() == [5000, 2, 2] and y.dtype == tf.float32
    x = run(y)
    a, b = np.broadcast_arrays(alpha, beta)
    np.testing.assert_allclose(x.mean(0), a / b, rtol=0.1)
    np.testing.assert_allclose(x.var(0), a / b**2, rtol=0.2)
    # alpha 0 draws 0, clamped to the dtype's tiny; a negative alpha gives NaN (TF's)
    edge = run(tf.random.gamma([3], [-1.0, 0.0], dtype=tf.float64, seed=1))
    assert np.isnan(edge[:, 0]).all() and (edge[:, 1] == np.finfo(np.float64).tiny).all()


def test_random_gamma_graph_matches_tensorflow():
    """The same nodes (names and types) as TF's tf.random.gamma builds."""
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        tf1.random.gamma([2, 3], [1.0, 2.0], seed=1)
    with tf.Graph().as_default() as ours:
        y = tf.random.gamma([2, 3], [1.0, 2.0], seed=1)
    assert y.shape.as_list() == [2, 3, 2]
    core = {"RandomGamma", "BroadcastTo", "BroadcastArgs", "RealDiv", "Maximum"}
    assert sorted((o.name, o.type) for o in ours.get_operations() if o.type in core) == \
        sorted((o.name, o.type) for o in g.get_operations() if o.type in core)


def test_random_gamma_gradient():
    """TF's rule: d sample / d alpha by RandomGammaGrad, summed over the sample dims. The
    values for our samples, from TensorFlow's own RandomGammaGrad, and its mean 1 / beta."""
    alpha = tf.constant([[1.5, 6.0]], tf.float64)
    y = tf.random.gamma([4000, 2], alpha, beta=2.0, dtype=tf.float64, seed=5)
    (grad,) = tf.gradients(tf.reduce_sum(y * 3.0), alpha)
    sample_op = y.op.inputs[1].op.inputs[0].op  # Maximum(tiny, RandomGamma / beta)
    assert sample_op.type == "RandomGamma"
    samples, got = run([sample_op.outputs[0], grad])
    assert got.shape == (1, 2)
    np.testing.assert_allclose(got / (4000 * 2 * 3.0 / 2.0), [[1.0, 1.0]], rtol=0.05)
    theirs = tf_run(lambda tf1: tf1.raw_ops.RandomGammaGrad(
        alpha=np.broadcast_to([[[1.5, 6.0]]], samples.shape), sample=samples))
    np.testing.assert_allclose(got, 3.0 / 2.0 * theirs.sum(axis=(0, 1)), rtol=1e-6)


def test_random_gamma_grad_has_no_gradient_and_checks_types():
    from minitf.ops.random_gamma_ops import RANDOM_GAMMA_GRAD

    a = tf.constant([1.0, 2.0])
    with pytest.raises(LookupError):
        tf.gradients(RANDOM_GAMMA_GRAD(a, a), a)
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        RANDOM_GAMMA_GRAD(tf.constant([1]), tf.constant([1]))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.random.gamma([[3]], [1.0])


def test_random_poisson_moments_dtypes_and_errors():
    lam = np.array([0.5, 3.0, 40.0])
    y = tf.random.poisson(lam, [6000], dtype=tf.int32, seed=2)
    assert y.shape.as_list() == [6000, 3] and y.dtype == tf.int32
    assert y.op.type == "RandomPoissonV2" and y.op.name == "random_poisson/RandomPoissonV2"
    x = run(y)
    np.testing.assert_allclose(x.mean(0), lam, rtol=0.1)
    np.testing.assert_allclose(x.var(0), lam, rtol=0.2)
    # a rate <= 0 draws 0 (TF's); the rate defaults to float64 as TF's R attr
    np.testing.assert_array_equal(run(tf.random.poisson([-1.0, 0.0], [4], seed=1)), 0)
    assert tf.random.poisson([1.0], [2]).op.inputs[1].dtype == tf.float64
    with pytest.raises(TypeError, match="'dtype' has DataType bool not in list"):
        tf.random.poisson([1.0], [3], dtype=tf.bool)
    lam_t = tf.constant([2.0])
    with pytest.raises(LookupError):
        tf.gradients(tf.random.poisson(lam_t, [3]), lam_t)
    with pytest.raises(errors.InvalidArgumentError, match="rate must be finite"):
        run(tf.random.poisson([np.inf], [2]))


def test_gamma_and_poisson_round_trip_through_tensorflow():
    """Built in minitf, run in TensorFlow: shapes, dtypes and moments as ours."""
    tf1 = tf1_or_skip()
    with tf.Graph().as_default() as ours:
        a = tf.placeholder(tf.float32, [2], name="a")
        y = tf.random.gamma([3000], a, seed=4, name="g")
        tf.identity(tf.gradients(tf.reduce_sum(y), a)[0], name="dg")
        tf.random.poisson([3.0, 9.0], [3000], dtype=tf.int64, seed=4, name="p")
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(ours.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=g) as sess:
            gv, dg, pv = sess.run(["g/Maximum:0", "dg:0", "p/RandomPoissonV2:0"],
                                  {"a:0": [2.0, 7.0]})
    assert gv.shape == (3000, 2) and pv.shape == (3000, 2) and pv.dtype == np.int64
    np.testing.assert_allclose(gv.mean(0), [2.0, 7.0], rtol=0.1)
    np.testing.assert_allclose(dg, [3000, 3000], rtol=0.1)
    np.testing.assert_allclose(pv.mean(0), [3.0, 9.0], rtol=0.1)


def test_tf1_root_names_of_gamma_and_poisson():
    assert tf.random_gamma is tf.random.gamma and tf.random_poisson is tf.random.poisson
    y = tf.random_gamma([3], [1.0, 2.0], seed=1)
    assert y.shape.as_list() == [3, 2]
    assert "RandomGamma" in [op.type for op in tf.get_default_graph().get_operations()]


def test_fixed_unigram_graph_def_without_the_defaulted_unigrams_attr(tmp_path):
    """SavedModel writers strip attrs at their default (TF's `unigrams` default is []): such a
    GraphDef must import and run from its vocab_file."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a,1\nb,2\nc,3\nd,4\n")
    g = tf.Graph()
    with g.as_default():
        tf.nn.fixed_unigram_candidate_sampler(tf.constant([[0]], tf.int64), 1, 2, True, 4,
                                              vocab_file=str(vocab), seed=1, name="s")
    gd = g.as_graph_def()
    node = next(n for n in gd.node if n.op == "FixedUnigramCandidateSampler")
    if "unigrams" in node.attr:
        del node.attr["unigrams"]
    ours = tf.Graph()
    with ours.as_default():
        tf.import_graph_def(gd, name="")
        expected = tf.Session(graph=ours).run(node.name + ":1")
    np.testing.assert_allclose(expected, [[0.2]], rtol=1e-6)  # TF 2.21 gave this graph 0.2
