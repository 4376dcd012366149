"""Builds the same feature-column graphs in minitf and tf.compat.v1 and compares them: the
values, static shapes and names of input_layer's and linear_model's outputs (every column kind,
dense and sparse inputs, -1/'' ignore values, OOV buckets, vocabulary files, crosses, Examples
parsed with make_parse_example_spec), the variables' names, shapes and collections,
cols_to_vars, a few GradientDescent steps from the same initial values, and the error classes
of bad inputs. Prints one OK line per check and ALL OK when everything agrees."""

import os
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()
tf1.logging.set_verbosity(tf1.logging.ERROR)

TMP = tempfile.mkdtemp()
WORDS = os.path.join(TMP, "words.txt")
with open(WORDS, "w") as f:
    f.write("apple\npear\nfig\nplum\n")
NUMBERS = os.path.join(TMP, "numbers.txt")
with open(NUMBERS, "w") as f:
    f.write("10\n20\n30\n")
FAILURES = []


def columns(tf):
    fc = tf.feature_column
    price = fc.numeric_column("price")
    pair = fc.numeric_column("pair", shape=(2,), normalizer_fn=lambda x: x * 2.0 - 1.0)
    ident = fc.categorical_column_with_identity("id", 6)
    ident_default = fc.categorical_column_with_identity("idd", 4, default_value=3)
    words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"], num_oov_buckets=3)
    ints = fc.categorical_column_with_vocabulary_list("n", [7, 9, 11], default_value=2)
    wfile = fc.categorical_column_with_vocabulary_file("f", WORDS, num_oov_buckets=2)
    nfile = fc.categorical_column_with_vocabulary_file("nf", NUMBERS, vocabulary_size=2,
                                                       dtype=tf.int64)
    hashed = fc.categorical_column_with_hash_bucket("h", 10)
    hashed_int = fc.categorical_column_with_hash_bucket("hi", 5, dtype=tf.int32)
    weighted = fc.weighted_categorical_column(ident, "idw")
    bucket = fc.bucketized_column(pair, [-1.0, 0.0, 2.5])
    cross = fc.crossed_column([fc.bucketized_column(price, [0.0, 10.0]), "h", words], 20)
    const = tf.constant_initializer(np.linspace(-1, 1, 18).reshape(6, 3))
    dense = [price, pair, bucket,
             fc.embedding_column(words, 3, initializer=const),
             fc.embedding_column(ident, 2, combiner="sqrtn",
                                 initializer=tf.constant_initializer(0.25)),
             fc.embedding_column(weighted, 2, combiner="sum", initializer=tf.ones_initializer()),
             fc.indicator_column(ident_default), fc.indicator_column(ints),
             fc.indicator_column(wfile), fc.indicator_column(nfile),
             fc.indicator_column(hashed), fc.indicator_column(hashed_int),
             fc.indicator_column(weighted), fc.indicator_column(cross)]
    linear = [price, bucket, ident, words, ints, wfile, hashed, weighted, cross,
              fc.indicator_column(ident_default)]
    return dense, linear


def features(tf):
    return {
        "price": tf.constant([1.0, 50.0, -3.0]),
        "pair": tf.placeholder(tf.float32, [None, 2], name="pair"),
        "id": tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 4, 5], tf.int64),
                              [3, 2]),
        "idw": tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [0.5, 2.0, -1.0], [3, 2]),
        "idd": tf.constant([[1, 9], [-1, 2], [0, -1]]),
        "w": tf.constant([["a", "zz"], ["", "c"], ["b", "q"]]),
        "n": tf.constant([[7, 8], [11, -1], [-1, -1]], tf.int64),
        "f": tf.constant([["pear", "kiwi"], ["apple", ""], ["plum", "fig"]]),
        "nf": tf.constant([[10], [30], [20]], tf.int64),
        "h": tf.constant(["x", "", "yy"]),
        "hi": tf.SparseTensor([[0, 0], [1, 0], [1, 1]], [3, -4, 12], [3, 2]),
    }


PAIR = np.array([[0.1, 0.9], [0.6, 2.0], [-0.5, 0.5]], np.float32)


def variables_of(tf):
    graph = tf.get_default_graph()
    keys = [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.TRAINABLE_VARIABLES,
            tf.GraphKeys.MODEL_VARIABLES, "mine"]
    return [(v.name, tuple(v.shape.as_list()), tuple(k for k in keys
                                                     if v in graph.get_collection(k)))
            for v in tf.global_variables()]


def check(name, ours, theirs, exact=False):
    ok = True
    if isinstance(theirs, np.ndarray) or isinstance(ours, np.ndarray):
        a, b = np.asarray(ours), np.asarray(theirs)
        ok = a.shape == b.shape and (np.array_equal(a, b) if exact else
                                     np.allclose(a, b, rtol=1e-5, atol=1e-6))
    else:
        ok = ours == theirs
    if ok:
        print(f"{name}: OK")
    else:
        FAILURES.append(f"{name}:\n ours {ours}\n   TF {theirs}")


