"""Plans of one graph share their folded constants, and a signature keeps a bounded number of
output-subset plans (Predict's output_filter), so clients choosing filters cannot grow the
server's memory without bound. TF-free: numpy is the reference."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
import weakref

import numpy as np
import pytest

import minitf as tf
from minitf.export import load_saved_model, save_model
from minitf.plan import Plan
from minitf.serving.servable import SUBSET_PLAN_CACHE, Servable


def _folded_value(plan: Plan, op) -> np.ndarray:
    (slot,) = plan._folded_slots[plan._folded.index(op)]
    return plan._initial[slot]


def test_two_plans_share_one_folded_array():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 4], name="x")
        w = tf.constant(a) * tf.constant(np.float32(2.5))  # Mul(Const, Const): folded
        y1 = x + w
        y2 = x * w
    p1 = Plan.compile(g, [x], [y1])
    p2 = Plan.compile(g, [x], [y2, y1])
    f1, f2 = _folded_value(p1, w.op), _folded_value(p2, w.op)
    assert f1 is f2  # one copy for every plan of the graph
    np.testing.assert_array_equal(f1, a * np.float32(2.5))
    assert not f1.flags.writeable  # shared, so no kernel may write into it
    with pytest.raises(ValueError):
        f1[0, 0] = 1.0
    xv = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(p1.run([xv])[0], xv + a * np.float32(2.5))
    got2, got1 = p2.run([xv])
    np.testing.assert_array_equal(got2, xv * (a * np.float32(2.5)))
    np.testing.assert_array_equal(got1, xv + a * np.float32(2.5))
    # A fetched folded value is the caller's own copy, never the shared array.
    (fw,) = Plan.compile(g, [], [w]).run()
    assert fw is not f1 and fw.flags.writeable
    fw[...] = 0
    np.testing.assert_array_equal(p1.run([xv])[0], xv + a * np.float32(2.5))
    # The shared copy lives as long as the graph, no longer.
    ref = weakref.ref(f1)
    del g, x, w, y1, y2, p1, p2, f1, f2
    gc.collect()
    assert ref() is None


def test_session_plans_share_folded_array_and_rewiring_refolds():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        c = tf.constant(np.array([1.0, 2.0], np.float32))
        d = tf.constant(np.array([10.0, 20.0], np.float32))
        m = tf.identity(c * 3.0)
        y, z = x + m, x - m
        with tf.Session() as sess:
            xv = np.array([0.5, 0.25], np.float32)
            np.testing.assert_array_equal(sess.run(y, {x: xv}), xv + [3.0, 6.0])
            np.testing.assert_array_equal(sess.run(z, {x: xv}), xv - [3.0, 6.0])
            p_y, p_z = sess._plans.values()
            mul = m.op.inputs[0].op
            assert _folded_value(p_y, mul) is _folded_value(p_z, mul)
            # Rewiring an input gives a new folded value, not the cached one.
            mul._update_input(0, d)
            np.testing.assert_array_equal(sess.run(y, {x: xv}), xv + [30.0, 60.0])


def _save_model(path, k: int, width: int):
    """x [None, 16] -> o{i} = (x @ (W * 2))[:, i] + i, W (16, width) constant: W * 2 folds."""
    w = np.linspace(-1, 1, 16 * width, dtype=np.float32).reshape(16, width)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 16], name="x")
        h = tf.matmul(x, tf.constant(w) * 2.0)
        outs = {f"o{i}": tf.identity(h[:, i] + float(i), name=f"o{i}") for i in range(k)}
        with tf.Session() as sess:
            save_model(str(path), sess, inputs={"x": x}, outputs=outs)
    return w


def test_output_filter_plans_are_bounded_and_correct(tmp_path):
    k = 10
    w = _save_model(tmp_path / "1", k, width=k)
    runner = Servable("m", 1, load_saved_model(str(tmp_path / "1")), warm_up=False) \
        .signature(None)
    assert len(runner._plans) == k + 1  # all outputs and each single one, kept
    names = runner.output_names
    combos = [c for n in range(2, k) for c in itertools.combinations(names, n)][:300]
    assert len(combos) == 300
    xv = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    want = xv @ (w * np.float32(2.0))
    feeds = runner.validate({"x": xv})
    for i, combo in enumerate(combos):
        outputs = runner.output_aliases(list(reversed(combo)))
        got = runner.run(feeds, outputs)
        assert sorted(got) == sorted(combo)
        for alias, value in got.items():
            j = int(alias[1:])
            np.testing.assert_allclose(value, want[:, j] + j, rtol=1e-5, atol=1e-5)
        assert len(runner._subset_plans) <= SUBSET_PLAN_CACHE
        if i % 50 == 0:  # the plans compiled at load still answer, and are never evicted
            np.testing.assert_allclose(runner.run(feeds, ("o3",))["o3"], want[:, 3] + 3,
                                       rtol=1e-5, atol=1e-5)
            assert len(runner._plans) == k + 1
    assert len(runner._subset_plans) == SUBSET_PLAN_CACHE
    # Least recently used goes first: the last subsets are the ones kept.
    assert list(runner._subset_plans) == [tuple(sorted(c)) for c in combos[-SUBSET_PLAN_CACHE:]]


def test_output_filter_memory_is_bounded(tmp_path):
    # A 1 MB folded constant (16 x 16384 float32); before, every distinct filter compiled a plan
    # holding its own folded copy: ~200 MB over 200 filters.
    k = 10
    _save_model(tmp_path / "1", k, width=16384)
    runner = Servable("m", 1, load_saved_model(str(tmp_path / "1")), warm_up=False) \
        .signature(None)
    combos = [c for n in range(2, k) for c in itertools.combinations(runner.output_names, n)]
    feeds = runner.validate({"x": np.ones((1, 16), np.float32)})
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for combo in combos[:200]:
            runner.run(feeds, combo)
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 8 * 2**20, f"{grown / 2**20:.1f} MB grown over 200 output filters"
