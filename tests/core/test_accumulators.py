"""tf.ConditionalAccumulator and tf.SparseConditionalAccumulator: means and sums against numpy,
stale gradients dropped, the global step, TF's shape errors, takes that block (served by an
apply in another thread, in arrival order, cancelled by Session.close, ended by a deadline),
per-row means of indexed slices. Against tf.compat.v1: one sequence of operations (values and
messages) and the GraphDef nodes. Every run that could block has a deadline and every thread is
joined with a timeout."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import minitf as tf

from .blocking import OPTS, run_bounded as _run, start_thread as _start  # noqa: F401
from .blocking import wait_until_waiting


# -- dense ---------------------------------------------------------------------------------------
def test_mean_sum_staleness_and_global_step():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[2, 2])
    total = tf.ConditionalAccumulator(tf.float64, reduction_type="SUM", name="total")
    g, step = tf.placeholder(tf.float32), tf.placeholder(tf.int64, [])
    apply = acc.apply_grad(g, local_step=step)
    apply_total = total.apply_grad(tf.cast(g, tf.float64), local_step=step)
    take, take_total = acc.take_grad(2), total.take_grad(3)
    assert take.shape.as_list() == [2, 2] and take_total.shape.rank is None
    count, set_step = acc.num_accumulated(), acc.set_global_step(step)
    assert (acc.name, acc.dtype, count.op.name) == ("conditional_accumulator", tf.float32,
                                                   "conditional_accumulator_NumAccumulated")
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((8, 2, 2)).astype(np.float32)
    with tf.Session() as sess:
        for i in range(3):
            _run(sess, [apply, apply_total], {g: grads[i], step: 0})
        assert _run(sess, count) == 3
        # The take needs 2 and finds 3: the mean of all 3; the global step becomes 1.
        np.testing.assert_allclose(_run(sess, take), grads[:3].mean(0), rtol=1e-6)
        np.testing.assert_allclose(_run(sess, take_total), grads[:3].astype(np.float64).sum(0))
        assert _run(sess, count) == 0
        _run(sess, apply, {g: grads[3], step: 0})  # stale (0 < 1): dropped
        _run(sess, apply, {g: np.ones(5, np.float32), step: 0})  # stale: not even checked
        assert _run(sess, count) == 0
        _run(sess, apply, {g: grads[4], step: 1})
        _run(sess, apply, {g: grads[5], step: 7})  # ahead of the global step: taken
        np.testing.assert_allclose(_run(sess, take), grads[4:6].mean(0), rtol=1e-6)
        _run(sess, set_step, {step: 10})
        _run(sess, apply, {g: grads[6], step: 9})
        assert _run(sess, count) == 0
        _run(sess, set_step, {step: 3})  # backwards: allowed (TF logs a warning)
        _run(sess, apply, {g: grads[6], step: 3})
        _run(sess, apply, {g: grads[7], step: 4})
        np.testing.assert_allclose(_run(sess, take), grads[6:8].mean(0), rtol=1e-6)


def test_shape_and_argument_errors():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[None, 3])
    with pytest.raises(ValueError, match=re.escape("Shapes (3,) and (?, 3) are incompatible")):
        acc.apply_grad([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        acc.take_grad([1, 2])
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        acc.apply_grad([[1.0, 2.0, 3.0]], local_step=[1])
    with pytest.raises(TypeError, match="DataType string not in list of allowed values"):
        tf.ConditionalAccumulator(tf.string)
    with pytest.raises(ValueError, match="reduction_type.*'MAX' not in: \"MEAN\", \"SUM\""):
        tf.ConditionalAccumulator(tf.float32, reduction_type="MAX")
    g, n = tf.placeholder(tf.float32), tf.placeholder(tf.int32)
    step = tf.placeholder(tf.int64)
    apply, take = acc.apply_grad(g, local_step=step), acc.take_grad(n)
    with tf.Session() as sess:
        _run(sess, apply, {g: np.ones((2, 3)), step: 0})
        for value, message in (
                (np.ones((4, 3)), "Shape mismatch: expected [2,3], got [4,3]"),
                (np.ones((2, 4)), "Shape mismatch: expected [2,3], got [2,4]")):
            with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
                _run(sess, apply, {g: value, step: 0})
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                "Argument local_step must be scalar, but had bad shape [2]")):
            _run(sess, apply, {g: np.ones((2, 3)), step: [0, 1]})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Argument num_required must be positive, but was 0"):
            _run(sess, take, {n: 0})
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                "Argument num_required must be scalar, but had bad shape [1]")):
            _run(sess, take, {n: [1]})
        np.testing.assert_array_equal(_run(sess, take, {n: 1}), np.ones((2, 3)))
        with pytest.raises(tf.errors.InvalidArgumentError,  # empty: checked against [?,3]
                           match=re.escape("Shape mismatch: expected [?,3], got [1,2]")):
            _run(sess, apply, {g: np.ones((1, 2)), step: 1})
        _run(sess, apply, {g: np.ones((1, 3)), step: 1})  # a new sum: any [?,3]
        assert _run(sess, acc.num_accumulated()) == 1
    ints = tf.ConditionalAccumulator(tf.int32)  # TF's OpDef allows it, its kernels do not
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="No OpKernel was registered"):
            _run(sess, ints.num_accumulated())


def test_take_blocks_until_served_in_arrival_order():
    """Takes wait in arrival order (a later take needing fewer gradients waits behind an
    earlier one); the apply that completes a take serves it at once, so the next apply
    already sees the new global step."""
    acc = tf.ConditionalAccumulator(tf.float32, shape=[])
    g, step = tf.placeholder(tf.float32, []), tf.placeholder(tf.int64, [])
    apply = acc.apply_grad(g, local_step=step)
    take3, take1 = acc.take_grad(3), acc.take_grad(1)
    got = {}
    with tf.Session() as sess:
        t3 = _start(lambda: got.setdefault("take3", _run(sess, take3)))
        time.sleep(0.2)
        t1 = _start(lambda: got.setdefault("take1", _run(sess, take1)))
        time.sleep(0.2)
        _run(sess, apply, {g: 1.0, step: 0})
        assert not got and _run(sess, acc.num_accumulated()) == 1  # 1 is in, take1 waits
        _run(sess, apply, {g: 2.0, step: 0})
        _run(sess, apply, {g: 6.0, step: 0})  # completes take3 (mean 3), global step 1
        _run(sess, apply, {g: 100.0, step: 0})  # stale already
        t3.join(10)
        assert got == {"take3": 3.0} and _run(sess, acc.num_accumulated()) == 0
        _run(sess, apply, {g: 5.0, step: 1})
        t1.join(10)
        assert got == {"take3": 3.0, "take1": 5.0}


def test_blocked_take_is_cancelled_by_session_close_and_times_out():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[])
    take = acc.take_grad(1)
    sess = tf.Session()
    with pytest.raises(tf.errors.DeadlineExceededError):
        sess.run(take, options=tf.RunOptions(timeout_in_ms=100))
    # The take that timed out left the line: an apply now serves no one.
    sess.run(acc.apply_grad(4.0))
    assert sess.run(acc.num_accumulated()) == 1
    errors = []

    def blocked():
        try:
            sess.run(acc.take_grad(2))
        except tf.errors.CancelledError as e:
            errors.append(e)

    t = _start(blocked)
    wait_until_waiting(sess, acc.accumulator_ref, "_takes")
    sess.close()
    t.join(10)
    assert not t.is_alive() and "TakeGrad operation was cancelled" in errors[0].message


# -- sparse --------------------------------------------------------------------------------------
def _dense(indices, values, rows):
    out = np.zeros((rows,) + values.shape[1:], values.dtype)
    np.add.at(out, indices, values)
    return out


def test_sparse_mean_is_per_row_and_sum_is_the_sum():
    """Each row of the mean is divided by the number of gradients that had it (not by the
    number of gradients); SUM adds."""
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[5, 2])
    total = tf.SparseConditionalAccumulator(tf.float32, reduction_type="SUM", name="total")
    i, v = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None, 2])
    apply = acc.apply_grad(i, v, grad_shape=[5, 2])
    apply_total = total.apply_indexed_slices_grad(tf.IndexedSlices(v, i))
    taken = acc.take_indexed_slices_grad(3)
    summed = total.take_grad(3)
    assert isinstance(taken, tf.IndexedSlices) and summed._fields == ("indices", "values",
                                                                      "shape")
    assert [o.type for o in (apply, taken.indices.op, acc.num_accumulated().op,
                             acc.set_global_step(1))] == [
        "SparseAccumulatorApplyGradient", "SparseAccumulatorTakeGradient",
        "AccumulatorNumAccumulated", "AccumulatorSetGlobalStep"]
    rng = np.random.default_rng(1)
    slices = [([0, 3], rng.standard_normal((2, 2))), ([1, 3, 4], rng.standard_normal((3, 2))),
              ([3], rng.standard_normal((1, 2)))]
    with tf.Session() as sess:
        for idx, val in slices:
            _run(sess, [apply, apply_total], {i: idx, v: val})
        got_i, got_v, got_shape = _run(sess, [taken.indices, taken.values, taken.dense_shape])
        sums = _run(sess, summed)
    dense_sum = sum(_dense(np.array(idx), val.astype(np.float32), 5) for idx, val in slices)
    counts = sum(np.bincount(idx, minlength=5) for idx, _ in slices)
    assert list(got_i) == [0, 1, 3, 4] and list(got_shape) == [5, 2]
    np.testing.assert_allclose(got_v, dense_sum[got_i] / counts[got_i][:, None], rtol=1e-6)
    assert list(sums.indices) == [0, 1, 3, 4] and list(sums.shape) == [-1, 2]  # shape unknown
    np.testing.assert_allclose(sums.values, dense_sum[[0, 1, 3, 4]], rtol=1e-6)


def test_sparse_errors_and_staleness():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    i, v = tf.placeholder(tf.int64), tf.placeholder(tf.float32)
    step, shape = tf.placeholder(tf.int64, []), tf.placeholder(tf.int64, [None])
    apply = acc.apply_grad(i, v, grad_shape=shape, local_step=step)
    with tf.Session() as sess:
        for feed, message in (
                ({i: [[0]], v: [[1, 2]], shape: [4, 2]},
                 "Input indices should be vector but received shape: [1,1]"),
                ({i: [0], v: 1.0, shape: [4, 2]}, "Values cannot be 0-dimensional."),
                ({i: [0, 1], v: [[1, 2]], shape: [4, 2]},
                 "Expected 2 non-empty input values, got 1"),
                ({i: [0], v: [[1, 2]], shape: [4]}, "expected shape rank at least 2, got 1"),
                ({i: [0], v: [[1, 2]], shape: [3, 2]}, "expected shape dim 0 to be 4, got 3"),
                ({i: [1, 4], v: [[1, 2], [3, 4]], shape: [4, 2]},
                 "index of slice 1 exceeded limits of shape; index is 4 exceeded 4"),
                ({i: [1], v: [1.0], shape: [4, 2]}, "expected values rank at least 2, got 1"),
                ({i: [1], v: [[1, 2, 3]], shape: [4, 2]},
                 "expected values dim 1 to be 2, got 3")):
            with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
                _run(sess, apply, {**feed, step: 0})
        assert _run(sess, acc.num_accumulated()) == 0
        _run(sess, acc.set_global_step(2))
        _run(sess, apply, {i: [[0]], v: 1.0, shape: [1], step: 1})  # stale: not checked
        assert _run(sess, acc.num_accumulated()) == 0


def test_sparse_merge_follows_tf_for_unsorted_indices():
    """TF merges index lists assuming increasing order; given other orders it still walks
    them as a merge (equal indices meeting are summed, others kept apart)."""
    acc = tf.SparseConditionalAccumulator(tf.float32, reduction_type="SUM")
    i, v = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None])
    apply, take = acc.apply_grad(i, v), acc.take_grad(2)
    with tf.Session() as sess:
        _run(sess, apply, {i: [2, 0], v: [1.0, 2.0]})
        _run(sess, apply, {i: [0, 2], v: [10.0, 20.0]})
        got = _run(sess, take)
    # merge([2, 0], [0, 2]): 0 < 2 -> take 0 (new); then 2 == 2 -> sum; then 0 (old) left.
    assert list(got.indices) == [0, 2, 0]
    np.testing.assert_array_equal(got.values, [10.0, 21.0, 2.0])


# -- the reference-handle dense ops (TF1's older ConditionalAccumulator) ------------------------
def _legacy_graph(ops, dtype, wrong_dtype=False):
    """What TF1's first ConditionalAccumulator built (reference-handle ops), as GraphDefs
    written by it hold them; ``ops`` builds them (minitf's OpDefs or tf.raw_ops). With
    ``wrong_dtype``, a take whose dtype is not its accumulator's (TF 2.21 aborts the process
    on it: its kernel goes on after reporting the error)."""
    handle = ops.ConditionalAccumulator(dtype=dtype, shape=[2], name="acc")
    grad = ops.placeholder(dtype, name="grad")
    step = ops.placeholder(ops.int64, [], name="step")
    ops.AccumulatorApplyGradient(handle=handle, local_step=step, gradient=grad, name="apply")
    ops.AccumulatorTakeGradient(handle=handle, num_required=2, dtype=dtype, name="take")
    ops.AccumulatorNumAccumulated(handle=handle, name="count")
    ops.AccumulatorSetGlobalStep(handle=handle, new_global_step=step, name="set_step")
    if wrong_dtype:
        ops.ResourceAccumulatorTakeGradient(
            handle=ops.ResourceConditionalAccumulator(dtype=dtype, shape=[], name="racc"),
            num_required=1, dtype=ops.float64, name="wrong_dtype")


class _MinitfOps:
    """minitf's OpDefs called as tf.raw_ops are (keyword inputs)."""

    float32, float64, int64 = tf.float32, tf.float64, tf.int64
    placeholder = staticmethod(tf.placeholder)

    def __getattr__(self, op_type):
        from minitf.opdef import lookup

        opdef = lookup(op_type)

        def call(name=None, **kw):
            inputs = [kw.pop(a.name) for a in opdef.args]
            return opdef(*inputs, name=name, **kw)
        return call