def graph_run(tf):
    out = {}
    with tf.Graph().as_default():
        dense, linear = columns(tf)
        feats = features(tf)
        to_vars, to_out = {}, {}
        layer = tf.feature_column.input_layer(feats, dense, cols_to_vars=to_vars,
                                              cols_to_output_tensors=to_out)
        logits = tf.feature_column.linear_model(feats, linear, units=2,
                                                weight_collections=["mine"])
        lin_vars = {}
        mean = tf.feature_column.linear_model(feats, linear[:4], sparse_combiner="mean",
                                              cols_to_vars=lin_vars)
        out["names"] = [layer.name, logits.name, mean.name]
        out["shapes"] = [tuple(t.shape.as_list()) for t in (layer, logits, mean)] + \
            [(c.name, tuple(t.shape.as_list())) for c, t in
             sorted(to_out.items(), key=lambda kv: kv[0].name)]
        out["variables"] = variables_of(tf)
        out["cols_to_vars"] = sorted((c.name, [v.name for v in vs])
                                     for c, vs in to_vars.items()) + \
            sorted((c if isinstance(c, str) else c.name, [v.name for v in vs])
                   for c, vs in lin_vars.items())
        out["spec"] = sorted((k, type(v).__name__, tuple(getattr(v, "shape", ())),
                              v.dtype.name) for k, v in
                             tf.feature_column.make_parse_example_spec(dense + linear).items())
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            # Non-zero linear weights, so the lookups show in the logits.
            for v in tf.global_variables():
                if "linear_model" in v.name:
                    shape = v.shape.as_list()
                    sess.run(v.assign(np.arange(np.prod(shape), dtype=np.float32)
                                      .reshape(shape) / 10.0))
            out["values"] = sess.run([layer, logits, mean], {feats["pair"]: PAIR})
    return out


def example_run(tf):
    """Examples parsed with make_parse_example_spec, then input_layer and linear_model."""
    def example(price, words, ids):
        feat = {"price": tf1.train.Feature(float_list=tf1.train.FloatList(value=[price])),
                "w": tf1.train.Feature(bytes_list=tf1.train.BytesList(value=words)),
                "id": tf1.train.Feature(int64_list=tf1.train.Int64List(value=ids))}
        return tf1.train.Example(features=tf1.train.Features(feature=feat)).SerializeToString()

    records = [example(2.0, [b"a", b"c"], [1]), example(-1.0, [], [0, 3]),
               example(30.0, [b"zz"], [])]
    with tf.Graph().as_default():
        fc = tf.feature_column
        price = fc.numeric_column("price", default_value=0.0)
        words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"],
                                                           num_oov_buckets=1)
        ident = fc.categorical_column_with_identity("id", 4)
        cols = [price, fc.indicator_column(words), fc.embedding_column(
            ident, 2, initializer=tf.constant_initializer([[1, 2], [3, 4], [5, 6], [7, 8]]))]
        serialized = tf.placeholder(tf.string, [None])
        parsed = tf.parse_example(serialized, fc.make_parse_example_spec(cols))
        layer = fc.input_layer(parsed, cols)
        logits = fc.linear_model(parsed, [price, words, ident])
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            return [tuple(layer.shape.as_list())] + sess.run([layer, logits],
                                                             {serialized: records})


def train_run(tf):
    """Five GradientDescent steps of a model with an embedding and a linear part."""
    with tf.Graph().as_default():
        fc = tf.feature_column
        words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"],
                                                           num_oov_buckets=1)
        ident = fc.categorical_column_with_identity("id", 4)
        price = fc.numeric_column("price")
        feats = {"w": tf.constant([["a", "b"], ["c", ""], ["q", "a"], ["", ""]]),
                 "id": tf.constant([[1], [3], [0], [2]]),
                 "price": tf.constant([0.5, -1.0, 2.0, 0.0])}
        emb = fc.embedding_column(words, 2, initializer=tf.constant_initializer(
            [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6], [0.7, 0.8]]))
        hidden = fc.input_layer(feats, [emb, price, fc.indicator_column(ident)])
        kernel = tf.get_variable("kernel", [hidden.shape.as_list()[1], 1],
                                 initializer=tf.constant_initializer(0.3))
        logits = tf.matmul(hidden, kernel) + fc.linear_model(
            feats, [words, ident, fc.bucketized_column(price, [0.0, 1.0])])
        labels = tf.constant([[1.0], [0.0], [1.0], [0.0]])
        loss = tf.reduce_mean(tf.square(logits - labels))
        step = tf.train.GradientDescentOptimizer(0.2).minimize(loss)
        trajectory = []
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            for _ in range(5):
                _, value = sess.run([step, loss])
                trajectory.append(value)
            trajectory.extend(sess.run(tf.trainable_variables()))
        return trajectory


