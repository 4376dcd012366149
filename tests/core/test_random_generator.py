"""tf.random.Generator, the stateful random ops and the index shuffles (core/random_generator.py,
core/ops/stateful_random_ops.py, core/ops/stateful_random_shuffle_ops.py).

Without TensorFlow: every draw rebuilt from the plain stateless streams (already TF's to the bit)
at the key and counter of the state read, the state arithmetic (256 counter steps per output,
carries, wrap-around), split / make_seeds / reset, statistics that can fail, atomic updates under
threads, the shuffles against a scalar rewrite of TF's cipher and Fisher-Yates, and the errors.
With TensorFlow 2.21 installed: the same calls side by side (values and the state after every
call) over many seeds, and the shuffles over many seeds, sizes and dtypes.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from minitf.opdef import NOT_DIFFERENTIABLE, registered
from minitf.ops import stateless_random_ops as streams
from minitf.ops.stateless_random_extra_ops import binomial_samples

from .op_cases.stateful_random_ops import simon_index_shuffle

M64 = (1 << 64) - 1


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _key_counter(state):
    words = np.asarray(state, np.int64).view(np.uint64)
    return int(words[2]), int(words[0]) | int(words[1]) << 64


def _advanced(state, outputs):
    """The state after ``outputs`` outputs: the 128-bit counter + 256 * outputs mod 2**64."""
    key, counter = _key_counter(state)
    counter = (counter + (outputs * 256 & M64)) % (1 << 128)
    return np.array([counter & M64, counter >> 64, key], np.uint64).view(np.int64)


def _state(words):
    return np.array([w & M64 for w in words], np.uint64).view(np.int64)


def _session_with(gen):
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess


# -- construction ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,want", [
    # -1: Python's >> keeps the sign, so every word is -1, as in TF.
    (0, [0, 0, 0]), (1234, [1234, 0, 0]), (2**64 + 5, [5, 1, 0]), (-1, [M64, M64, M64]),
    (2**130 + 2**64 * 3 + 7, [7, 3, 4]), ([11, 22], [0, 11, 22]), ([1, 2, 3, 4], [1, 2, 3]),
    (np.array([2**64 - 1], np.uint64), [0, 0, M64]),
])
def test_from_seed_state_is_tfs_layout(seed, want):
    gen = tf.random.Generator.from_seed(seed)
    assert gen.state.name == "random_generator/StateVar:0" and gen.state.dtype == tf.int64
    assert gen.algorithm == 1 and not gen.state.trainable
    assert gen.state in tf.global_variables()
    with _session_with(gen) as sess:
        np.testing.assert_array_equal(sess.run(gen.state), _state(want))
        assert sess.run(gen.key) == _state(want)[2]


def test_other_constructors():
    a = tf.random.Generator.from_key_counter(key=9, counter=[4, 2**64 - 1], alg="philox")
    b = tf.random.Generator.from_state([1, 2, 3], alg=tf.random.Algorithm.PHILOX)
    var = tf.Variable(np.array([7, 0, 5], np.int64))
    c = tf.random.Generator.from_state(var, alg=1)  # the variable itself is the state
    d = tf.random.Generator(copy_from=b)
    e = tf.random.Generator.from_seed(3, alg="auto_select")
    assert c.state is var and e.algorithm == 3
    assert d.state.name == "random_generator_2/StateVar:0"
    x = c.normal([2])
    with tf.Session() as sess:
        sess.run(b.state.initializer)  # d's initial value reads b's state
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(a.state), _state([4, 2**64 - 1, 9]))
        np.testing.assert_array_equal(sess.run(d.state), [1, 2, 3])
        sess.run(x)
        np.testing.assert_array_equal(sess.run(var), [7 + 512, 0, 5])


def test_non_deterministic_state_and_the_global_generator():
    gen = tf.random.Generator.from_non_deterministic_state()
    assert [op.type for op in tf.get_default_graph().get_operations()].count(
        "NonDeterministicInts") == 1
    states = []
    for _ in range(2):
        with _session_with(gen) as sess:
            states.append(sess.run(gen.state))
    assert states[0].shape == (3,) and not np.array_equal(states[0], states[1])
    mine = tf.random.Generator.from_seed(5)
    old = tf.random.get_global_generator()
    try:
        tf.random.set_global_generator(mine)
        assert tf.random.get_global_generator() is mine
        assert tf.random.experimental.get_global_generator() is mine
    finally:
        tf.random.set_global_generator(old)
    assert tf.random.experimental.Generator is tf.random.Generator


# -- draws: the stateless streams at the state read ---------------------------------------------


def _draw_cases():
    f16, f32, f64 = (np.dtype(t) for t in ("float16", "float32", "float64"))
    return [
        ("normal f32", lambda g: g.normal([3, 5], mean=1.5, stddev=2.0), 15,
         lambda k, c: streams.normal(k, c, 15, tf.float32).reshape(3, 5) * f32.type(2)
         + f32.type(1.5)),
        ("normal f64", lambda g: g.normal([7], dtype=tf.float64), 7,
         lambda k, c: streams.normal(k, c, 7, tf.float64) * 1.0 + 0.0),
        ("normal f16", lambda g: g.normal([6], dtype=tf.float16), 6,
         lambda k, c: streams.normal(k, c, 6, tf.float16) * f16.type(1) + f16.type(0)),
        ("uniform f32", lambda g: g.uniform([9], minval=-2.0, maxval=3.0), 9,
         lambda k, c: streams.uniform(k, c, 9, tf.float32) * (f32.type(3) - f32.type(-2))
         + f32.type(-2)),
        ("uniform f64", lambda g: g.uniform([4], dtype=tf.float64), 4,
         lambda k, c: streams.uniform(k, c, 4, tf.float64) * 1.0 + 0.0),
        ("uniform int32", lambda g: g.uniform([11], minval=-5, maxval=1000, dtype=tf.int32), 11,
         lambda k, c: streams.uniform_int(k, c, 11, -5, 1000, tf.int32)),
        ("uniform int64", lambda g: g.uniform([5], -3, 2**40, dtype=tf.int64), 5,
         lambda k, c: streams.uniform_int(k, c, 5, -3, 2**40, tf.int64)),
        ("full int64", lambda g: g.uniform_full_int([6], dtype=tf.int64), 6,
         lambda k, c: streams.uniform_full_int(k, c, 6, tf.int64)),
        ("full uint32", lambda g: g.uniform([5], minval=None, maxval=None, dtype=tf.uint32), 5,
         lambda k, c: streams.uniform_full_int(k, c, 5, tf.uint32)),
        ("truncated f32", lambda g: g.truncated_normal([10], stddev=0.5), 10,
         lambda k, c: streams.truncated_normal(k, c, 10, tf.float32) * f32.type(0.5)
         + f32.type(0)),
        ("truncated f64", lambda g: g.truncated_normal([3], dtype=tf.float64), 3,
         lambda k, c: streams.truncated_normal(k, c, 3, tf.float64) * 1.0 + 0.0),
        ("scalar", lambda g: g.normal([]), 1,
         lambda k, c: streams.normal(k, c, 1, tf.float32).reshape(()) * f32.type(1)
         + f32.type(0)),
        ("empty", lambda g: g.uniform([0, 3]), 0, lambda k, c: np.zeros((0, 3), f32)),
    ]


def test_draws_are_the_stateless_streams_and_advance_the_state():
    # A counter one step below a 64-bit carry, so later draws carry into the high word.
    gen = tf.random.Generator.from_state(_state([2**64 - 300, 6, 0xDEADBEEF]), alg="philox")
    cases = _draw_cases()
    draws = [make(gen) for _, make, _, _ in cases]
    with _session_with(gen) as sess:
        for (what, _, n, ref), draw in zip(cases, draws):
            before = sess.run(gen.state)
            got = sess.run(draw)
            want = ref(*_key_counter(before))
            assert got.dtype == want.dtype and got.shape == want.shape, what
            np.testing.assert_array_equal(got, want, err_msg=what)
            np.testing.assert_array_equal(sess.run(gen.state), _advanced(before, n),
                                          err_msg=what)
        assert sess.run(gen.state)[1] == 7  # the carry happened


def test_skip_returns_the_old_state_and_advances_256_per_output():
    gen = tf.random.Generator.from_state(_state([M64 - 255, M64, 42]), alg=1)
    steps = [gen.skip(1), gen.skip(0), gen.skip(2**62 + 3), gen.skip(-1)]
    raw = registered()["RngReadAndSkip"](gen.state, 3, np.uint64(5))  # AUTO_SELECT is Philox
    assert steps[0].shape.as_list() == [3] and steps[0].dtype == tf.int64
    with _session_with(gen) as sess:
        state = sess.run(gen.state)
        for delta, op in zip([1, 0, 2**62 + 3, 2**64 - 1, 5], steps + [raw]):
            np.testing.assert_array_equal(sess.run(op), state)
            state = _advanced(state, delta)
            np.testing.assert_array_equal(sess.run(gen.state), state)
    # The 128-bit counter wrapped around to 0 on the first skip.
    assert _advanced(_state([M64 - 255, M64, 42]), 1).tolist() == [0, 0, 42]


def test_raw_stateful_samplers_are_the_stateless_streams():
    ops = registered()
    var = tf.Variable(_state([123, 2**63, 77]))
    shape = tf.constant([2, 3], tf.int64)
    runs = [
        (ops["StatefulUniform"](var, np.int64(1), shape, dtype=tf.float64),
         lambda k, c: streams.uniform(k, c, 6, tf.float64)),
        (ops["StatefulStandardNormalV2"](var, np.int64(3), shape),
         lambda k, c: streams.normal(k, c, 6, tf.float32)),
        (ops["StatefulTruncatedNormal"](var, np.int64(1), shape, dtype=tf.float16),
         lambda k, c: streams.truncated_normal(k, c, 6, tf.float16)),
        (ops["StatefulUniformFullInt"](var, np.int64(1), shape, dtype=tf.int32),
         lambda k, c: streams.uniform_full_int(k, c, 6, tf.int32)),
        (ops["StatefulUniformInt"](var, np.int64(1), shape, np.int64(-3), np.int64(100)),
         lambda k, c: streams.uniform_int(k, c, 6, -3, 100, tf.int64)),
    ]
    empty = ops["StatefulUniform"](var, np.int64(1), tf.constant([0], tf.int32))
    for out, _ in runs:
        assert out.shape.as_list() == [2, 3] and ops[out.op.type].grad is NOT_DIFFERENTIABLE
        assert out.op.get_attr("shape_dtype") == tf.int64
    with _session_with(var) as sess:
        for out, ref in runs:
            before = sess.run(var)
            np.testing.assert_array_equal(sess.run(out), ref(*_key_counter(before)).reshape(2, 3))
            np.testing.assert_array_equal(sess.run(var), _advanced(before, 6))
        before = sess.run(var)
        assert sess.run(empty).shape == (0,)
        np.testing.assert_array_equal(sess.run(var), before)


def test_binomial_advances_by_tfs_reservation_and_samples():
    gen = tf.random.Generator.from_seed(77)
    counts, probs = np.array([10.0, 200.0], np.float32), np.array([0.3, 0.9], np.float32)
    b = gen.binomial([3, 2], counts=counts, probs=probs)
    empty = gen.binomial([0, 2], counts=counts, probs=probs, dtype=tf.float64)
    assert b.op.type == "StatefulRandomBinomial" and b.dtype == tf.int32
    with _session_with(gen) as sess:
        before = sess.run(gen.state)
        got = sess.run(b)
        want = binomial_samples(*_key_counter(before), (3, 2), counts, probs, np.int32)
        np.testing.assert_array_equal(got, want)
        # TF reserves num_batches * 2 * 100 * (samples_per_batch + 3) / 4 outputs.
        np.testing.assert_array_equal(sess.run(gen.state), _advanced(before, 2 * 200 * 6 // 4))
        before = sess.run(gen.state)
        assert sess.run(empty).shape == (0, 2)
        np.testing.assert_array_equal(sess.run(gen.state), _advanced(before, 2 * 200 * 3 // 4))


def test_make_seeds_split_and_resets():
    gen = tf.random.Generator.from_seed(31)
    kids = gen.split(3)
    seeds = gen.make_seeds(4)
    kid_draw = kids[1].uniform_full_int([2], dtype=tf.int64)
    reset_seed = gen.reset_from_seed([5, 6])
    reset_kc = gen.reset_from_key_counter(8, [1, 2])
    reset = gen.reset([2**64 - 1, 0, 3])
    assert seeds.shape.as_list() == [2, 4] and seeds.dtype == tf.int64
    assert [k.state.name for k in kids] == [f"random_generator_{i}/StateVar:0" for i in (1, 2, 3)]
    with tf.Session() as sess:
        sess.run(gen.state.initializer)
        s0 = sess.run(gen.state)
        # The children's initial states draw their keys from the parent (one draw for all).
        sess.run([k.state.initializer for k in kids])
        keys = streams.uniform_full_int(*_key_counter(s0), 3, tf.int64)
        for kid, k in zip(kids, keys):
            np.testing.assert_array_equal(sess.run(kid.state), [0, 0, k])
        s1 = _advanced(s0, 3)
        np.testing.assert_array_equal(sess.run(gen.state), s1)
        got = sess.run(seeds)
        np.testing.assert_array_equal(got[0], streams.uniform_full_int(*_key_counter(s1), 4,
                                                                       tf.int64))
        np.testing.assert_array_equal(got[1], np.zeros(4))
        np.testing.assert_array_equal(sess.run(kid_draw),
                                      streams.uniform_full_int(int(keys[1]) & M64, 0, 2,
                                                               tf.int64))
        np.testing.assert_array_equal(sess.run(kids[1].state), [512, 0, keys[1]])
        np.testing.assert_array_equal(sess.run(reset_seed), [0, 5, 6])
        np.testing.assert_array_equal(sess.run(reset_kc), [1, 2, 8])
        np.testing.assert_array_equal(sess.run(reset), [-1, 0, 3])


# -- statistics that can fail ---------------------------------------------------------------------


def test_statistics():
    gen = tf.random.Generator.from_seed(2024)
    n = 20000
    normal = gen.normal([n], mean=3.0, stddev=2.0, dtype=tf.float64)
    uni = gen.uniform([n], minval=-1.0, maxval=1.0)
    trunc = gen.truncated_normal([n])
    ints = gen.uniform([n], maxval=10, dtype=tf.int64)
    binom = gen.binomial([n], counts=50.0, probs=0.2)
    with _session_with(gen) as sess:
        x, u, t, k, b = sess.run([normal, uni, trunc, ints, binom])
    se = 2.0 / np.sqrt(n)
    assert abs(x.mean() - 3.0) < 5 * se and abs(x.std() - 2.0) < 0.05
    assert u.min() >= -1 and u.max() < 1 and abs(u.mean()) < 5 * 0.58 / np.sqrt(n)
    assert np.abs(t).max() < 2 and abs(t.std() - 0.8796) < 0.02  # truncated at 2 stddevs
    counts = np.bincount(k, minlength=10)
    chi2 = ((counts - n / 10) ** 2 / (n / 10)).sum()
    assert counts.size == 10 and chi2 < 40  # 9 degrees of freedom: P(chi2 > 40) < 1e-5
    assert abs(b.mean() - 10.0) < 5 * np.sqrt(8.0 / n) and abs(b.var() - 8.0) < 0.6


def test_concurrent_draws_are_atomic():
    """Threads drawing from one generator each get their own stretch: every draw's state read
    is distinct and the final state has advanced by all of them."""
    gen = tf.random.Generator.from_seed(9)
    draw = gen.skip(3)
    results = []
    with _session_with(gen) as sess:
        def worker():
            for _ in range(50):
                results.append(sess.run(draw)[0])
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(results) == [9 + 768 * i for i in range(200)]
        assert sess.run(gen.state)[0] == 9 + 768 * 200


# -- errors ---------------------------------------------------------------------------------------


def test_errors():
    gen = tf.random.Generator.from_seed(1)
    x = gen.normal([2])
    with tf.Session() as sess:
        with pytest.raises(NotFoundError, match="random_generator/StateVar"):
            sess.run(x)
    with pytest.raises(ValueError, match="unsupported value 7"):
        tf.random.Generator.from_seed(1, alg=7)
    with pytest.raises(ValueError, match="are incompatible"):
        tf.random.Generator.from_state([1, 2], alg="philox")
    with pytest.raises(ValueError, match="both `None` or both non-`None`"):
        gen.uniform([2], maxval=None, dtype=tf.int32)
    with pytest.raises(TypeError, match="mutable tensor|does not match"):
        registered()["RngReadAndSkip"](tf.constant([1, 2, 3], tf.int64), 1, np.uint64(1))
    with pytest.raises(TypeError, match="int64"):
        registered()["RngReadAndSkip"](tf.Variable([1, 2, 3]), 1, np.uint64(1))
    with pytest.raises(TypeError, match="'dtype'"):
        registered()["StatefulUniform"](gen.state, np.int64(1), [2], dtype=tf.int32)
    with pytest.raises(InvalidArgumentError, match="rank 0"):
        registered()["RngReadAndSkip"](gen.state, [1, 1], np.uint64(1))
    short = tf.Variable(np.array([1, 2], np.int64))
    three = tf.random.Generator.from_seed(4, alg="threefry")  # TF's CPU kernels refuse it
    bad_alg = registered()["StatefulUniform"](gen.state, np.int64(5), [2])
    binom_auto = registered()["StatefulRandomBinomial"](gen.state, np.int64(3), [2], 1.0, 0.5)
    int_t = gen.binomial([2], counts=[3, 4], probs=[1, 0])
    bad_tail = gen.binomial([3], counts=[3.0, 4.0], probs=[0.5])
    bad_bounds = gen.uniform([2], minval=5, maxval=5, dtype=tf.int32)
    with _session_with(gen) as sess:
        for fetch, err, msg, used in [
                (registered()["RngReadAndSkip"](short, 1, np.uint64(1)), InvalidArgumentError,
                 "size of state must be at least 3; got 2", 0),
                (three.normal([2]), UnimplementedError, "ThreeFry", 0),
                (bad_alg, InvalidArgumentError, "Unsupported algorithm id: 5", 0),
                (binom_auto, InvalidArgumentError, "Unsupported algorithm id: 3", 0),
                (int_t, InvalidArgumentError, "No OpKernel", 0),
                (bad_tail, InvalidArgumentError, "must end with broadcasted shape", 0),
                # The read-and-skip runs before the stateless op refuses (TF's order too).
                (bad_bounds, InvalidArgumentError, "Need minval < maxval, got 5 >= 5", 2)]:
            before = sess.run(gen.state)
            with pytest.raises(err, match=msg):
                sess.run(fetch)
            np.testing.assert_array_equal(sess.run(gen.state), _advanced(before, used))


def test_not_differentiable():
    gen = tf.random.Generator.from_seed(1)
    mean = tf.constant(1.0)
    y = gen.normal([3], mean=mean)
    assert tf.gradients(y, mean)[0] is not None  # through the AddV2, not the sampler
    for t in ("RngReadAndSkip", "StatefulUniform", "StatefulUniformInt",
              "StatefulUniformFullInt", "StatefulStandardNormalV2", "StatefulTruncatedNormal",
              "StatefulRandomBinomial", "NonDeterministicInts", "RandomIndexShuffle",
              "StatelessShuffle"):
        assert registered()[t].grad is NOT_DIFFERENTIABLE
        assert registered()[t].stateful == (t not in ("RandomIndexShuffle", "StatelessShuffle"))


# -- index shuffles -------------------------------------------------------------------------------


@pytest.mark.parametrize("max_index", [0, 1, 2, 9, 100, 65535, 65536, 70001])
def test_index_shuffle_is_a_permutation_and_matches_the_reference(max_index):
    rng = np.random.default_rng(max_index)
    seeds = rng.integers(-2**31, 2**31, size=(3, 2))
    outs = [tf.random.experimental.index_shuffle(tf.range(max_index + 1), s, max_index)
            for s in seeds]
    with tf.Session() as sess:
        got = sess.run(outs)
    for s, g in zip(seeds, got):
        assert g.dtype == np.int32
        if max_index < 65536:  # the last block of 16 bits cannot hold 65536 itself (TF's too)
            assert sorted(g.tolist()) == list(range(max_index + 1))
        key = [498247692, int(s[0]), int(s[1])]
        picks = rng.integers(0, max_index + 1, size=20)
        assert [int(g[i]) for i in picks] == [simon_index_shuffle(int(i), key, max_index)
                                              for i in picks]


def test_index_shuffle_batching_dtypes_and_errors():
    seeds = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 2**35 + 9]], np.int64)
    batched = tf.random_index_shuffle(np.array([0, 1, 2], np.uint64), seeds.astype(np.uint64),
                                      np.uint64(2**62 + 9))
    scalar = tf.random.experimental.index_shuffle(3, [7, 8], 10)
    raw = tf.random_index_shuffle(np.int64(5), [1, 2, 3], np.int64(9), rounds=6)
    assert batched.shape.as_list() == [3] and scalar.shape.as_list() == []
    with tf.Session() as sess:
        b, s, r = sess.run([batched, scalar, raw])
    assert b.dtype == np.uint64 and [int(v) for v in b] == [
        simon_index_shuffle(i, seed, 2**62 + 9) for i, seed in zip(range(3), seeds.tolist())]
    assert s == simon_index_shuffle(3, [498247692, 7, 8], 10)
    assert r == simon_index_shuffle(5, [1, 2, 3], 9, rounds=6)
    with pytest.raises(InvalidArgumentError, match=r"Seed must have shape \[3\] or \[n, 3\]"):
        tf.random_index_shuffle(1, [1, 2], 3)
    # TF's index_shuffle pads a [n, 2] seed along its first axis, so only [2] seeds work (TF's
    # graph construction refuses [n, 2] too).
    with pytest.raises(InvalidArgumentError, match=r"but got \[4, 2\]"):
        tf.random.experimental.index_shuffle([0, 1, 2], [[1, 2], [3, 4], [5, 6]], 5)
    with pytest.raises(ValueError, match="even number >= 4"):
        tf.random_index_shuffle(1, [1, 2, 3], 3, rounds=5)
    with pytest.raises(TypeError, match="allowed values"):
        tf.random_index_shuffle(1.0, [1, 2, 3], 3.0)
    ph = tf.placeholder(tf.int32, None)
    with tf.Session() as sess:
        for feed, msg in [(-1, "index must be >= 0 but was -1"),
                          (4, "max_index must be >= index, but 3 < 4")]:
            with pytest.raises(InvalidArgumentError, match=msg):
                sess.run(tf.random_index_shuffle(ph, [1, 2, 3], 3), {ph: feed})
        with pytest.raises(InvalidArgumentError, match=r"matrix of size \[4, 3\] but got"):
            sess.run(tf.random_index_shuffle(tf.range(4), ph, 3), {ph: [[1, 2, 3]] * 2})


def _fisher_yates_perm(key, counter, n):
    words = streams.philox_stream(key, counter, n)
    perm = list(range(n))
    for i in range(n - 1):
        j = i + int(words[i]) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@pytest.mark.parametrize("n", [0, 1, 2, 5, 33, 257])
def test_stateless_shuffle_permutes_rows(n):
    value = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    seed = [n, 99]
    out = tf.random.experimental.stateless_shuffle(value, seed)
    flat = tf.random.experimental.stateless_shuffle(value[:, 0], seed)
    assert out.op.type == "StatelessShuffle" and out.shape.as_list() == [n, 3]
    with tf.Session() as sess:
        got, got_flat = sess.run([out, flat])
    key, counter = streams.key_counter_from_seed(np.array(seed))
    perm = _fisher_yates_perm(key, counter, n)
    np.testing.assert_array_equal(got, value[perm])
    np.testing.assert_array_equal(got_flat, value[perm, 0])
    assert sorted(got[:, 0].tolist()) == value[:, 0].tolist()


def test_stateless_shuffle_passes_scalars_and_strings():
    with tf.Session() as sess:
        assert sess.run(tf.random.experimental.stateless_shuffle(5, [1, 2])) == 5
        words = sess.run(tf.random.experimental.stateless_shuffle(["a", "b", "c", "d"], [1, 2]))
    assert sorted(words.tolist()) == [b"a", b"b", b"c", b"d"]
    with pytest.raises(UnimplementedError, match="ThreeFry"):
        tf.random.experimental.stateless_shuffle([1, 2], [1, 2], alg="threefry")


# -- side by side with TensorFlow 2.21 ----------------------------------------------------------


def _tf_modules():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    import tensorflow as real

    return tf1, real


def _run_generator_script(lib, session_fn, seed):
    """Builds the same calls with ``lib`` (minitf or TF) and runs them one at a time, reading
    the state after each; returns the values."""
    gen = lib.random.Generator.from_seed(seed)
    calls = [
        gen.normal([3, 4]), gen.normal([5], mean=2.0, stddev=0.5, dtype=lib.float64),
        gen.normal([3], dtype=lib.float16), gen.uniform([7], minval=-3.0, maxval=4.0),
        gen.uniform([3], dtype=lib.float64), gen.uniform([9], maxval=17, dtype=lib.int32),
        gen.uniform([4], minval=-2**40, maxval=2**41, dtype=lib.int64),
        gen.uniform([3], minval=5, maxval=2**33, dtype=lib.int64),
        gen.uniform_full_int([5]), gen.uniform_full_int([3], dtype=lib.int32),
        gen.uniform([2], minval=None, maxval=None, dtype=lib.uint32),
        gen.truncated_normal([9], mean=1.0, stddev=3.0),
        gen.truncated_normal([4], dtype=lib.float64), gen.skip(1000), gen.skip(0),
        gen.binomial([2, 3], counts=[4.0, 40.0, 400.0], probs=[0.25, 0.5, 0.97]),
        gen.binomial([4, 1, 3], counts=[[20.0]], probs=[0.5, 0.1, 0.9], dtype=lib.float32),
        gen.make_seeds(3),
    ]
    state = gen.state.read_value()
    out = []
    with session_fn() as sess:
        sess.run(gen.state.initializer)
        for c in calls:
            out.append(sess.run(c))
            out.append(sess.run(state))
        if lib is tf:
            kids = gen.split(2)
            sess.run([k.state.initializer for k in kids])  # one draw from the parent for both
        else:
            # TF 2.21's split fails in graph mode (its variable's initial value reads another
            # variable: NotImplementedError from initialized_value), so TF gets the same keys
            # from the draw split makes, and generators made from them.
            keys = sess.run(gen.uniform_full_int([2], dtype=lib.int64))
            kids = [lib.random.Generator.from_state([0, 0, k], alg="philox") for k in keys]
            sess.run([k.state.initializer for k in kids])
        out.append(sess.run(state))
        for c in [k.normal([4]) for k in kids] + [gen.normal([2])]:
            out.append(sess.run(c))
            out.append(sess.run(state))
        out.extend(sess.run([k.state.read_value() for k in kids]))
    return out


@pytest.mark.parametrize("seed", [0, 1, 1234, 2**31 - 1, -7, 2**63 + 11, 2**64 * 5 + 3,
                                  2**150 + 77, [3, 4], [1, 2, 3, 4, 5]])
def test_generator_side_by_side_with_tensorflow(seed):
    tf1, real = _tf_modules()
    with tf1.Graph().as_default():
        want = _run_generator_script(real, tf1.Session, seed)
    with tf.Graph().as_default():
        got = _run_generator_script(tf, tf.Session, seed)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, i
        np.testing.assert_array_equal(g, w, err_msg=f"step {i}")


def test_resets_and_constructors_side_by_side_with_tensorflow():
    tf1, real = _tf_modules()

    def script(lib, tf1_graph):
        a = lib.random.Generator.from_key_counter(5, [2**64 - 2, 3], "philox")
        b = lib.random.Generator.from_state([7, 8, 9], "philox")
        c = lib.random.Generator.from_seed(6, alg="auto_select")
        fetches = [a.normal([3]), b.uniform([2]), c.uniform([2], maxval=9, dtype=lib.int64)]
        resets = []
        for fn in (lambda: a.reset_from_seed(99), lambda: b.reset([1, 2, 3]),
                   lambda: c.reset_from_key_counter(4, [5, 6])):
            made = fn()
            # TF's reset* return None: its assign op is the graph's newest.
            resets.append(made if made is not None else tf1_graph.get_operations()[-1])
        after = [a.normal([3]), b.uniform([2]), c.uniform([2], maxval=9, dtype=lib.int64)]
        return fetches, resets, after, [g.state.read_value() for g in (a, b, c)]

    results = []
    for lib, graph_cls, session, init in (
            (real, tf1.Graph, tf1.Session, tf1.global_variables_initializer),
            (tf, tf.Graph, tf.Session, tf.global_variables_initializer)):
        with graph_cls().as_default() as g:
            fetches, resets, after, states = script(lib, g)
            with session() as sess:
                sess.run(init())
                vals = [sess.run(f) for f in fetches] + [sess.run(states)]
                for r in resets:
                    sess.run(r)
                vals += [sess.run(states)] + [sess.run(f) for f in after] + [sess.run(states)]
        results.append(vals)
    want, got = results
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g, w, err_msg=f"step {i}")


def test_raw_stateful_ops_side_by_side_with_tensorflow():
    tf1, real = _tf_modules()
    start = np.array([-5, 2**62, 31337], np.int64)

    def script(lib, handle, ops):
        shape = lib.constant([2, 3], lib.int32)
        alg = lib.constant(1, lib.int64)
        return [
            ops("RngReadAndSkip")(handle, lib.constant(1), lib.constant(7, lib.uint64)),
            ops("StatefulUniform")(handle, alg, shape, dtype=lib.float64),
            ops("StatefulStandardNormalV2")(handle, alg, shape),
            ops("StatefulTruncatedNormal")(handle, alg, shape, dtype=lib.float16),
            ops("StatefulUniformFullInt")(handle, alg, shape, dtype=lib.uint32),
            ops("StatefulUniformInt")(handle, alg, shape, lib.constant(-9, lib.int64),
                                      lib.constant(2**50, lib.int64)),
            ops("StatefulRandomBinomial")(handle, alg, shape, lib.constant([5.0, 50.0, 500.0]),
                                          lib.constant([0.5, 0.2, 0.7]), dtype=lib.int32),
        ]

    def tf_op(name):
        fn = getattr(real.raw_ops, name)
        names = {"RngReadAndSkip": ("resource", "alg", "delta")}.get(
            name, ("resource", "algorithm", "shape", "counts", "probs") if "Binomial" in name
            else ("resource", "algorithm", "shape", "minval", "maxval"))
        return lambda *args, **kw: fn(**dict(zip(names, args)), **kw)

    results = []
    with tf1.Graph().as_default():
        var = real.Variable(start)
        fetches = script(real, var.handle, tf_op)
        read = var.read_value()
        with tf1.Session() as sess:
            sess.run(var.initializer)
            results.append([(sess.run(f), sess.run(read)) for f in fetches])
    with tf.Graph().as_default():
        var = tf.Variable(start)
        fetches = script(tf, var, lambda name: registered()[name])
        with tf.Session() as sess:
            sess.run(var.initializer)
            results.append([(sess.run(f), sess.run(var)) for f in fetches])
    want, got = results
    for i, ((gv, gs), (wv, ws)) in enumerate(zip(got, want)):
        assert gv.dtype == wv.dtype, i
        np.testing.assert_array_equal(gv, wv, err_msg=f"op {i}")
        np.testing.assert_array_equal(gs, ws, err_msg=f"state after op {i}")


def test_index_shuffle_side_by_side_with_tensorflow():
    tf1, real = _tf_modules()
    rng = np.random.default_rng(7)
    cases = []
    for dtype in (np.int32, np.int64, np.uint32, np.uint64):
        top = np.iinfo(dtype).max if dtype in (np.uint32, np.uint64) else 2**31 - 1
        for max_index in (0, 1, 3, 15, 255, 1000, 65535, 65536, 2**20 + 3, 2**31 - 2,
                          2**33 + 1, 2**50, 2**62 + 1, 2**63 + 5, 2**64 - 2):
            if max_index > top:
                continue
            for _ in range(3):
                seed = rng.integers(-2**40, 2**40, size=2)
                index = rng.integers(0, max_index, size=12, endpoint=True, dtype=np.uint64)
                cases.append((index.astype(dtype), seed, dtype(max_index)))
    batched = (np.arange(6, dtype=np.int64), rng.integers(-2**40, 2**40, size=(6, 3)),
               np.array([5, 9, 100, 2**40, 7, 6], np.int64))

    def build(lib, mod):
        return [mod.index_shuffle(i, s, m) for i, s, m in cases] + [
            lib.random_index_shuffle(np.arange(30, dtype=np.int64), [11, 12, 13], np.int64(40),
                                     rounds=r) for r in (4, 6, 8)] + [
            lib.random_index_shuffle(*batched), lib.random_index_shuffle(np.int64(3), *batched[1:])]

    with tf1.Graph().as_default():
        fetches = build(real, real.random.experimental)
        with tf1.Session() as sess:
            want = sess.run(fetches)
    with tf.Graph().as_default():
        fetches = build(tf, tf.random.experimental)
        with tf.Session() as sess:
            got = sess.run(fetches)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype, i
        np.testing.assert_array_equal(g, w, err_msg=f"case {i}")


def test_stateless_shuffle_side_by_side_with_tensorflow():
    tf1, real = _tf_modules()
    rng = np.random.default_rng(3)
    cases = []
    for n in (0, 1, 2, 3, 7, 64, 1000):
        for _ in range(3):
            cases.append((np.arange(n, dtype=np.int64), rng.integers(-2**31, 2**31, size=2)))
    cases.append((np.arange(40, dtype=np.float32).reshape(10, 2, 2), [8, 9]))
    cases.append((np.array([b"x", b"y", b"z"]), np.array([2**40, -3], np.int64)))

    def build(mod):
        return [mod.stateless_shuffle(v, s) for v, s in cases] + [
            mod.stateless_shuffle(np.arange(9), [1, 2], alg="philox")]

    with tf1.Graph().as_default():
        fetches = build(real.random.experimental)
        with tf1.Session() as sess:
            want = sess.run(fetches)
    with tf.Graph().as_default():
        fetches = build(tf.random.experimental)
        with tf.Session() as sess:
            got = sess.run(fetches)
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g, w, err_msg=f"case {i}")
