"""minitf's tf.keras.preprocessing (sequence, text, image), backend extras (convolutions,
pooling, resizing, padding, K.rnn, map_fn/folds, CTC) and utils.Progbar / get_source_inputs
against tf_keras (Keras 2, v1 graph mode). Preprocessing cases run both on the same inputs,
re-seeding Python's and numpy's random generators identically before each side; backend cases
build the same computation in a graph of each and compare the fetched values. Prints one "OK"
line per case. Run with TF_USE_LEGACY_KERAS=1 (tests/core/legacy_tf.py)."""

import contextlib
import io
import json
import os
import random
import re
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

import tf_keras  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf import keras as mkeras  # noqa: E402

RNG = np.random.default_rng(5)
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def same(a, b, what, atol=1e-5):
    if isinstance(a, dict) or isinstance(b, dict):
        assert dict(a) == dict(b), f"{what}: {a} != {b}"
        return
    if isinstance(a, (list, tuple)) and not isinstance(a, np.ndarray) and a and \
            isinstance(a[0], (list, tuple, np.ndarray)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{what}[{i}]", atol)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} != {b.shape}"
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5, err_msg=what)
    else:
        assert a.dtype == b.dtype or a.dtype.kind == b.dtype.kind == "U", \
            f"{what}: dtypes {a.dtype} != {b.dtype}"
        np.testing.assert_array_equal(a, b, err_msg=what)


def both(fn, seed=0):
    """fn(module tree) for minitf's keras and tf_keras, each after the same seeding; an
    exception is returned as (type name, message)."""
    out = []
    for k in (mkeras, tf_keras):
        random.seed(seed)
        np.random.seed(seed)
        try:
            out.append(fn(k))
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            out.append((type(e).__name__, str(e)))
    return out


def graph_both(fn, feeds=()):
    """fn(K, T) builds fetches in a fresh graph of minitf and of TF1; both evaluated."""
    out = []
    for K, T, G, S in ((mkeras.backend, mtf, mtf.Graph, mtf.Session),
                       (tf_keras.backend, tf1, tf.Graph, tf1.Session)):
        with G().as_default():
            fetches = fn(K, T)
            with S() as sess:
                out.append(sess.run(fetches))
    return out


# -- preprocessing.sequence ---------------------------------------------------------------------
SEQS = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]


@case
def pad_sequences():
    for kw in [{}, {"maxlen": 3}, {"maxlen": 4, "padding": "post"},
               {"maxlen": 2, "truncating": "post"}, {"maxlen": 6, "value": -1.5,
                                                     "dtype": "float32"},
               {"padding": "middle"}, {"maxlen": 2, "truncating": "x"},
               {"value": "pad"}, {"value": "pad", "dtype": object}]:
        a, b = both(lambda k, kw=kw: k.preprocessing.sequence.pad_sequences(SEQS, **kw))
        same(a, b, f"pad_sequences {kw}") if not isinstance(a, tuple) else \
            (assert_eq(a, b, kw))
    vecs = [np.ones((2, 3)), np.zeros((1, 3))]
    a, b = both(lambda k: k.preprocessing.sequence.pad_sequences(vecs, maxlen=3,
                                                                 dtype="float32"))
    same(a, b, "array samples")
    for bad in ([1, 2], [np.ones((2, 3)), np.ones((2, 2))]):
        a, b = both(lambda k, bad=bad: k.preprocessing.sequence.pad_sequences(bad))
        assert_eq(a, b, bad)


def assert_eq(a, b, what):
    assert a == b if not isinstance(a, np.ndarray) else False, f"{what}: {a} != {b}"