def _legacy_runs(sess, graph):
    def t(name):
        return graph.get_tensor_by_name(name)

    def op(name):
        return graph.get_operation_by_name(name)

    out = []
    sess.run(op("apply"), {t("grad:0"): [1.0, 2.0], t("step:0"): 0})
    sess.run(op("apply"), {t("grad:0"): [3.0, 6.0], t("step:0"): 0})
    out.append(sess.run(t("count:0")))
    out.append(sess.run(t("take:0")))
    sess.run(op("apply"), {t("grad:0"): [5.0, 5.0], t("step:0"): 0})  # stale
    sess.run(op("set_step"), {t("step:0"): 4})
    sess.run(op("apply"), {t("grad:0"): [5.0, 5.0], t("step:0"): 4})
    out.append(sess.run(t("count:0")))
    return out


def test_reference_handle_ops():
    g = tf.Graph()
    with g.as_default():
        _legacy_graph(_MinitfOps(), tf.float32, wrong_dtype=True)
        assert g.get_tensor_by_name("acc:0").shape.as_list() == [2]
        with tf.Session() as sess:
            out = _legacy_runs(sess, g)
            with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                    "Signature mismatch, have: resource, int32->double expected: resource, "
                    "int32->float")):
                sess.run(g.get_tensor_by_name("wrong_dtype:0"))
    assert out[0] == 2 and out[2] == 1
    np.testing.assert_array_equal(out[1], [2.0, 4.0])