def errors_run(tf):
    fc = tf.feature_column
    out = []
    attempts = [
        lambda: fc.numeric_column("x", shape=(0,)),
        lambda: fc.numeric_column("x", shape=(1.5,)),
        lambda: fc.numeric_column("x", dtype=tf.string),
        lambda: fc.numeric_column("x", shape=(2,), default_value=[1.0]),
        lambda: fc.numeric_column(3),
        lambda: fc.bucketized_column(fc.numeric_column("x"), [2.0, 1.0]),
        lambda: fc.bucketized_column(fc.categorical_column_with_identity("x", 3), [1.0]),
        lambda: fc.categorical_column_with_identity("x", 0),
        lambda: fc.categorical_column_with_identity("x", 3, default_value=3),
        lambda: fc.categorical_column_with_vocabulary_list("x", ["a", "a"]),
        lambda: fc.categorical_column_with_vocabulary_list("x", ["a"], num_oov_buckets=2,
                                                           default_value=0),
        lambda: fc.categorical_column_with_vocabulary_list("x", [1.5, 2.5]),
        lambda: fc.categorical_column_with_vocabulary_list("x", ["a"], dtype=tf.int64),
        lambda: fc.categorical_column_with_vocabulary_file("x", "/no/such/file"),
        lambda: fc.categorical_column_with_hash_bucket("x", 0),
        lambda: fc.categorical_column_with_hash_bucket("x", 3, dtype=tf.float32),
        lambda: fc.weighted_categorical_column(fc.categorical_column_with_identity("x", 3),
                                               "w", dtype=tf.string),
        lambda: fc.embedding_column(fc.categorical_column_with_identity("x", 3), 0),
        lambda: fc.indicator_column(fc.numeric_column("x")),
        lambda: fc.crossed_column(["a"], 5),
        lambda: fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("b", 3)], 5),
    ]
    with tf.Graph().as_default():
        ident = fc.categorical_column_with_identity("id", 3)
        ints = {"id": tf.constant([[1]]), "x": tf.constant([[1.0]])}
        attempts += [
            lambda: fc.input_layer(ints, [ident]),  # a categorical column
            lambda: fc.input_layer({"x": tf.constant([[1.0]])}, [fc.numeric_column("y")]),
            lambda: fc.input_layer({"x": tf.constant(1.0)}, [fc.numeric_column("x")]),
            lambda: fc.input_layer(ints, [fc.indicator_column(
                fc.categorical_column_with_vocabulary_list("id", ["a"]))]),  # int vs string
            lambda: fc.input_layer({"id": tf.constant([["a"]])}, [fc.indicator_column(ident)]),
            lambda: fc.input_layer(ints, []),
            lambda: fc.input_layer(ints, [fc.numeric_column("x"), fc.numeric_column("x")]),
            lambda: fc.input_layer(ints, {"x": fc.numeric_column("x")}),
            lambda: fc.input_layer({"x": tf.SparseTensor([[0, 0]], [1.0], [1, 1])},
                                   [fc.numeric_column("x")]),
            lambda: fc.input_layer({"x": tf.constant([[1.0]]), "y": tf.constant([[1.0], [2.0]])},
                                   [fc.numeric_column("x"), fc.numeric_column("y")]),
            lambda: fc.input_layer({"id": tf.constant([[1]]), "w": tf.constant([[1]])},
                                   [fc.indicator_column(fc.weighted_categorical_column(
                                       ident, "w"))]),
            lambda: fc.make_parse_example_spec([fc.numeric_column("x"),
                                                fc.numeric_column("x", shape=(2,))]),
        ]
        for attempt in attempts:
            try:
                attempt()
                out.append(None)
            except (ValueError, TypeError) as e:
                out.append(type(e).__name__)
    return out


ours, theirs = graph_run(mtf), graph_run(tf1)
for key in ("names", "shapes", "variables", "cols_to_vars", "spec"):
    check(key, ours[key], theirs[key])
for i, (a, b) in enumerate(zip(ours["values"], theirs["values"])):
    check(f"values {i}", a, b)
ex_ours, ex_tf = example_run(mtf), example_run(tf1)
check("example shape", ex_ours[0], ex_tf[0])
for i, (a, b) in enumerate(zip(ex_ours[1:], ex_tf[1:])):
    check(f"example values {i}", a, b)
tr_ours, tr_tf = train_run(mtf), train_run(tf1)
check("training steps", len(tr_ours), len(tr_tf))
for i, (a, b) in enumerate(zip(tr_ours, tr_tf)):
    check(f"training {i}", np.asarray(a), np.asarray(b))
check("errors", errors_run(mtf), errors_run(tf1))
if FAILURES:
    print("\n".join(FAILURES))
    raise SystemExit(1)
print("ALL OK")