@case
def sampling_table_and_skipgrams():
    a, b = both(lambda k: k.preprocessing.sequence.make_sampling_table(50, 1e-2))
    same(a, b, "make_sampling_table")
    table = np.linspace(0.2, 1, 20)
    seq = [3, 0, 5, 7, 1, 9, 12, 3, 4]
    for kw in [{}, {"categorical": True}, {"negative_samples": 0.5, "window_size": 2},
               {"shuffle": False}, {"sampling_table": table, "seed": 3}]:
        a, b = both(lambda k, kw=kw: k.preprocessing.sequence.skipgrams(seq, 20, **kw),
                    seed=7)
        assert a == b, f"skipgrams {kw}: {a} != {b}"


@case
def timeseries_generator():
    data = np.arange(50).reshape(25, 2)
    targets = np.arange(25) * 10
    for kw in [{"length": 4}, {"length": 5, "sampling_rate": 2, "stride": 3, "batch_size": 4},
               {"length": 3, "start_index": 2, "end_index": 20, "reverse": True,
                "batch_size": 5}, {"length": 3, "shuffle": True, "batch_size": 6}]:
        a, b = both(lambda k, kw=kw: [
            k.preprocessing.sequence.TimeseriesGenerator(data, targets, **kw)[i]
            for i in range(len(k.preprocessing.sequence.TimeseriesGenerator(
                data, targets, **kw)))])
        assert len(a) == len(b), kw
        for (xa, ya), (xb, yb) in zip(a, b):
            same(xa, xb, f"ts x {kw}")
            same(ya, yb, f"ts y {kw}")
    a, b = both(lambda k: k.preprocessing.sequence.TimeseriesGenerator(data, targets[:3], 2))
    assert a == b, (a, b)
    a, b = both(lambda k: k.preprocessing.sequence.TimeseriesGenerator(data, targets, 30))
    assert a == b, (a, b)


# -- preprocessing.text -------------------------------------------------------------------------
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cat, dog & mat: a story",
         "the the the end"]


@case
def text_functions():
    for kw in [{}, {"lower": False}, {"split": ","}, {"filters": "a"}]:
        for t in TEXTS:
            a, b = both(lambda k, t=t, kw=kw: k.preprocessing.text.text_to_word_sequence(
                t, **kw))
            assert a == b, (t, kw, a, b)
    for t in TEXTS:
        a, b = both(lambda k, t=t: k.preprocessing.text.hashing_trick(t, 17, "md5"))
        assert a == b, (a, b)
        a, b = both(lambda k, t=t: k.preprocessing.text.one_hot(t, 11))
        assert a == b, (a, b)


@case
def tokenizer():
    for kw in [{}, {"num_words": 5}, {"num_words": 4, "oov_token": "<unk>"},
               {"char_level": True}, {"lower": False, "filters": ""}, {"split": "t"}]:
        def run(k, kw=kw):
            tok = k.preprocessing.text.Tokenizer(**kw)
            tok.fit_on_texts(TEXTS + [["Pre", "tokenized", "cat"]])
            probe = TEXTS + ["unknown words and the cat"]
            seqs = tok.texts_to_sequences(probe)
            out = {"word_index": tok.word_index, "index_word": tok.index_word,
                   "word_counts": dict(tok.word_counts), "word_docs": dict(tok.word_docs),
                   "index_docs": dict(tok.index_docs), "seqs": seqs,
                   "texts": tok.sequences_to_texts(seqs + [[1, 2, 99]]),
                   "config": json.loads(tok.to_json())["config"]}
            for mode in ("binary", "count", "tfidf", "freq"):
                out[mode] = tok.texts_to_matrix(probe, mode=mode).tolist()
            back = k.preprocessing.text.tokenizer_from_json(tok.to_json())
            out["roundtrip"] = back.texts_to_sequences(probe)
            out["roundtrip_tfidf"] = back.texts_to_matrix(probe, mode="tfidf").tolist()
            return out
        a, b = both(run)
        cfg_a, cfg_b = a.pop("config"), b.pop("config")
        for key in cfg_a:
            va, vb = cfg_a[key], cfg_b[key]
            if isinstance(va, str) and va.startswith("{"):
                va, vb = json.loads(va), json.loads(vb)
            assert va == vb, (kw, key, va, vb)
        for key in a:
            if isinstance(a[key], list) and a[key] and isinstance(a[key][0], list) and \
                    a[key][0] and isinstance(a[key][0][0], float):
                np.testing.assert_allclose(a[key], b[key], err_msg=f"{kw} {key}")
            else:
                assert a[key] == b[key], (kw, key, a[key], b[key])
    for bad in [lambda k: k.preprocessing.text.Tokenizer().texts_to_matrix(["a"]),
                lambda k: k.preprocessing.text.Tokenizer(num_words=3).sequences_to_matrix(
                    [[1]], mode="tfidf"),
                lambda k: k.preprocessing.text.Tokenizer(bogus=1)]:
        a, b = both(bad)
        assert a == b, (a, b)