def test_reference_handle_ops_from_a_tensorflow_graph_def():
    """The GraphDef TF writes for them imports into minitf and runs as in TF."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    class Raw:
        float32, float64, int64 = tf1.float32, tf1.float64, tf1.int64
        placeholder = staticmethod(tf1.placeholder)

        def __getattr__(self, op_type):
            return getattr(tf1.raw_ops, op_type)

    g = tf1.Graph()
    with g.as_default():
        _legacy_graph(Raw(), tf1.float32)
        with tf1.Session(graph=g) as sess:
            theirs = _legacy_runs(sess, g)
    ours_graph = tf.Graph()
    with ours_graph.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                            name="")
        with tf.Session() as sess:
            ours = _legacy_runs(sess, ours_graph)
    for a, b in zip(ours, theirs):
        _same(a, b)
    assert len(ours) == len(theirs) == 3


# -- against TensorFlow --------------------------------------------------------------------------
def _message(e) -> str:
    lines = [ln for ln in e.message.splitlines() if ln and not ln.startswith(
        ("Graph exec", "Detected", "  File", "Node:", "\t", "    ", "Registered", "  device"))]
    return type(e).__name__ + ": " + (lines[-1] if lines else "")[:70]


def _scenario(lib):
    out = []
    g = lib.Graph()
    with g.as_default():
        acc = lib.ConditionalAccumulator(lib.float32, shape=[2])
        grad, step = lib.placeholder(lib.float32), lib.placeholder(lib.int64)
        apply, take = acc.apply_grad(grad, local_step=step), acc.take_grad(2)
        count, set_step = acc.num_accumulated(), acc.set_global_step(step)
        half = lib.ConditionalAccumulator(lib.float16, shape=[3], name="half")
        h = lib.placeholder(lib.float16, [3])
        apply_half = half.apply_grad(h)
        take_half = half.take_grad(3)
        sparse = lib.SparseConditionalAccumulator(lib.float32, shape=[4, 2])
        i, v = lib.placeholder(lib.int64), lib.placeholder(lib.float32)
        s_apply = sparse.apply_grad(i, v, grad_shape=[4, 2], local_step=step)
        s_apply2 = sparse.apply_grad(i, v, local_step=step)
        s_take, s_count = sparse.take_grad(2), sparse.num_accumulated()
        total = lib.SparseConditionalAccumulator(lib.float64, reduction_type="SUM")
        t_apply, t_take = total.apply_grad(i, lib.cast(v, lib.float64)), total.take_grad(1)

        def attempt(fetch, feed=None):
            try:
                out.append(sess.run(fetch, feed))
            except lib.errors.OpError as e:
                out.append(_message(e))

        with lib.Session(graph=g) as sess:
            attempt(apply, {grad: [1., 2.], step: 0})
            attempt(apply, {grad: [3., 5.], step: 0})
            attempt(count)
            attempt(take)
            attempt(count)
            attempt(apply, {grad: [100., 100.], step: 0})  # stale
            attempt(apply, {grad: [9., 9., 9.], step: 0})  # stale and misshapen
            attempt(apply, {grad: [1., 1.], step: 1})
            attempt(apply, {grad: [2., 3.], step: 5})
            attempt(take)
            attempt(set_step, {step: 10})
            attempt(apply, {grad: [1., 1.], step: 9})
            attempt(count)
            attempt(apply, {grad: [1., 2., 3.], step: 10})
            attempt(apply, {grad: [1., 2.], step: 10})
            attempt(apply, {grad: [[1., 2.]], step: 10})
            for k in range(3):
                attempt(apply_half, {h: np.array([1, -7, 5 + k], np.float16)})
            attempt(take_half)
            attempt(s_apply, {i: [3, 0], v: [[1., 2.], [3., 4.]], step: 0})
            attempt(s_apply2, {i: [0, 1, 3], v: [[10., 20.], [5., 5.], [7., 7.]], step: 0})
            attempt(s_count)
            attempt(s_take)
            for feed in ({i: [[0]], v: [[1., 2.]]}, {i: [0], v: 1.0}, {i: [0, 1], v: [[1., 2.]]},
                         {i: [4], v: [[1., 2.]]}, {i: [1], v: [[1., 2., 3.]]},
                         {i: [1], v: [1.]}):
                attempt(s_apply, {**feed, step: 1})
                attempt(s_apply2, {**feed, step: 1})
            attempt(s_count)
            attempt(t_apply, {i: [2, 2, 1], v: [1., 2., 4.]})
            attempt(t_apply, {i: [1, 5], v: [10., 20.]})
            attempt(t_take)
    g2 = lib.Graph()
    with g2.as_default():  # alone: TF refuses a graph with a kernel-less op in it at all
        ints = lib.ConditionalAccumulator(lib.int32, shape=[3])
        with lib.Session(graph=g2) as sess:
            attempt(ints.num_accumulated())
    return out, g.as_graph_def()


def _same(a, b):
    if isinstance(b, (str, np.ndarray, np.generic)) or b is None:
        if isinstance(b, str):
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)
            assert np.asarray(a).dtype == np.asarray(b).dtype
        return
    assert type(a) is type(b) or isinstance(b, (list, tuple)), (a, b)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        _same(x, y)


def test_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours, our_graph = _scenario(tf)
    theirs, their_graph = _scenario(tf1)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _same(a, b)
    assert _nodes(our_graph) == _nodes(their_graph)


def _nodes(graph_def):
    """Every node's (name, op, inputs, attrs), TF's default attrs dropped (minitf writes
    none); "_class" kept: the sparse accumulator's ops sit with their reference handle."""
    defaults = {"container": b"", "shared_name": b"", "reduction_type": b"MEAN",
                "Truncate": False}
    out = []
    for n in graph_def.node:
        attrs = {}
        for k, v in n.attr.items():
            kind = v.WhichOneof("value")
            if kind == "tensor":
                continue
            value = getattr(v, kind)
            if kind == "list":
                value = (list(value.s), list(value.type))
            elif kind == "shape":
                value = None if value.unknown_rank else [d.size for d in value.dim]
            if defaults.get(k, object()) != value:
                attrs[k] = value
        out.append((n.name, n.op, list(n.input), sorted(attrs.items())))
    return out


