"""Builds the same graphs in minitf and tf.compat.v1 and compares the array functions of
tests/core/test_array_extra.py: values, gradients, static shapes, the op types emitted and the
errors raised. Prints one line per case, "OK" when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()
R = np.random.default_rng(0)
X3 = R.standard_normal((4, 3, 2))
X2 = R.standard_normal((3, 4))
V = R.standard_normal(6)
TYPES = {"DynamicPartition", "DynamicStitch", "ParallelDynamicStitch", "ListDiff",
         "UnravelIndex", "BroadcastArgs", "Bitcast", "ParallelConcat", "CountUpTo",
         "EditDistance", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin",
         "ScatterNdSub", "GatherNd", "ScatterNd", "GatherV2"}


def float_cases(tf):
    """(name, fn(x) -> outputs, x): values, static shapes and gradients w.r.t. x."""
    parts = [[1, 0, 1], [0, 3, 1], [1, 1, 1], [0, 0, 3]]
    return [
        ("partition_2d", lambda x: tf.dynamic_partition(x, parts, 4), X3),
        ("partition_rows", lambda x: tf.dynamic_partition(x, [2, 0, 2], 3), X2),
        ("partition_fed", lambda x: tf.dynamic_partition(
            x, tf.placeholder_with_default(np.array([1, 0, 1], np.int32), [None]), 2), X2),
        ("stitch", lambda x: [tf.dynamic_stitch([[[3, 0], [5, 1]], [2, 4]],
                                                [x[:2, :2], x[2, :2]])], X2),
        ("stitch_duplicates", lambda x: [tf.dynamic_stitch([[0, 1, 1], [1, 3]],
                                                           [x[:3], x[1:3]])], X2),
        ("stitch_scalar_index", lambda x: [tf.dynamic_stitch([2, [0, 1]], [x[0], x[1:3]])], X2),
        ("scatter_sub", lambda x: [tf.tensor_scatter_nd_sub(x, [[1], [1], [2]], x[:3] * 2)], X2),
        ("scatter_sub_alias", lambda x: [tf.tensor_scatter_sub(x, [[0, 1], [2, 3]],
                                                               x[1, :2])], X2),
        ("scatter_max", lambda x: [tf.tensor_scatter_nd_max(x, [[0], [2]],
                                                            x[1:] * 1.5)], X2),
        ("scatter_min", lambda x: [tf.tensor_scatter_nd_min(x, [[1, 1], [0, 2]],
                                                            x[2, 1:3] - 0.5)], X2),
        ("scatter_max_ties", lambda x: [tf.tensor_scatter_nd_max(x, [[1]], x[1:2])], X2),
        ("repeat_flat", lambda x: [tf.repeat(x, 2)], X2),
        ("repeat_rows", lambda x: [tf.repeat(x, [2, 0, 1], axis=0)], X2),
        ("repeat_cols", lambda x: [tf.repeat(x, [1, 3, 0, 2], axis=1)], X2),
        ("repeat_scalar_axis", lambda x: [tf.repeat(x, 3, axis=-1)], X2),
        ("batch_gather", lambda x: [tf.batch_gather(x, [[0, 2, 2], [1, 0, 0], [2, 2, 1],
                                                        [0, 0, 0]])], X3),
    ]


def other_cases(tf):
    """(name, fn() -> outputs): values and static shapes of the ops without a gradient."""
    def sparse():  # built inside each case's graph
        h = tf.SparseTensor([[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0]], ["a", "b", "c", "d"],
                            [2, 2, 2])
        t = tf.SparseTensor([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0]], ["a", "b", "c", "a"],
                            [2, 2, 3])
        hi = tf.SparseTensor([[0, 0], [0, 1], [0, 2], [2, 0]], [1, 2, 3, 4], [3, 3])
        ti = tf.SparseTensorValue([[0, 0], [0, 1], [1, 0]], [1, 3, 7], [2, 4])
        return h, t, hi, ti

    return [
        ("setdiff", lambda: list(tf.setdiff1d([1, 2, 3, 4, 2, 6], [2, 4, 9]))),
        ("setdiff_float_int64", lambda: list(tf.setdiff1d(V, V[::2], index_dtype=tf.int64))),
        ("unravel", lambda: [tf.unravel_index([1, 5, 7, 0], [2, 4]),
                             tf.unravel_index(tf.constant(22, tf.int64),
                                              tf.constant([3, 4, 2], tf.int64))]),
        ("broadcast_args", lambda: [tf.broadcast_dynamic_shape([2, 1, 3], [4, 1]),
                                    tf.broadcast_dynamic_shape(tf.constant([5, 1], tf.int64),
                                                               tf.constant([0, 1, 1],
                                                                           tf.int64))]),
        ("bitcast", lambda: [tf.bitcast(tf.constant(V, tf.float32), tf.int32),
                             tf.bitcast(tf.constant(V[:2]), tf.uint16),
                             tf.bitcast(tf.constant([[1, 2], [3, 4]], tf.int32), tf.float64),
                             tf.bitcast(tf.constant(V, tf.float16), tf.int16)]),
        ("edit_distance", lambda: [tf.edit_distance(*sparse()[:2]),
                                   tf.edit_distance(*sparse()[:2], normalize=False)]),
        ("edit_distance_int", lambda: [tf.edit_distance(*sparse()[2:]),
                                       tf.edit_distance(*sparse()[2:], normalize=False)]),
        ("parallel_stack", lambda: [tf.parallel_stack([tf.constant(X2), tf.constant(X2) * 2])]),
    ]


def run_float(tf):
    out = {}
    for name, fn, x0 in float_cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.float64, x0.shape)
            ys = fn(x)
            loss = tf.add_n([tf.reduce_sum(y * y + 0.3 * y) for y in ys])
            grads = [tf.convert_to_tensor(g) for g in tf.gradients(loss, [x])]
            types = sorted({op.type for op in graph.get_operations()} & TYPES)
            shapes = [y.shape.as_list() if y.shape.rank is not None else None for y in ys]
            with tf.Session(graph=graph) as sess:
                out[name] = (types, shapes, sess.run(list(ys) + grads, {x: x0}))
    return out


def run_other(tf):
    out = {}
    for name, fn in other_cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            ys = fn()
            types = sorted({op.type for op in graph.get_operations()} & TYPES)
            shapes = [y.shape.as_list() if y.shape.rank is not None else None for y in ys]
            with tf.Session(graph=graph) as sess:
                out[name] = (types, shapes, sess.run(ys))
    return out


def run_state(tf):
    """count_up_to until its limit and scatter_nd_sub on a variable."""
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable(1, dtype=tf.int32)
        c = tf.count_up_to(v, 3)
        w = tf.Variable(np.arange(6.0).reshape(3, 2))
        u = tf.scatter_nd_sub(w, [[1], [1], [0]], [[1.0, 2], [3, 4], [5, 6]])
        u2 = tf.scatter_nd_sub(w, [[2, 1]], [10.0])
        seen = [sorted({op.type for op in graph.get_operations()} & TYPES)]
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            seen += [sess.run(c), sess.run(c)]
            try:
                sess.run(c)
            except tf.errors.OutOfRangeError as e:
                seen.append(("OutOfRange", "Reached limit of 3" in str(e)))
            seen += [sess.run(v), sess.run(u), sess.run(u2)]
    return seen


def run_errors(tf):
    """The error class (and a key phrase) of run-time and construction-time failures."""
    def partition_bad():
        return tf.dynamic_partition([1.0, 2.0, 3.0], [0, 5, 1], 2)

    def stitch_negative():
        return tf.dynamic_stitch([[0, -1], [1]], [[1.0, 2.0], [3.0]])

    def unravel_bad():
        return tf.unravel_index([1, 8], [2, 4])

    def broadcast_bad():
        return tf.broadcast_dynamic_shape([2, 3], [4, 1])

    def scatter_bad():
        return tf.tensor_scatter_nd_min(tf.zeros([4]), [[1], [7]], [-1.0, 3])

    def partition_static():
        return tf.dynamic_partition(tf.zeros([3, 2]), [0, 1], 2)

    def stitch_static():
        return tf.dynamic_stitch([[1, 2]], [[1.0, 2.0, 3.0]])

    def bitcast_static():
        return tf.bitcast(tf.zeros([1, 3], tf.int32), tf.float64)

    def edit_static():
        return tf.edit_distance(tf.SparseTensor([[0, 0]], [1], [2, 2]),
                                tf.SparseTensor([[0, 0, 0]], [1], [2, 2, 2]))

    def repeat_static():
        return tf.repeat(tf.zeros([2, 3]), [1, 2, 3], 0)

    def batch_gather_unknown():
        return tf.batch_gather(tf.zeros([2, 3]), tf.placeholder(tf.int32))

    def broadcast_static():
        return tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))

    result = []
    for fn in (partition_bad, stitch_negative, unravel_bad, broadcast_bad, scatter_bad,
               partition_static, stitch_static, bitcast_static, edit_static, repeat_static,
               batch_gather_unknown, broadcast_static):
        graph = tf.Graph()
        with graph.as_default():
            try:
                y = fn()
            except (ValueError, TypeError) as e:  # minitf's InvalidArgumentError is a ValueError
                result.append((fn.__name__, "construction", "ValueError"
                               if isinstance(e, ValueError) else "TypeError"))
                continue
            try:
                with tf.Session(graph=graph) as sess:
                    sess.run(y)
                result.append((fn.__name__, "no error"))
            except tf.errors.OpError as e:
                result.append((fn.__name__, "run", type(e).__name__))
    return result


def run_helpers(tf):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        partial = tf.get_static_value(tf.stack([tf.shape(x)[0], 3]), partial=True)
        return [
            tf.broadcast_static_shape(tf.TensorShape([2, 1, None]),
                                      tf.TensorShape([3, 1])).as_list(),
            tf.dimension_value(x.shape[0]), tf.dimension_value(x.shape[1]),
            tf.dimension_value(7), tf.dimension_at_index(x.shape, 1).value,
            tf.dimension_at_index(tf.TensorShape(None), 2).value,
            [tf.is_tensor(v) for v in (x, tf.Variable(1.0), tf.SparseTensor([[0]], [1.0], [2]),
                                       np.ones(2), x.op, [1])],
            tf.get_static_value(tf.constant([1, 2])).tolist(), tf.get_static_value(x),
            tf.get_static_value([1, 2]), int(tf.get_static_value(tf.size(x[0]))),
            [None if p is None else int(p) for p in partial],
            type(tf.convert_to_tensor_or_sparse_tensor(
                tf.SparseTensorValue([[0]], [1.0], [2]))).__name__,
            tf.convert_to_tensor_or_sparse_tensor([1, 2], dtype=tf.float32).dtype.name,
        ]


def run_static_shapes(tf):
    """Static shapes inferred from partly known inputs."""
    graph = tf.Graph()
    with graph.as_default():
        def ph(dtype, shape):
            return tf.placeholder(dtype, shape)

        outs = [
            *tf.dynamic_partition(ph(tf.float32, [None, 2]), ph(tf.int32, [None]), 2),
            tf.dynamic_partition(ph(tf.float32, None), ph(tf.int32, [None, 3]), 2)[0],
            tf.dynamic_partition(ph(tf.float32, [4, 5, 6]), ph(tf.int32, None), 2)[0],
            tf.dynamic_partition(ph(tf.float32, [4, 5, 6]), ph(tf.int32, [4, 5]), 2)[0],
            tf.dynamic_stitch([ph(tf.int32, [None]), [5]],
                              [ph(tf.float32, [None, 3]), [[1.0, 2.0, 3.0]]]),
            tf.dynamic_stitch([ph(tf.int32, [None])], [ph(tf.float32, None)]),
            tf.dynamic_stitch([ph(tf.int32, [None])], [ph(tf.float32, [3, 4, 5])]),
            tf.dynamic_stitch([[0, -1], [1]], [[1.0, 2.0], [3.0]]),
            tf.bitcast(ph(tf.int32, [None, 2]), tf.int64),
            tf.bitcast(ph(tf.int32, [2, None]), tf.int64),
            tf.bitcast(ph(tf.float64, [None]), tf.uint8),
            tf.unravel_index(ph(tf.int32, [None]), [2, 3]),
            tf.unravel_index(ph(tf.int32, []), ph(tf.int32, [None])),
            tf.broadcast_dynamic_shape(ph(tf.int32, [3]), ph(tf.int32, [2])),
            tf.broadcast_dynamic_shape(ph(tf.int32, [None]), ph(tf.int32, [2])),
            tf.edit_distance(tf.sparse_placeholder(tf.int32),
                             tf.SparseTensor([[0, 0]], [1], [2, 2])),
            *tf.setdiff1d(ph(tf.float32, [None]), ph(tf.float32, [4])),
            tf.repeat(ph(tf.float32, [None, 3]), 2, axis=1),
            tf.repeat(ph(tf.float32, [None, 3]), ph(tf.int32, [None]), axis=1),
            tf.batch_gather(ph(tf.float32, [None, 5, 3]), ph(tf.int32, [None, 2])),
            tf.tensor_scatter_nd_max(ph(tf.float32, [None, 3]), [[1]], [[1.0, 2.0, 3.0]]),
        ]
        return [t.shape.as_list() if t.shape.rank is not None else None for t in outs]


def compare(name, ours, theirs):
    problems = []
    t_ours, s_ours, v_ours = ours
    t_tf, s_tf, v_tf = theirs
    if t_ours != t_tf:
        problems.append(f"op types {t_ours} vs TF {t_tf}")
    if s_ours != s_tf:
        problems.append(f"static shapes {s_ours} vs TF {s_tf}")
    if len(v_ours) != len(v_tf):
        problems.append(f"{len(v_ours)} fetches vs TF {len(v_tf)}")
    for i, (a, b) in enumerate(zip(v_ours, v_tf)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"[{i}] {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif a.dtype.kind in "fc" and not np.allclose(a, b, rtol=1e-6, atol=1e-6,
                                                        equal_nan=True):
            problems.append(f"[{i}] values differ\n{a}\nvs TF\n{b}")
        elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
            problems.append(f"[{i}] values differ\n{a}\nvs TF\n{b}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))


for run in (run_float, run_other):
    ours, theirs = run(mtf), run(tf1)
    for name in ours:
        compare(name, ours[name], theirs[name])

for run in (run_state, run_errors, run_helpers, run_static_shapes):
    ours, theirs = run(mtf), run(tf1)
    same = len(ours) == len(theirs) and all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(ours, theirs))
    print(run.__name__, "OK" if same else f"DIFF {ours} vs TF {theirs}")