# -- preprocessing.image ------------------------------------------------------------------------
IMAGES = RNG.uniform(0, 255, size=(7, 5, 4, 3)).astype(np.float32)
LABELS = np.arange(7)
ZCA_IMAGES = RNG.uniform(0, 1, size=(7, 2, 2, 1)).astype(np.float32) + \
    RNG.uniform(0, 1, size=(7, 1, 1, 1)).astype(np.float32)


@case
def image_data_generator():
    for kw in [{"rescale": 1 / 255.0}, {"horizontal_flip": True, "vertical_flip": True},
               {"samplewise_center": True, "samplewise_std_normalization": True},
               {"featurewise_center": True, "featurewise_std_normalization": True,
                "rescale": 0.5},
               {"zca_whitening": True},
               {"channel_shift_range": 20.0, "horizontal_flip": True},
               {"data_format": "channels_first", "vertical_flip": True,
                "featurewise_center": True}]:
        def run(k, kw=kw):
            gen = k.preprocessing.image.ImageDataGenerator(**kw)
            imgs = IMAGES if kw.get("data_format") != "channels_first" else \
                IMAGES.transpose(0, 3, 1, 2)
            if kw.get("zca_whitening"):  # enough samples for a well-conditioned covariance
                imgs = ZCA_IMAGES
            if any(kw.get(f) for f in ("featurewise_center", "featurewise_std_normalization",
                                       "zca_whitening")):
                gen.fit(imgs)
            flow = gen.flow(imgs, LABELS, batch_size=3, shuffle=True, seed=4)
            batches = [flow[i] for i in range(len(flow))]
            flow.on_epoch_end()
            batches += [flow[i] for i in range(len(flow))]
            it = gen.flow(imgs, batch_size=4, seed=9)
            batches += [(next(it), None) for _ in range(4)]
            return batches
        a, b = both(run, seed=1)
        assert len(a) == len(b), kw
        for i, ((xa, ya), (xb, yb)) in enumerate(zip(a, b)):
            same(xa, xb, f"{kw} batch {i} x", atol=1e-3 if kw.get("zca_whitening") else 1e-4)
            if ya is not None:
                same(ya, yb, f"{kw} batch {i} y")
    a, b = both(lambda k: k.preprocessing.image.ImageDataGenerator().flow(IMAGES[0], None))
    assert a[0] == b[0] == "ValueError", (a, b)