# -- the sparse merge, vectorised (review fix) ---------------------------------------------------
def _walk_reference(old, new):
    """TF's kernel merge, one step at a time (the loop minitf had): (row of old, row of new)
    for each merged row, None for none."""
    out, i, j = [], 0, 0
    while i < len(old) or j < len(new):
        if j == len(new) or i < len(old) and old[i] < new[j]:
            out.append((i, None))
            i += 1
        elif i == len(old) or old[i] > new[j]:
            out.append((None, j))
            j += 1
        else:
            out.append((i, j))
            i, j = i + 1, j + 1
    return out


def _index_lists(rng):
    """Index lists of every kind the merge meets: sorted (with and without duplicates),
    unsorted, few distinct values out of order (deep nests), negative and huge values."""
    for k in range(3000):
        n, m = rng.integers(0, 40 if k % 2 else 300, 2)
        vocab = int(rng.choice([1, 2, 3, 7, 50, 10_000]))
        a, b = rng.integers(-2, vocab, n), rng.integers(-2, vocab, m)
        if k % 4 == 1:
            a, b = np.sort(a), np.sort(b)
        elif k % 4 == 2:
            a, b = np.unique(a), np.unique(b)
        if k % 7 == 3:  # a range too wide to offset by: the ranks are used
            a, b = a * 2 ** 52 - 2 ** 62, b * 2 ** 52 - 2 ** 62
        yield a.astype(np.int64), b.astype(np.int64)


