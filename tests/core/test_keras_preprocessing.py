"""tf.keras.preprocessing (sequence, text, image), tf.keras.datasets, the backend extras
(convolutions, pooling, padding, resizing, K.rnn, loops, CTC) and utils.Progbar /
get_source_inputs against numpy and hand-computed values (TF-free); the side-by-side run
against tf_keras is tests/core/data/keras_extras_vs_tf.py."""

import builtins
import gzip
import hashlib
import io
import json
import os
import sys

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling
from minitf.keras.preprocessing import image, sequence, text

from tests.core.keras_session import _fresh_graph, ev  # noqa: F401 - an autouse fixture
from tests.core.legacy_tf import run_against_tf

RNG = np.random.default_rng(17)


# -- sequence -----------------------------------------------------------------------------------
def test_pad_sequences_options():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]
    np.testing.assert_array_equal(sequence.pad_sequences(seqs), [
        [0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10], [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(sequence.pad_sequences(seqs, maxlen=3, padding="post"), [
        [1, 2, 3], [4, 5, 0], [8, 9, 10], [0, 0, 0]])
    np.testing.assert_array_equal(sequence.pad_sequences(seqs, maxlen=2, truncating="post"), [
        [1, 2], [4, 5], [6, 7], [0, 0]])
    out = sequence.pad_sequences(seqs[:2], maxlen=4, dtype="float32", value=-0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-0.5, 1, 2, 3], [-0.5, -0.5, 4, 5]])
    out = sequence.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<p>")
    assert out.tolist() == [["a", "b"], ["<p>", "c"]]
    vec = sequence.pad_sequences([np.ones((2, 3)), np.full((1, 3), 2.0)], dtype="float32")
    assert vec.shape == (2, 2, 3) and vec[1, 0].sum() == 0 and vec[1, 1].sum() == 6


@pytest.mark.parametrize("kwargs, seqs, match", [
    ({"padding": "mid"}, [[1]], 'Padding type "mid" not understood'),
    ({"truncating": "x", "maxlen": 1}, [[1, 2]], 'Truncating type "x" not understood'),
    ({}, [1, 2], "must be a list of iterables"),
    ({"value": "p"}, [[1]], "You should set `dtype=object`"),
    ({}, [np.ones((2, 3)), np.ones((1, 2))], "is different from expected shape"),
])
def test_pad_sequences_errors(kwargs, seqs, match):
    with pytest.raises(ValueError, match=match):
        sequence.pad_sequences(seqs, **kwargs)


def test_sampling_table_and_skipgrams():
    table = sequence.make_sampling_table(6, 0.1)
    rank = np.array([1, 1, 2, 3, 4, 5], float)
    f = 0.1 * (rank * (np.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
    np.testing.assert_allclose(table, np.minimum(1, np.sqrt(f)))
    couples, labels = sequence.skipgrams([1, 0, 2, 3], 5, window_size=1, negative_samples=0,
                                         shuffle=False)
    assert couples == [[2, 3], [3, 2]] and labels == [1, 1]
    couples, labels = sequence.skipgrams([1, 2, 3], 5, window_size=1, negative_samples=1,
                                         categorical=True, shuffle=True, seed=1)
    assert sorted(map(tuple, labels)) == [(0, 1)] * 4 + [(1, 0)] * 4
    pos = {tuple(c) for c, lab in zip(couples, labels) if lab == [0, 1]}
    assert pos == {(1, 2), (2, 1), (2, 3), (3, 2)}
    assert all(1 <= c[1] < 5 for c, lab in zip(couples, labels) if lab == [1, 0])


def test_timeseries_generator():
    data = np.arange(20).reshape(10, 2)
    gen = sequence.TimeseriesGenerator(data, np.arange(10) * 10, length=3, sampling_rate=2,
                                       stride=2, batch_size=2)
    assert len(gen) == 2  # rows 3, 5 | 7, 9
    x, y = gen[0]
    np.testing.assert_array_equal(x, [data[[0, 2]], data[[2, 4]]])
    np.testing.assert_array_equal(y, [30, 50])
    x, y = gen[1]
    np.testing.assert_array_equal(y, [70, 90])
    x, _ = sequence.TimeseriesGenerator(data, data, length=2, reverse=True, batch_size=1)[0]
    np.testing.assert_array_equal(x, [data[[1, 0]]])
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(data, data[:3], length=2)
    with pytest.raises(ValueError, match="is disallowed"):
        sequence.TimeseriesGenerator(data, data, length=10)


def test_timeseries_generator_trains():
    data = RNG.normal(size=(40, 2)).astype(np.float32)
    gen = sequence.TimeseriesGenerator(data, data[:, 0], length=4, batch_size=8)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 2)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit_generator(gen, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()


# -- text ---------------------------------------------------------------------------------------
TEXTS = ["The cat sat.", "The dog, the cat!", "a bird"]


def test_text_functions():
    assert text.text_to_word_sequence("Hello, World!  x") == ["hello", "world", "x"]
    assert text.text_to_word_sequence("A-b", lower=False, filters="") == ["A-b"]
    assert text.text_to_word_sequence("a,b c", split=",") == ["a", "b c"]
    got = text.hashing_trick("Hello hello world", 7, hash_function="md5")
    md5 = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 6 + 1 for w in ("hello", "world")]
    assert got == [md5[0], md5[0], md5[1]]
    assert text.hashing_trick("a b", 3, hash_function=len) == [2, 2]
    assert text.one_hot("x y x", 50) == [hash("x") % 49 + 1, hash("y") % 49 + 1,
                                         hash("x") % 49 + 1]


def test_tokenizer_vocabulary_and_sequences():
    tok = text.Tokenizer()
    tok.fit_on_texts(TEXTS)
    # counts: the 3, cat 2, then first-seen order among count-1 words
    assert tok.word_index == {"the": 1, "cat": 2, "sat": 3, "dog": 4, "a": 5, "bird": 6}
    assert tok.index_word[4] == "dog" and tok.word_counts["the"] == 3
    assert tok.word_docs["the"] == 2 and tok.index_docs[1] == 2 and tok.document_count == 3
    assert tok.texts_to_sequences(["the bird flew", "cat"]) == [[1, 6], [2]]
    assert tok.sequences_to_texts([[1, 6, 42]]) == ["the bird"]
    small = text.Tokenizer(num_words=3, oov_token="<unk>")
    small.fit_on_texts(TEXTS)
    assert small.word_index["<unk>"] == 1 and small.word_index["the"] == 2
    assert small.texts_to_sequences(["the cat flew"]) == [[2, 1, 1]]
    assert small.sequences_to_texts([[2, 5]]) == ["the <unk>"]
    chars = text.Tokenizer(char_level=True)
    chars.fit_on_texts(["aab", "Ba"])
    assert chars.word_index == {"a": 1, "b": 2} and chars.texts_to_sequences(["ba"]) == [[2, 1]]


def test_tokenizer_matrices():
    tok = text.Tokenizer()
    tok.fit_on_texts(TEXTS)
    probe = ["the the cat", ""]
    np.testing.assert_array_equal(tok.texts_to_matrix(probe, "binary")[0], [0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tok.texts_to_matrix(probe, "count")[0], [0, 2, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(tok.texts_to_matrix(probe, "freq")[0],
                               [0, 2 / 3, 1 / 3, 0, 0, 0, 0])
    tfidf = tok.texts_to_matrix(probe, "tfidf")
    np.testing.assert_allclose(tfidf[0, 1], (1 + np.log(2)) * np.log(1 + 3 / 3))
    np.testing.assert_allclose(tfidf[0, 2], 1 * np.log(1 + 3 / 3))
    assert tfidf[1].sum() == 0 and tfidf.shape == (2, 7)
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        tok.texts_to_matrix(probe, "bogus")
    with pytest.raises(ValueError, match="Specify a dimension"):
        text.Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        text.Tokenizer(bogus=1)


def test_tokenizer_json_roundtrip():
    tok = text.Tokenizer(num_words=5, oov_token="?")
    tok.fit_on_texts(TEXTS)
    cfg = json.loads(tok.to_json())
    assert cfg["class_name"] == "Tokenizer" and cfg["config"]["num_words"] == 5
    back = text.tokenizer_from_json(tok.to_json())
    assert back.word_index == tok.word_index and back.index_word == tok.index_word
    probe = ["the dog and a bird"]
    assert back.texts_to_sequences(probe) == tok.texts_to_sequences(probe)
    np.testing.assert_allclose(back.texts_to_matrix(probe, "tfidf"),
                               tok.texts_to_matrix(probe, "tfidf"))


# -- image --------------------------------------------------------------------------------------
IMGS = RNG.uniform(0, 255, size=(6, 4, 3, 3)).astype(np.float32)


def test_image_generator_standardization():
    gen = image.ImageDataGenerator(rescale=0.5, samplewise_center=True,
                                   samplewise_std_normalization=True)
    x, y = gen.flow(IMGS, np.arange(6), batch_size=6, shuffle=False)[0]
    ref = IMGS * 0.5
    ref = ref - ref.mean(axis=(1, 2, 3), keepdims=True)
    ref = ref / (ref.std(axis=(1, 2, 3), keepdims=True) + 1e-6)
    np.testing.assert_allclose(x, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(y, np.arange(6))
    feat = image.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    feat.fit(IMGS)
    np.testing.assert_allclose(feat.mean.ravel(), IMGS.mean(axis=(0, 1, 2)), rtol=1e-5)
    out = feat.flow(IMGS, batch_size=6, shuffle=False)[0]
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    with pytest.raises(ValueError, match="rank 4"):
        feat.fit(IMGS[0])


def test_image_generator_flips_and_flow():
    gen = image.ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    flow = gen.flow(IMGS, np.arange(6), batch_size=4, shuffle=True, seed=3)
    assert len(flow) == 2
    xs, ys = zip(*[flow[i] for i in range(len(flow))])
    ys = np.concatenate(ys)
    assert sorted(ys) == list(range(6))
    flipped = 0
    for x, j in zip(np.concatenate(xs), ys):
        variants = [IMGS[j], IMGS[j][:, ::-1], IMGS[j][::-1], IMGS[j][::-1, ::-1]]
        match = [np.array_equal(x, v) for v in variants]
        assert builtins.any(match)
        flipped += not match[0]
    assert flipped  # seed 3 flips some of the six
    again = gen.flow(IMGS, np.arange(6), batch_size=4, shuffle=True, seed=3)
    np.testing.assert_array_equal(again[0][0], xs[0])
    it = gen.flow(IMGS, batch_size=4, shuffle=False)
    assert next(it).shape == (4, 4, 3, 3) and next(it).shape == (2, 4, 3, 3)


def test_image_generator_refusals_and_training(monkeypatch):
    for missing in ("scipy", "scipy.ndimage", "PIL", "PIL.ImageEnhance"):  # as if not installed
        monkeypatch.setitem(sys.modules, missing, None)
    for kwargs in ({"rotation_range": 10}, {"width_shift_range": 0.1}, {"zoom_range": 0.2},
                   {"shear_range": 1.0}, {"height_shift_range": [1, 2]}):
        with pytest.raises(ValueError, match="scipy"):
            image.ImageDataGenerator(**kwargs)
    with pytest.raises(ValueError, match="Pillow"):
        image.ImageDataGenerator(brightness_range=(0.5, 1.5))
    with pytest.raises(ValueError, match="same length"):
        image.ImageDataGenerator().flow(IMGS, np.arange(3))
    gen = image.ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 3, 3)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    hist = model.fit_generator(gen.flow(IMGS, np.arange(6) % 2, batch_size=3, seed=1),
                               epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()


def test_image_arrays_and_pillow_error(monkeypatch):
    assert image.img_to_array(np.zeros((4, 5))).shape == (4, 5, 1)
    assert image.img_to_array(np.zeros((4, 5, 3)), "channels_first").shape == (3, 4, 5)
    with pytest.raises(ValueError, match="Unsupported image shape"):
        image.img_to_array(np.zeros(3))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="Pillow"):
        image.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match="Pillow"):
        image.load_img("nowhere.png")


# -- datasets -----------------------------------------------------------------------------------
@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    path = tmp_path / ".keras" / "datasets"
    path.mkdir(parents=True)
    return path


def test_mnist_and_boston(cache):
    x = RNG.integers(0, 255, size=(5, 28, 28), dtype=np.uint8)
    np.savez(cache / "mnist.npz", x_train=x, y_train=np.arange(5, dtype=np.uint8),
             x_test=x[:2], y_test=np.arange(2, dtype=np.uint8))
    (xt, yt), (xs, ys) = keras.datasets.mnist.load_data()
    np.testing.assert_array_equal(xt, x)
    np.testing.assert_array_equal(ys, [0, 1])
    bx, by = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    np.savez(cache / "boston_housing.npz", x=bx, y=by)
    (xt, yt), (xs, ys) = keras.datasets.boston_housing.load_data(test_split=0.3, seed=2)
    np.random.seed(2)
    perm = np.random.permutation(10)
    np.testing.assert_array_equal(xt, bx[perm[:7]])
    np.testing.assert_array_equal(ys, by[perm[7:]])


def test_fashion_mnist_idx_files(cache):
    (cache / "fashion-mnist").mkdir()
    x = RNG.integers(0, 255, size=(3, 28, 28), dtype=np.uint8)
    for prefix, n in (("train", 3), ("t10k", 2)):
        with gzip.open(cache / "fashion-mnist" / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + bytes(range(n)))
        with gzip.open(cache / "fashion-mnist" / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + x[:n].tobytes())
    (xt, yt), (xs, ys) = keras.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(xt, x)
    np.testing.assert_array_equal(xs, x[:2])
    np.testing.assert_array_equal(ys, [0, 1])


def test_cifar_binary(cache):
    (cache / "cifar-10-batches-bin").mkdir()
    imgs = RNG.integers(0, 255, size=(6, 3, 32, 32), dtype=np.uint8)
    for i in range(1, 6):
        rec = np.concatenate([[i], imgs[i].ravel()]).astype(np.uint8)
        rec.tofile(cache / "cifar-10-batches-bin" / f"data_batch_{i}.bin")
    np.concatenate([[9], imgs[0].ravel()]).astype(np.uint8).tofile(
        cache / "cifar-10-batches-bin" / "test_batch.bin")
    (xt, yt), (xs, ys) = keras.datasets.cifar10.load_data()
    assert xt.shape == (5, 32, 32, 3) and yt.shape == (5, 1) and yt.dtype == np.uint8
    np.testing.assert_array_equal(xt[2], imgs[3].transpose(1, 2, 0))
    np.testing.assert_array_equal(ys, [[9]])
    (cache / "cifar-100-binary").mkdir()
    for f, (coarse, fine) in (("train.bin", (4, 77)), ("test.bin", (1, 2))):
        np.concatenate([[coarse, fine], imgs[1].ravel()]).astype(np.uint8).tofile(
            cache / "cifar-100-binary" / f)
    (xt, yt), _ = keras.datasets.cifar100.load_data()
    assert yt.tolist() == [[77]] and yt.dtype == np.int64
    assert keras.datasets.cifar100.load_data("coarse")[1][1].tolist() == [[1]]
    with pytest.raises(ValueError, match="label_mode"):
        keras.datasets.cifar100.load_data("medium")


def test_missing_and_pickled_files(cache, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=str(cache / "mnist.npz")):
        keras.datasets.mnist.load_data()
    (cache / "cifar-10-batches-py").mkdir()
    with pytest.raises(FileNotFoundError, match="never unpickles"):
        keras.datasets.cifar10.load_data()
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 2], [3]
    np.savez(cache / "imdb.npz", x_train=ragged, y_train=np.arange(2))
    with pytest.raises(ValueError, match="pickle"):
        keras.datasets.imdb.load_data()
    (cache / "reuters_word_index.json").write_text('{"the": 1}')
    assert keras.datasets.reuters.get_word_index() == {"the": 1}
    other = tmp_path / "kh"
    (other / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(other))
    with pytest.raises(FileNotFoundError, match=os.path.join(str(other), "datasets")):
        keras.datasets.boston_housing.load_data()


# -- backend extras -----------------------------------------------------------------------------
X3 = RNG.normal(size=(2, 5, 3)).astype(np.float32)
X4 = RNG.normal(size=(2, 4, 6, 3)).astype(np.float32)


def test_backend_array_extras():
    np.testing.assert_array_equal(ev(K.repeat_elements(K.constant(X3), 2, 1)),
                                  np.repeat(X3, 2, 1))
    p = K.placeholder((None, 5, 3))
    out = K.repeat_elements(p, 3, -1)
    assert K.int_shape(out) == (None, 5, 9)
    np.testing.assert_array_equal(K.get_session().run(out, {p: X3}), np.repeat(X3, 3, -1))
    np.testing.assert_array_equal(ev(K.reverse(K.constant(X3), (0, 2))), X3[::-1, :, ::-1])
    np.testing.assert_array_equal(ev(K.temporal_padding(K.constant(X3), (1, 2))),
                                  np.pad(X3, [(0, 0), (1, 2), (0, 0)]))
    np.testing.assert_array_equal(
        ev(K.spatial_2d_padding(K.constant(X4), ((1, 0), (0, 2)), "channels_first")),
        np.pad(X4, [(0, 0), (0, 0), (1, 0), (0, 2)]))
    np.testing.assert_array_equal(
        ev(K.resize_volumes(K.constant(X4[..., None]), 2, 1, 3, "channels_last")),
        np.repeat(np.repeat(X4[..., None], 2, 1), 3, 3))
    np.testing.assert_allclose(ev(K.map_fn(lambda r: r * 2, K.constant(X3))), X3 * 2)
    np.testing.assert_allclose(ev(K.foldl(lambda a, r: a * 0.5 + r, K.constant(X3))),
                               X3[0] * 0.5 + X3[1])
    np.testing.assert_allclose(ev(K.foldr(lambda a, r: a * 0.5 + r, K.constant(X3))),
                               X3[1] * 0.5 + X3[0])
    with pytest.raises(ValueError, match="`padding` must be a tuple of 2 integers"):
        K.temporal_padding(K.constant(X3), (1, 2, 3))


def test_backend_convolutions_and_pooling():
    k = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    out = ev(K.conv1d(K.constant(X3), K.constant(k), padding="causal"))
    xp = np.pad(X3, [(0, 0), (1, 0), (0, 0)])
    ref = np.stack([np.einsum("bkc,kcf->bf", xp[:, t:t + 2], k) for t in range(5)], 1)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    cf = ev(K.conv1d(K.constant(X3.transpose(0, 2, 1)), K.constant(k), padding="causal",
                     data_format="channels_first"))
    np.testing.assert_allclose(cf, ref.transpose(0, 2, 1), rtol=1e-5, atol=1e-5)
    k2 = RNG.normal(size=(2, 2, 3, 5)).astype(np.float32)
    out = ev(K.conv2d(K.constant(X4), K.constant(k2), strides=(2, 2)))
    ref = np.einsum("bijc,ijcf->bf", X4[:, 2:4, 4:6], k2)
    np.testing.assert_allclose(out[:, 1, 2], ref, rtol=1e-5, atol=1e-5)
    out = ev(K.conv2d_transpose(K.constant(np.ones((1, 2, 2, 1), np.float32)),
                                K.constant(np.ones((2, 2, 1, 1), np.float32)),
                                (None, 4, 4, 1), (2, 2), "valid"))
    np.testing.assert_array_equal(out, np.ones((1, 4, 4, 1)))
    dk = RNG.normal(size=(1, 1, 3, 2)).astype(np.float32)
    out = ev(K.depthwise_conv2d(K.constant(X4), K.constant(dk)))
    np.testing.assert_allclose(out, (X4[..., :, None] * dk[0, 0]).reshape(2, 4, 6, 6),
                               rtol=1e-5, atol=1e-6)
    pk = RNG.normal(size=(1, 1, 6, 2)).astype(np.float32)
    out = ev(K.separable_conv2d(K.constant(X4), K.constant(dk), K.constant(pk)))
    np.testing.assert_allclose(out, (X4[..., :, None] * dk[0, 0]).reshape(2, 4, 6, 6) @ pk[0, 0],
                               rtol=1e-5, atol=1e-5)
    out = ev(K.pool2d(K.constant(X4), (2, 3), (2, 3)))
    np.testing.assert_allclose(out, X4.reshape(2, 2, 2, 2, 3, 3).max(axis=(2, 4)))
    out = ev(K.pool2d(K.constant(X4), (2, 3), (2, 3), pool_mode="avg"))
    np.testing.assert_allclose(out, X4.reshape(2, 2, 2, 2, 3, 3).mean(axis=(2, 4)), rtol=1e-5)
    x5 = RNG.normal(size=(1, 2, 2, 2, 1)).astype(np.float32)
    np.testing.assert_allclose(ev(K.pool3d(K.constant(x5), (2, 2, 2), (2, 2, 2))).ravel(),
                               [x5.max()])
    np.testing.assert_array_equal(ev(K.resize_images(K.constant(X4), 2, 3, "channels_last")),
                                  np.repeat(np.repeat(X4, 2, 1), 3, 2))
    with pytest.raises(ValueError, match="Invalid pooling mode: min"):
        K.pool2d(K.constant(X4), (2, 2), pool_mode="min")
    with pytest.raises(ValueError, match="Invalid padding: full"):
        K.conv2d(K.constant(X4), K.constant(k2), padding="full")
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(K.constant(X4), 2, 2, "channels_last", "cubic")


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask_rank", [2, 3])  # [batch, time] or [batch, time, 1]
def test_backend_rnn_running_sum(unroll, go_backwards, mask_rank):
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)

    def step(x, states):
        s = states[0] + x * states[1]
        return s * 10.0, [s, states[1]]

    scale = np.full((2, 3), 2.0, np.float32)
    last, outs, states = K.rnn(step, K.constant(X3), [K.zeros_like(K.constant(X3[:, 0])),
                                                      K.constant(scale)],
                               go_backwards=go_backwards, unroll=unroll,
                               mask=K.constant(mask if mask_rank == 2 else mask[..., None]))
    last, outs, state = K.get_session().run([last, outs, states[0]])
    order = range(4, -1, -1) if go_backwards else range(5)
    s, prev, ref = np.zeros((2, 3)), np.zeros((2, 3)), []
    for t in order:
        m = mask[:, t, None]
        s = np.where(m, s + 2 * X3[:, t], s)
        prev = np.where(m, s * 10, prev)
        ref.append(prev)
    np.testing.assert_allclose(outs, np.stack(ref, 1), rtol=1e-5)
    np.testing.assert_allclose(last, ref[-1], rtol=1e-5)
    np.testing.assert_allclose(state, s, rtol=1e-5)


def test_backend_ctc():
    sp = K.ctc_label_dense_to_sparse(K.constant([[1, 2, 3], [4, 5, 6]], dtype="int32"),
                                     K.constant([2, 1], dtype="int32"))
    ind, val, shp = K.get_session().run([sp.indices, sp.values, sp.dense_shape])
    assert ind.tolist() == [[0, 0], [0, 1], [1, 0]] and val.tolist() == [1, 2, 4]
    assert shp.tolist() == [2, 3]
    probs = np.full((1, 4, 3), 0.1, np.float32)
    for t, c in enumerate([0, 0, 2, 1]):  # blank is class 2: "0 0 _ 1" -> [0, 1]
        probs[0, t, c] = 0.8
    dec, logp = K.ctc_decode(K.constant(probs), K.constant([4]))
    dec, logp = K.get_session().run([dec[0], logp])
    assert dec.tolist() == [[0, 1, -1, -1]]
    np.testing.assert_allclose(logp, [[-4 * np.log(0.8 + 1e-7)]], rtol=1e-5)
    # one step, one label: the loss is -log p(label)
    one = np.array([[[0.7, 0.2, 0.1]]], np.float32)
    loss = ev(K.ctc_batch_cost(K.constant([[0]]), K.constant(one), K.constant([[1]]),
                               K.constant([[1]])))
    np.testing.assert_allclose(loss, [[-np.log(0.7 + 1e-7)]], rtol=1e-5)


def test_learning_phase_scope():
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
        assert ev(K.in_train_phase(K.constant(1.0), K.constant(2.0))) == 1.0
    assert K.get_session().run(K.learning_phase()) == 0
    with pytest.raises(ValueError, match="Expected learning phase to be 0 or 1."):
        with K.learning_phase_scope(3):
            pass


# -- utils --------------------------------------------------------------------------------------
def test_progbar_output(monkeypatch):
    clock = iter([100.0, 101.0, 104.0, 106.0, 107.0])
    monkeypatch.setattr("minitf.keras.utils.time.time", lambda: next(clock))
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    bar = keras.utils.Progbar(4, width=8, stateful_metrics=["lr"])
    bar.update(1, [("loss", 1.0), ("lr", 0.5)])
    bar.update(3, [("loss", 0.25)])
    bar.add(1, [("loss", 0.0001)])
    out = buf.getvalue()
    first = "1/4 [=>......]"
    assert out.startswith("\r" + first + " - ETA: 3s - loss: 1.0000 - lr: 0.5\x08")
    assert "\r3/4 [=====>..] - ETA: 1s - loss: 0.5000 - lr: 0.5" in out
    # loss: (1*1 + 0.25*2 + 0.0001*1) / 4 steps; 6 s over 4 steps
    assert out.endswith("\r4/4 [========] - 6s 2s/step - loss: 0.3750 - lr: 0.5\n")
    buf.truncate(0)
    buf.seek(0)
    clock = iter([0.0, 0.001, 0.002])
    quiet = keras.utils.Progbar(2, verbose=2)
    quiet.update(1, [("acc", 0.5)])
    quiet.update(2, [("acc", 1.0)])
    assert buf.getvalue() == "2/2 - 0s - acc: 0.7500\n"


def test_get_source_inputs():
    a, b = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(2)(a)
    out = keras.layers.Concatenate()([h, b, keras.layers.Dense(2)(h)])
    got = keras.utils.get_source_inputs(out)
    assert len(got) == 2 and got[0] is a and got[1] is b
    assert keras.utils.get_source_inputs(b)[0] is b
    plain = tf.constant(1.0)
    assert keras.utils.get_source_inputs(plain) is plain


def test_against_tf_keras():
    run_against_tf("keras_extras_vs_tf.py", 14)