@case
def image_arrays():
    img = RNG.uniform(0, 255, size=(6, 5, 3)).astype(np.float32)
    gray = RNG.uniform(0, 255, size=(6, 5, 1)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        for arr, fmt in ((img, "channels_last"), (gray, "channels_last"),
                         (img.transpose(2, 0, 1), "channels_first")):
            a, b = both(lambda k, arr=arr, fmt=fmt: k.preprocessing.image.img_to_array(
                k.preprocessing.image.array_to_img(arr, data_format=fmt), data_format=fmt))
            same(a, b, f"array_to_img/img_to_array {fmt}")
        path = os.path.join(d, "x.png")
        tf_keras.preprocessing.image.array_to_img(img).save(path)
        for kw in [{}, {"color_mode": "grayscale"}, {"target_size": (3, 4)},
                   {"color_mode": "rgba", "target_size": (8, 3), "interpolation": "bilinear"}]:
            a, b = both(lambda k, kw=kw: k.preprocessing.image.img_to_array(
                k.preprocessing.image.load_img(path, **kw)))
            same(a, b, f"load_img {kw}")


# -- backend ------------------------------------------------------------------------------------
XS3 = X3 = RNG.normal(size=(2, 5, 3)).astype(np.float32)
XS4 = X4 = RNG.normal(size=(2, 6, 5, 3)).astype(np.float32)
XS5 = X5 = RNG.normal(size=(2, 4, 4, 3, 2)).astype(np.float32)


@case
def backend_array_extras():
    def build(K, T):
        X3, X4, X5 = (T.constant(v) for v in (XS3, XS4, XS5))
        return [K.repeat_elements(X3, 3, 1), K.repeat_elements(X4, 2, -1),
                K.reverse(X3, 1), K.reverse(X4, (0, 2)), K.temporal_padding(X3, (2, 1)),
                K.spatial_2d_padding(X4, ((1, 0), (2, 3))),
                K.spatial_2d_padding(X4, ((1, 2), (0, 1)), "channels_first"),
                K.spatial_3d_padding(X5, ((1, 0), (0, 1), (1, 1)), "channels_last"),
                K.resize_volumes(X5, 2, 1, 3, "channels_last"),
                K.resize_volumes(X5, 1, 2, 2, "channels_first"),
                K.map_fn(lambda r: r * 2.0 + 1.0, X3), K.foldl(lambda a, r: a * 0.5 + r, X3),
                K.foldr(lambda a, r: a * 0.5 + r, X3),
                K.foldl(lambda a, r: a + r, X3, initializer=np.ones((5, 3), np.float32))]
    a, b = graph_both(build)
    same(a, b, "array extras")


@case
def backend_convolutions():
    k1 = RNG.normal(size=(3, 3, 4)).astype(np.float32)
    k2 = RNG.normal(size=(3, 2, 3, 4)).astype(np.float32)
    dk = RNG.normal(size=(2, 2, 3, 2)).astype(np.float32)
    pk = RNG.normal(size=(1, 1, 6, 4)).astype(np.float32)
    kt = RNG.normal(size=(3, 3, 4, 3)).astype(np.float32)
    KERNELS = (k1, k2, dk, pk, kt)

    def build(K, T):
        k1, k2, dk, pk, kt = (T.constant(v) for v in KERNELS)
        X3, X4, X5 = (T.constant(v) for v in (XS3, XS4, XS5))
        cf3, cf4 = T.constant(XS3.transpose(0, 2, 1)), T.constant(XS4.transpose(0, 3, 1, 2))
        cf5 = T.constant(XS5.transpose(0, 4, 1, 2, 3))
        return [K.conv1d(X3, k1), K.conv1d(X3, k1, padding="same", strides=2),
                K.conv1d(X3, k1, padding="causal", dilation_rate=2),
                K.conv1d(cf3, k1, padding="same", data_format="channels_first"),
                K.conv2d(X4, k2), K.conv2d(X4, k2, (2, 1), "same"),
                K.conv2d(X4, k2, padding="same", dilation_rate=(2, 2)),
                K.conv2d(cf4, k2, padding="same", data_format="channels_first"),
                K.conv2d_transpose(X4, kt, (2, 12, 10, 4), (2, 2), "same"),
                K.conv2d_transpose(X4, kt, (2, 8, 7, 4), (1, 1), "valid"),
                K.conv2d_transpose(cf4, kt, (2, 4, 12, 10), (2, 2), "same",
                                   data_format="channels_first"),
                K.separable_conv2d(X4, dk, pk), K.separable_conv2d(X4, dk, pk, padding="same",
                                                                   dilation_rate=(2, 2)),
                K.separable_conv2d(cf4, dk, pk, (1, 1), "same", "channels_first"),
                K.depthwise_conv2d(X4, dk), K.depthwise_conv2d(X4, dk, (2, 2), "same"),
                K.depthwise_conv2d(cf4, dk, padding="same", data_format="channels_first"),
                K.pool2d(X4, (2, 2)), K.pool2d(X4, (3, 2), (2, 1), "same", pool_mode="avg"),
                K.pool2d(cf4, (2, 2), (2, 2), data_format="channels_first"),
                K.pool3d(X5, (2, 2, 1)), K.pool3d(X5, (2, 3, 2), (1, 2, 1), "same",
                                                   pool_mode="avg"),
                K.pool3d(cf5, (2, 2, 2), (1, 1, 1),
                         data_format="channels_first"),
                K.resize_images(X4, 2, 3, "channels_last"),
                K.resize_images(cf4, 3, 2, "channels_first")]
    a, b = graph_both(build)
    same(a, b, "convolutions", atol=1e-4)
    # bilinear: TF 1.15 resizes with resize_bilinear (no half-pixel centers); tf_keras (TF2's
    # tf.image.resize) differs, so TF1's op is the reference here
    a, b = graph_both(lambda K, T: K.resize_images(T.constant(X4), 2, 2, "channels_last",
                                                   "bilinear")
                      if K is mkeras.backend else T.image.resize_bilinear(X4, [12, 10]))
    same(a, b, "resize_images bilinear")
    for bad in [lambda K, c: K.pool2d(c(X4), (2, 2), pool_mode="min"),
                lambda K, c: K.conv2d(c(X4), c(k2), padding="full"),
                lambda K, c: K.pool2d(c(X4), (2, 2, 2)),
                lambda K, c: K.resize_images(c(X4), 2, 2, "nhwc")]:
        errs = []
        for K, G in ((mkeras.backend, mtf.Graph), (tf_keras.backend, tf.Graph)):
            with G().as_default():
                try:
                    bad(K, (mtf if K is mkeras.backend else tf1).constant)
                    errs.append(None)
                except ValueError as e:
                    errs.append(str(e))
        assert errs[0] is not None and errs[0] == errs[1], errs


@case
def backend_rnn():
    w = RNG.normal(size=(3, 4)).astype(np.float32)
    u = RNG.normal(size=(4, 4)).astype(np.float32)
    c = RNG.normal(size=(2, 4)).astype(np.float32)
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 1, 1]], bool)
    for kw in [{}, {"go_backwards": True}, {"mask": mask}, {"mask": mask, "unroll": True},
               {"mask": mask, "go_backwards": True}, {"unroll": True, "go_backwards": True},
               {"constants": [c]}, {"mask": mask, "zero_output_for_mask": True}]:
        def build(K, T, kw=kw):
            x = T.constant(X3)

            def step(xt, states):
                h = K.tanh(K.dot(xt, T.constant(w)) + K.dot(states[0], T.constant(u))
                           + (states[2] if len(states) > 2 else 0.0))
                return h * 2.0, [h, states[1] + 1.0]

            kws = dict(kw)
            if "constants" in kws:
                kws["constants"] = [T.constant(v) for v in kws["constants"]]
            if "mask" in kws:
                kws["mask"] = T.constant(kws["mask"])
            last, outs, states = K.rnn(step, x, [T.zeros((2, 4)), T.zeros((2, 4))], **kws)
            grad = T.gradients(T.reduce_sum(outs * outs) + T.reduce_sum(states[0]), x)[0]
            return [last, outs, states[0], states[1], grad]
        a, b = graph_both(build)
        same(a, b, f"rnn {sorted(kw)}", atol=1e-4)