def test_merge_rows_places_every_row_as_tfs_walk():
    from minitf.ops.accumulator_ops import merge_rows

    for a, b in _index_lists(np.random.default_rng(7)):
        at_a, at_b, size = merge_rows(a, b)
        want = _walk_reference(a.tolist(), b.tolist())
        assert size == len(want)
        got = [[None, None] for _ in range(size)]
        for i, place in enumerate(at_a.tolist()):
            got[place][0] = i
        for j, place in enumerate(at_b.tolist()):
            got[place][1] = j
        assert [tuple(p) for p in got] == want, (a, b)


def _accumulate_reference(grads, dtype, mean):
    """TF's SparseConditionalAccumulator on ``grads`` [(indices, values)], row by row."""
    indices, rows, counts = [], [], []
    for idx, val in grads:
        val = np.asarray(val, dtype)
        merged = _walk_reference(indices, list(idx))
        indices = [indices[i] if i is not None else idx[j] for i, j in merged]
        rows = [rows[i] + val[j] if i is not None and j is not None else
                rows[i] if i is not None else val[j] for i, j in merged]
        counts = [(counts[i] if i is not None else 0) + (j is not None) for i, j in merged]
    values = np.array(rows, dtype).reshape((len(rows),) + np.shape(grads[0][1])[1:])
    if mean:
        values = (values / np.array(counts, dtype).reshape((-1,) + (1,) * (values.ndim - 1))
                  ).astype(dtype)
    return np.array(indices, np.int64), values


