"""Builds every tf.metrics metric of core/metrics_extra.py and core/metrics_at_k.py in minitf
and in tf.compat.v1 on the same placeholders, streams the same batches through both, and
compares: the update_op after each batch, the value after each batch, the values again after a
reset (local_variables_initializer) and one more batch, the local/metric variables (names,
dtypes, shapes, order), the value and update op names, the metrics/updates collections, and
which constructions and runs fail. Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()

R = np.random.default_rng(11)
C = 6  # classes of the top-k metrics


def _sparse_rows(rows, width):
    idx = [[r, j] for r, row in enumerate(rows) for j in range(len(row))]
    vals = [v for row in rows for v in row]
    return (np.array(idx, np.int64).reshape(-1, 2), np.array(vals, np.int64),
            np.array([len(rows), width], np.int64))


def batch(n):
    """One batch of every input; ``n`` rows."""
    yr = R.normal(size=n).astype(np.float32)
    vecs = R.normal(size=(2, n, 3))
    vecs /= np.linalg.norm(vecs, axis=-1, keepdims=True)
    nz = R.uniform(0.5, 2.0, n).astype(np.float32)
    nz[::3] = 0.0  # relative error is 0 where the normalizer is
    lk = R.integers(0, C, (n, 3))
    lk[::2, 2] = -1  # padding
    lk[1::4, 1] = C + 1  # out of range: a false negative, cleaned for average precision
    sparse = [sorted(set(R.integers(0, C, R.integers(1, 4)).tolist())) for _ in range(n)]
    return {
        "yr": yr, "pr": (yr + R.normal(scale=0.5, size=n)).astype(np.float32), "nz": nz,
        "w": R.uniform(0, 2, n).astype(np.float32), "w2": R.uniform(0, 2, (n, 1)).astype(
            np.float32),
        "yb": R.integers(0, 2, n).astype(np.int64),
        "pb": np.round(R.uniform(0, 1, n), 2).astype(np.float32),  # also exactly on thresholds
        "yc": R.integers(0, 4, n).astype(np.int64), "pc": R.integers(0, 4, n).astype(np.int64),
        "yv": vecs[0].astype(np.float32), "pv": vecs[1].astype(np.float32),
        "mt": R.normal(size=(2, 3)).astype(np.float32),
        "lk": lk.astype(np.int64), "lk1": R.integers(0, C, n).astype(np.int64),
        "sk": _sparse_rows(sparse, 3),
        "logits": R.normal(size=(n, C)).astype(np.float32),
        "idx": np.argsort(-R.normal(size=(n, C)), axis=1)[:, :3].astype(np.int32),
    }


BATCHES = [batch(7), batch(5), batch(9)]


def placeholders(tf):
    f, i = tf.float32, tf.int64
    p = {k: tf.placeholder(f, [None], name=k) for k in ("yr", "pr", "nz", "w", "pb")}
    p.update({k: tf.placeholder(i, [None], name=k) for k in ("yb", "yc", "pc", "lk1")})
    p.update(w2=tf.placeholder(f, [None, 1], name="w2"), yv=tf.placeholder(f, [None, 3]),
             pv=tf.placeholder(f, [None, 3]), mt=tf.placeholder(f, [2, 3], name="mt"),
             lk=tf.placeholder(i, [None, 3], name="lk"), sk=tf.sparse_placeholder(i, [None, 3]),
             logits=tf.placeholder(f, [None, C], name="logits"),
             idx=tf.placeholder(tf.int32, [None, 3], name="idx"))
    return p


def metrics(tf, p):
    """(tag, (value, update)) for every metric and variant."""
    m = tf.metrics
    yb, pb, w = p["yb"], p["pb"], p["w"]
    pbool = tf.greater(pb, 0.5)
    th = [0.0, 0.25, 0.5, 0.9, 1.0]
    out = [
        ("mse", m.mean_squared_error(p["yr"], p["pr"])),
        ("mse_w", m.mean_squared_error(p["yr"], p["pr"], weights=w, metrics_collections=["mc"],
                                       updates_collections=["uc"])),
        ("rmse_w2", m.root_mean_squared_error(p["yr"], p["pr"], weights=p["w2"])),
        ("mae", m.mean_absolute_error(p["yr"], p["pr"], weights=0.5, name="my_mae")),
        ("mre", m.mean_relative_error(p["yr"], p["pr"], p["nz"], weights=w)),
        ("mcd", m.mean_cosine_distance(p["yv"], p["pv"], 1, weights=p["w2"],
                                       metrics_collections=["mc"])),
        ("mt", m.mean_tensor(p["mt"])),
        ("mt_w", m.mean_tensor(p["mt"], weights=p["w2"][:2],
                               updates_collections=["uc"])),
        ("pb", m.percentage_below(p["pr"], 0.3, weights=w)),
        ("iou", m.mean_iou(p["yc"], p["pc"], 4)),
        ("iou_w", m.mean_iou(p["yc"], p["pc"], 4, weights=w, metrics_collections=["mc"])),
        ("mpca", m.mean_per_class_accuracy(p["yc"], p["pc"], 4)),
        ("mpca_w", m.mean_per_class_accuracy(p["yc"], p["pc"], 4, weights=w)),
        ("tp", m.true_positives(yb, pbool)), ("fp", m.false_positives(yb, pbool, weights=w)),
        ("tn", m.true_negatives(yb, pbool, weights=p["w2"])),
        ("fn", m.false_negatives(yb, pbool, metrics_collections=["mc"])),
        ("tpt", m.true_positives_at_thresholds(yb, pb, th)),
        ("fpt", m.false_positives_at_thresholds(yb, pb, th, weights=w)),
        ("tnt", m.true_negatives_at_thresholds(yb, pb, th, updates_collections=["uc"])),
        ("fnt", m.false_negatives_at_thresholds(yb, pb, th, weights=p["w2"])),
        ("pt", m.precision_at_thresholds(yb, pb, th, weights=w)),
        ("rt", m.recall_at_thresholds(yb, pb, th)),
        ("ss", m.sensitivity_at_specificity(yb, pb, 0.7, num_thresholds=11)),
        ("ss_w", m.sensitivity_at_specificity(yb, pb, 0.4, weights=w)),
        ("sp", m.specificity_at_sensitivity(yb, pb, 0.4, num_thresholds=7)),
        ("sp_w", m.specificity_at_sensitivity(yb, pb, 0.8, weights=w, num_thresholds=13)),
        ("auc", m.auc(yb, pb)),
        ("auc_w", m.auc(yb, pb, weights=w, num_thresholds=50)),
        ("auc_min", m.auc(yb, pb, summation_method="minoring", num_thresholds=20)),
        ("auc_maj", m.auc(yb, pb, summation_method="majoring", num_thresholds=20)),
        ("auc_pr", m.auc(yb, pb, curve="PR", num_thresholds=30)),
        ("auc_pr_ci", m.auc(yb, pb, curve="PR", summation_method="careful_interpolation",
                            weights=w)),
        ("auc_pr_min", m.auc(yb, pb, curve="PR", summation_method="minoring")),
        ("auc_th", m.auc(yb, pb, thresholds=[0.7, 0.1, 0.35], name="auc_given")),
        ("pk", m.precision_at_k(p["lk"], p["logits"], 2)),
        ("pk_c", m.precision_at_k(p["lk"], p["logits"], 3, class_id=2)),
        ("pk_1", m.precision_at_k(p["lk1"], p["logits"], 1, weights=w)),
        ("pk_s", m.precision_at_k(p["sk"], p["logits"], 2, class_id=1)),
        ("rk", m.recall_at_k(p["lk"], p["logits"], 2, weights=w)),
        ("rk_s", m.recall_at_k(p["sk"], p["logits"], 3, metrics_collections=["mc"])),
        ("rk_sc", m.recall_at_k(p["sk"], p["logits"], 3, class_id=4, weights=w)),
        ("ptk", m.precision_at_top_k(p["lk"], p["idx"])),
        ("ptk_s", m.precision_at_top_k(p["sk"], p["idx"], k=3, updates_collections=["uc"])),
        ("rtk", m.recall_at_top_k(p["lk"], p["idx"], class_id=0)),
        ("apk", m.average_precision_at_k(p["lk"], p["logits"], 3)),
        ("apk_s", m.average_precision_at_k(p["sk"], p["logits"], 2, weights=w)),
        ("apk_1", m.average_precision_at_k(p["lk1"], p["logits"], 4, name="ap")),
        ("sets", (tf.sets.set_size(tf.sets.set_union(p["lk"], p["sk"])),
                  tf.sets.set_size(tf.sets.set_difference(p["sk"], p["lk"])))),
    ]
    return out


def feed(p, b):
    return {p[k]: v for k, v in b.items()}


def describe(tf, out):
    local = [(v.op.name, v.dtype.base_dtype.name, v.shape.as_list())
             for v in tf.local_variables()]
    metric_vars = [v.op.name for v in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)]
    names = [(tag, value.name, update.name) for tag, (value, update) in out]
    colls = [t.name for t in tf.get_collection("mc")], [t.name for t in tf.get_collection("uc")]
    return local, metric_vars, names, colls, len(tf.global_variables())


def run(tf):
    g = tf.Graph()
    with g.as_default():
        p = placeholders(tf)
        out = metrics(tf, p)
        info = describe(tf, out)
        values = [v for _, (v, _) in out]
        updates = [u for _, (_, u) in out]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = [sess.run(values, feed(p, BATCHES[0]))]  # nothing counted yet
            for b in BATCHES:
                got.append(sess.run(updates, feed(p, b)))
                got.append(sess.run(values, feed(p, b)))
            sess.run(tf.local_variables_initializer())
            got.append(sess.run(updates, feed(p, BATCHES[1])))
            got.append(sess.run(values, feed(p, BATCHES[1])))
    return [tag for tag, _ in out], info, got


def failures(tf):
    """Which of these constructions (and runs) raise, and the exception's family."""
    def attempt(fn):
        g = tf.Graph()
        with g.as_default():
            try:
                fn()
                return "ok"
            except tf.errors.OpError as e:  # before ValueError: minitf's subclass it
                return type(e).__name__
            except (ValueError, TypeError) as e:
                return "ValueError" if isinstance(e, ValueError) else type(e).__name__

    def run_auc(labels_dtype, preds):
        y = tf.placeholder(labels_dtype, [None])
        pr = tf.placeholder(tf.float32, [None])
        _, up = tf.metrics.auc(y, pr, num_thresholds=3)
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            s.run(up, {y: [1, 0], pr: preds})

    m = tf.metrics
    one, half = (lambda: tf.constant([1])), (lambda: tf.constant([0.5]))
    cases = [
        lambda: m.mean_tensor(tf.placeholder(tf.float32, [None, 2])),
        lambda: m.sensitivity_at_specificity(one(), half(), 1.5),
        lambda: m.specificity_at_sensitivity(one(), half(), -0.1),
        lambda: m.auc(one(), half(), curve="XY"),
        lambda: m.auc(one(), half(), summation_method="other"),
        lambda: m.auc(one(), tf.constant([1.5])),  # known at construction: TF checks then
        lambda: m.average_precision_at_k([[1]], [[0.5, 0.2]], 0),
        lambda: m.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0]),
        lambda: m.mean_squared_error([[1.0, 2.0]], [[1.0, 2.0]], weights=[[1.0, 2.0, 3.0]]),
        lambda: m.true_positives([1, 0], [1, 1], weights=[[[1.0]]]),
        lambda: m.precision_at_k(tf.constant([[1, 2]], tf.int32),
                                 tf.constant([[0.1, 0.2, 0.3]]), 2, class_id=1),
        lambda: run_auc(tf.int64, [1.5, 0.2]),
        lambda: run_auc(tf.int64, [-0.5, 0.2]),
        lambda: run_auc(tf.bool, [1.5, 0.2]),  # TF's asserts hang on casts that do not happen
    ]
    return [attempt(fn) for fn in cases]


def same(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, rtol=2e-6, atol=1e-7, equal_nan=True)


def main():
    ok = True
    tags, info_mt, got_mt = run(mtf)
    _, info_tf, got_tf = run(tf1)
    for label, a, b in zip(("local variables", "metric variables", "op names", "collections",
                            "global variables"), info_mt, info_tf):
        if a != b:
            ok = False
            print(f"MISMATCH {label}:\n minitf {a}\n tf     {b}")
    for step, (rows_mt, rows_tf) in enumerate(zip(got_mt, got_tf)):
        for tag, a, b in zip(tags, rows_mt, rows_tf):
            if not same(a, b):
                ok = False
                print(f"MISMATCH {tag} at step {step}: minitf {a} tf {b}")
    f_mt, f_tf = failures(mtf), failures(tf1)
    if f_mt != f_tf:
        ok = False
        print(f"MISMATCH failures:\n minitf {f_mt}\n tf     {f_tf}")
    print("ALL OK" if ok else "FAILED")


if __name__ == "__main__":
    main()