@case
def backend_ctc():
    y = RNG.random((3, 7, 5)).astype(np.float32)
    y /= y.sum(-1, keepdims=True)
    labels = np.array([[1, 2, 2], [3, 0, 0], [0, 1, 3]], np.int32)

    def build(K, T):
        sp = K.ctc_label_dense_to_sparse(T.constant(labels), T.constant([3, 1, 2]))
        out = [sp.indices, sp.values, sp.dense_shape,
               K.ctc_batch_cost(T.constant(labels), T.constant(y),
                                T.constant([[7], [5], [6]]), T.constant([[3], [1], [2]]))]
        g, gp = K.ctc_decode(T.constant(y), T.constant([7, 5, 6]))
        bm, bp = K.ctc_decode(T.constant(y), T.constant([7, 5, 6]), greedy=False,
                              beam_width=4, top_paths=2)
        return out + g + [gp] + bm + [bp]
    a, b = graph_both(build)
    same(a, b, "ctc", atol=1e-4)


@case
def backend_learning_phase_scope():
    def build(K, T):
        x = K.in_train_phase(T.constant(1.0), T.constant(2.0))
        with K.learning_phase_scope(1):
            assert K.learning_phase() == 1
            inside = K.in_train_phase(T.constant(1.0), T.constant(2.0))
        with K.learning_phase_scope(0):
            assert K.learning_phase() == 0
            inside0 = K.in_train_phase(T.constant(1.0), T.constant(2.0))
        return [x, inside, inside0, K.learning_phase()]
    a, b = graph_both(build)
    same(a, b, "learning_phase_scope")
    assert a == [2.0, 1.0, 2.0, False], a
    errs = []
    for K in (mkeras.backend, tf_keras.backend):
        try:
            with K.learning_phase_scope(2):
                pass
        except ValueError as e:
            errs.append(str(e))
    assert len(errs) == 2 and errs[0] == errs[1], errs