def _merge_scenarios(rng):
    """Gradient sequences: sorted, unsorted with duplicates (embedding lookups), a few indices
    repeated out of order, empty ones, the same list again; rows of shape [3], [2], scalars."""
    def grads(make, count, width):
        out = []
        for _ in range(count):
            idx = make()
            out.append((idx.tolist(), rng.standard_normal((idx.size,) + width)))
        return out

    yield grads(lambda: np.sort(rng.choice(500, 120, replace=False)), 4, (3,))
    yield grads(lambda: rng.integers(0, 500, 150), 4, (3,))
    yield grads(lambda: rng.integers(0, 4, 60), 3, (2,))
    yield grads(lambda: rng.integers(0, 300, int(rng.integers(0, 40))), 5, ())
    same = rng.integers(0, 500, 90)  # every row meets one already in: summed in place
    yield grads(lambda: same, 3, (2,))


def test_sparse_accumulator_merges_like_tfs_kernel_row_for_row():
    """Whole applies through a session against the row-by-row reference: indices in TF's
    merged order, sums (exactly: the same additions), per-row means; and TF's first
    out-of-range index reported, checked on the whole vector at once."""
    rng = np.random.default_rng(11)
    for grads in _merge_scenarios(rng):
        for dtype, reduction in ((tf.float64, "MEAN"), (tf.float32, "SUM")):
            np_type = dtype.as_numpy_dtype
            with tf.Graph().as_default():
                acc = tf.SparseConditionalAccumulator(dtype, shape=[500] + list(
                    np.shape(grads[0][1])[1:]), reduction_type=reduction)
                i, v = tf.placeholder(tf.int64, [None]), tf.placeholder(dtype)
                apply, take = acc.apply_grad(i, v), acc.take_grad(len(grads))
                with tf.Session() as sess:
                    for idx, val in grads:
                        _run(sess, apply, {i: idx, v: np.asarray(val, np_type)})
                    got = _run(sess, take)
            want_i, want_v = _accumulate_reference(grads, np_type, reduction == "MEAN")
            np.testing.assert_array_equal(got.indices, want_i)
            np.testing.assert_array_equal(got.values, want_v)
            assert got.values.dtype == np_type
    with tf.Graph().as_default():
        acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
        i = tf.placeholder(tf.int64, [None])
        apply = acc.apply_grad(i, tf.ones([3, 3]))
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                "index of slice 1 exceeded limits of shape; index is 9 exceeded 4")):
            _run(sess, apply, {i: [1, 9, 7]})  # before the values' shape is looked at


