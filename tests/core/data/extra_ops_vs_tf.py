"""Builds the same graphs in minitf and tf.compat.v1 and compares the counting ops, the matrix
decompositions (values, gradients, op types) and the FTRL / proximal optimizers (variables, slots
and update op types over several steps, dense and sparse); and runs graphs TF writes
(DenseBincount, ReverseV2) imported into minitf. Prints one line per case, "OK" when
it agrees. Singular vectors and eigenvectors enter only through sign-free expressions (squares,
reconstructions): their signs are the implementation's."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_resource_variables()
R = np.random.default_rng(0)
TALL = R.standard_normal((2, 4, 3))
WIDE = R.standard_normal((3, 5))
SQUARE = R.standard_normal((2, 3, 3))
SORTED = np.sort(R.integers(0, 9, (2, 3, 6)), axis=-1).astype(np.float32)
PROBES = R.integers(-1, 10, (2, 3, 4)).astype(np.float32)
VALUES = R.uniform(-2.0, 7.0, 40)

_TYPES = {"Svd", "Qr", "SelfAdjointEigV2", "UniqueWithCounts", "HistogramFixedWidth",
          "LowerBound", "UpperBound", "ScatterNd"}


def _svd_loss(tf, x, full):
    s, u, v = tf.linalg.svd(x, full_matrices=full)
    recon = tf.matmul(u[..., :, :3] * tf.expand_dims(s, -2), v[..., :, :3], adjoint_b=True)
    return [s, tf.square(u), tf.square(v), recon]


def _eig_loss(tf, x):
    e, v = tf.linalg.eigh(x)
    return [e, tf.square(v), tf.linalg.eigvalsh(x)]


def float_cases(tf):
    """(name, fn(tf, x) -> outputs, x): values and the gradients of a weighted sum."""
    return [
        ("svd", lambda x: _svd_loss(tf, x, False), TALL),
        ("svd_full", lambda x: _svd_loss(tf, x, True), TALL),
        ("svd_wide", lambda x: list(tf.svd(x))[:1] + [tf.square(tf.svd(x)[2])], WIDE),
        ("svd_values", lambda x: [tf.svd(x, compute_uv=False)], TALL),
        ("qr", lambda x: list(tf.qr(x)), TALL),
        ("qr_wide", lambda x: list(tf.linalg.qr(x)), WIDE),
        ("qr_full_square", lambda x: list(tf.qr(x, full_matrices=True)), SQUARE),
        ("eigh", lambda x: _eig_loss(tf, x), SQUARE),
        ("eigvals", lambda x: [tf.self_adjoint_eigvals(x)], SQUARE),
    ]


def int_cases(tf):
    """(name, fn(tf) -> outputs) of the non-differentiable ops."""
    ids = [1, 1, 2, 3, 2, 4, 4, 5, 0, 7]
    return [
        ("bincount", lambda: [tf.bincount(ids), tf.bincount(ids, minlength=10),
                              tf.bincount(ids, maxlength=4, dtype=tf.float64),
                              tf.bincount([[1, 2], [2, 2]]),
                              tf.bincount(tf.constant([], tf.int32))]),
        ("bincount_weights", lambda: [tf.math.bincount(ids, weights=np.arange(10.0),
                                                       minlength=9)]),
        ("unique_with_counts", lambda: list(tf.unique_with_counts([4, 1, 4, 4, 2, 1], tf.int64))),
        ("histogram_bins", lambda: [tf.histogram_fixed_width_bins(
            VALUES.astype(np.float32).reshape(5, 8), [0.0, 5.0], nbins=7)]),
        ("histogram", lambda: [tf.histogram_fixed_width(VALUES, [0.0, 5.0], nbins=7),
                               tf.histogram_fixed_width(VALUES.astype(np.float32), [-1.0, 6.0],
                                                        dtype=tf.int64)]),
        ("searchsorted", lambda: [tf.searchsorted(SORTED, PROBES),
                                  tf.searchsorted(SORTED, PROBES, side="right",
                                                  out_type=tf.int64),
                                  tf.searchsorted(SORTED[0, 0], PROBES[0, 0])]),
        ("confusion", lambda: [tf.confusion_matrix([1, 2, 4, 2], [2, 2, 4, 0]),
                               tf.math.confusion_matrix([[1], [0]], [1, 1], num_classes=3,
                                                        weights=[0.5, 2.0],
                                                        dtype=tf.float32)]),
    ]


def _types(graph):
    return sorted({op.type for op in graph.get_operations() if op.type in _TYPES})


def run_ops(tf):
    out = {}
    for name, fn, x0 in float_cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.float64, x0.shape)
            ys = fn(x)
            rng = np.random.default_rng(1)
            loss = tf.add_n([tf.reduce_sum(y * rng.standard_normal(y.shape.as_list()))
                             for y in ys])
            fetch = ys + tf.gradients(loss, [x])
            with tf.Session(graph=graph) as sess:
                out[name] = (_types(graph), sess.run(fetch, {x: x0}))
    for name, fn in int_cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            ys = fn()
            with tf.Session(graph=graph) as sess:
                out[name] = (_types(graph), sess.run(ys))
    return out


EMB0 = R.standard_normal((5, 3)).astype(np.float32)
W0 = R.standard_normal((3, 2)).astype(np.float32)
X = R.standard_normal((4, 3)).astype(np.float32)
STEPS = [([0, 2, 2], 1.0), ([4, 1], -0.5), ([2], 2.0), ([0, 0, 3, 1], 0.7), ([1, 4], -1.3)]


def optimizers(tf):
    train = tf.train
    return [
        ("ftrl", lambda: train.FtrlOptimizer(0.1)),
        ("ftrl_l1_l2_power", lambda: train.FtrlOptimizer(
            0.2, learning_rate_power=-0.3, initial_accumulator_value=0.2,
            l1_regularization_strength=0.05, l2_regularization_strength=0.1)),
        ("ftrl_v2", lambda: train.FtrlOptimizer(
            0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
            l2_shrinkage_regularization_strength=0.05)),
        ("ftrl_v2_power", lambda: train.FtrlOptimizer(
            0.3, learning_rate_power=-0.7, l2_shrinkage_regularization_strength=0.1)),
        ("ftrl_beta", lambda: train.FtrlOptimizer(0.1, beta=0.5,
                                                  l2_regularization_strength=0.01)),
        ("ftrl_names", lambda: train.FtrlOptimizer(0.1, accum_name="acc", linear_name="lin")),
        ("proximal_gd", lambda: train.ProximalGradientDescentOptimizer(0.1)),
        ("proximal_gd_l1_l2", lambda: train.ProximalGradientDescentOptimizer(
            0.1, l1_regularization_strength=0.05, l2_regularization_strength=0.1)),
        ("proximal_adagrad", lambda: train.ProximalAdagradOptimizer(0.1)),
        ("proximal_adagrad_l1_l2", lambda: train.ProximalAdagradOptimizer(
            0.2, initial_accumulator_value=0.3, l1_regularization_strength=0.05,
            l2_regularization_strength=0.1)),
    ]


def run_optimizer(tf, make):
    """Variables and slots after each step; the update op types and variable names."""
    graph = tf.Graph()
    with graph.as_default():
        emb = tf.Variable(EMB0, name="emb")
        w = tf.Variable(W0, name="w")
        ids = tf.placeholder(tf.int32, [None])
        scale = tf.placeholder(tf.float32, [])
        loss = tf.reduce_sum(tf.gather(emb, ids) * scale) + tf.reduce_sum(
            tf.square(tf.matmul(X, w) - scale))
        opt = make()
        train = opt.minimize(loss)
        types = sorted({op.type for op in graph.get_operations() if "Apply" in op.type})
        names = sorted(v.op.name for v in tf.global_variables())
        slots = [opt.get_slot(v, n) for v in (emb, w) for n in opt.get_slot_names()]
        states = []
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for step_ids, s in STEPS:
                sess.run(train, {ids: step_ids, scale: s})
                states.append(sess.run([emb, w] + slots))
    return types, names, states


def compare_values(name, ours, theirs, rtol=1e-6, atol=1e-6):
    failures = []
    if len(ours) != len(theirs):
        return [f"{len(ours)} fetches vs TF {len(theirs)}"]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            failures.append(f"[{i}]: {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            failures.append(f"[{i}]: values differ\n{a}\nvs TF\n{b}")
    return failures


ours, theirs = run_ops(mtf), run_ops(tf1)
for name in ours:
    (t_ours, v_ours), (t_tf, v_tf) = ours[name], theirs[name]
    failures = compare_values(name, v_ours, v_tf)
    # TF 2.x composes tf.bincount around DenseBincount; minitf around TF 1.x's Bincount.
    if t_ours != t_tf and not name.startswith("bincount"):
        failures.append(f"op types {t_ours} vs TF {t_tf}")
    print(name, "OK" if not failures else "DIFF " + "; ".join(failures))


# Graphs TensorFlow 2 writes, imported into minitf and run: tf.bincount (DenseBincount) and
# tf.reverse / the image flips (ReverseV2), with a gradient through ReverseV2.
IDS = R.integers(0, 8, 12).astype(np.int32)
IMG = R.standard_normal((2, 5, 6, 3)).astype(np.float32)


def tf_written_graphs():
    """(name, build(inputs) -> outputs, {placeholder name: value})."""
    def bincounts(ids):
        return [tf1.bincount(ids), tf1.bincount(ids, weights=tf1.cast(ids, tf1.float32) * 0.5,
                                                minlength=9),
                tf1.bincount(ids, maxlength=3, dtype=tf1.float64),
                tf1.raw_ops.DenseBincount(input=tf1.reshape(ids, [3, 4]), size=5,
                                          weights=tf1.constant([], tf1.float32),
                                          binary_output=True)]

    def reverses(img):
        flipped = [tf1.reverse(img, [1, -1]), tf1.image.flip_left_right(img),
                   tf1.image.flip_up_down(img[0])]
        return flipped + tf1.gradients(tf1.reduce_sum(flipped[0] * IMG), [img])

    return [("imported_bincount", bincounts, {"ids": IDS}),
            ("imported_reverse_v2", reverses, {"img": IMG})]


def run_imported(build, feeds):
    graph = tf1.Graph()
    with graph.as_default():
        inputs = [tf1.placeholder(tf1.as_dtype(v.dtype), v.shape, name=k)
                  for k, v in feeds.items()]
        outputs = [tf1.identity(t, name=f"out{i}") for i, t in enumerate(build(*inputs))]
        types = sorted({op.type for op in graph.get_operations()} &
                       {"DenseBincount", "ReverseV2"})
        with tf1.Session(graph=graph) as sess:
            theirs = sess.run(outputs, {f"{k}:0": v for k, v in feeds.items()})
    graph_def = mtf.GraphDef.FromString(graph.as_graph_def().SerializeToString())
    with mtf.Graph().as_default():
        mtf.import_graph_def(graph_def, name="")
        with mtf.Session() as sess:
            ours = sess.run([f"out{i}:0" for i in range(len(outputs))],
                            {f"{k}:0": v for k, v in feeds.items()})
    return types, ours, theirs


for name, build, feeds in tf_written_graphs():
    types, ours, theirs = run_imported(build, feeds)
    failures = compare_values(name, ours, theirs)
    if not types:
        failures.append("TF wrote none of DenseBincount / ReverseV2")
    print(name, "OK" if not failures else "DIFF " + "; ".join(failures))

for (name, make_ours), (_, make_tf) in zip(optimizers(mtf), optimizers(tf1)):
    (t_ours, n_ours, s_ours), (t_tf, n_tf, s_tf) = (run_optimizer(mtf, make_ours),
                                                    run_optimizer(tf1, make_tf))
    failures = [] if t_ours == t_tf else [f"update ops {t_ours} vs TF {t_tf}"]
    if n_ours != n_tf:
        failures.append(f"variables {n_ours} vs TF {n_tf}")
    for step, (a, b) in enumerate(zip(s_ours, s_tf)):
        failures += [f"step {step}{f}" for f in compare_values(name, a, b, 1e-5, 1e-6)]
    print(name, "OK" if not failures else "DIFF " + "; ".join(failures))