# -- utils --------------------------------------------------------------------------------------
def _progbar_text(k, target, verbose, steps, **kw):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        bar = k.utils.Progbar(target, verbose=verbose, interval=0, **kw)
        for n, values in steps:
            bar.update(n, values)
        bar.add(1, [("loss", 0.25)])
    text = re.sub(r"(ETA: )?\d+(:\d\d)*s( |$)", r"\1Ts\3", buf.getvalue())
    text = re.sub(r"\d+(us|ms|s)/step", "T/step", text)
    # A line is padded and erased to the last line's width, which the times' digits vary.
    return re.sub(r" *\x08+", "<erase>", text)


@case
def progbar():
    steps = [(1, [("loss", 0.5), ("acc", 0.25)]), (4, [("loss", 0.7), ("acc", 0.5)]),
             (6, [("loss", 0.0001)])]
    a, b = both(lambda k: _progbar_text(k, 7, 1, steps))
    assert a == b, (a, b)
    a, b = both(lambda k: _progbar_text(k, 12, 1, steps, width=10))
    assert a == b, (a, b)
    a, b = both(lambda k: _progbar_text(k, None, 1, steps))
    assert a == b, (a, b)
    # verbose=2: one line at the end; tf_keras appends its epoch timings, TF 1.15 does not
    a, b = both(lambda k: _progbar_text(k, 7, 2, steps))
    assert b.startswith(a.rstrip("\n")), (a, b)


@case
def source_inputs():
    for k in (mkeras, tf_keras):
        with (mtf.Graph() if k is mkeras else tf.Graph()).as_default():
            i1, i2 = k.Input((3,)), k.Input((3,))
            h = k.layers.Dense(2)(i1)
            out = k.layers.Concatenate()([h, k.layers.Dense(2)(i2), h])
            got = k.utils.get_source_inputs(out)
            assert len(got) == 2 and got[0] is i1 and got[1] is i2, (k, got)
            assert k.utils.get_source_inputs(i2)[0] is i2


if __name__ == "__main__":
    for fn in CASES:
        try:
            fn()
            print(f"OK {fn.__name__}")
        except AssertionError as e:
            print(f"DIFF {fn.__name__}: {str(e)[:2000]}")
        except Exception as e:  # noqa: BLE001
            print(f"FAIL {fn.__name__}: {type(e).__name__}: {str(e)[:2000]}")