def test_sparse_take_gradient_shapes_are_unknown_as_tfs():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[5, 2])
    taken = acc.take_grad(1)
    sliced = acc.take_indexed_slices_grad(1)
    for t in (*taken, sliced.indices, sliced.values, sliced.dense_shape):
        assert t.shape.rank is None


def test_sparse_merge_and_take_shapes_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(5)
    scenarios = list(_merge_scenarios(rng))

    def run(lib, grads, reduction):
        with lib.Graph().as_default():
            acc = lib.SparseConditionalAccumulator(lib.float32, shape=[500] + list(
                np.shape(grads[0][1])[1:]), reduction_type=reduction)
            i, v = lib.placeholder(lib.int64, [None]), lib.placeholder(lib.float32)
            apply, take = acc.apply_grad(i, v), acc.take_grad(len(grads))
            shapes = [t.shape.as_list() if t.shape.rank is not None else None for t in take]
            with lib.Session() as sess:
                for idx, val in grads:
                    sess.run(apply, {i: np.array(idx, np.int64),
                                     v: np.asarray(val, np.float32)})
                return shapes, sess.run(take)

    for grads in scenarios:
        for reduction in ("MEAN", "SUM"):
            (our_shapes, ours), (their_shapes, theirs) = (run(tf, grads, reduction),
                                                          run(tf1, grads, reduction))
            assert our_shapes == their_shapes == [None, None, None]
            np.testing.assert_array_equal(ours.indices, theirs.indices)
            np.testing.assert_array_equal(ours.shape, theirs.shape)
            np.testing.assert_array_equal(ours.values, theirs.values)  # the same additions
