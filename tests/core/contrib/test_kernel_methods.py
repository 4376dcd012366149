"""tf.contrib.kernel_methods: the random Fourier feature map against numpy (same seeded draws)
and against the Gaussian kernel it approximates; the multiclass hinge loss against numpy; the
KernelLinearClassifier learning non-linearly-separable data only with a kernel mapper, its
contrib.learn calls and names; bad input."""

import itertools

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run

km = tf.contrib.kernel_methods
RNG = np.random.RandomState(2)


def test_random_fourier_features_match_numpy_draws():
    x = RNG.randn(5, 3).astype(np.float32)
    mapper = km.RandomFourierFeatureMapper(3, 7, stddev=2.0, seed=9, name="rffm")
    assert (mapper.name, mapper.input_dim, mapper.output_dim) == ("rffm", 3, 7)
    with tf.Graph().as_default():
        got = run(mapper.map(tf.constant(x)))
    state = np.random.get_state()
    np.random.seed(9)  # TF 1.15's draws: global seed, normal then uniform
    omega = np.random.normal(scale=1 / 2.0, size=[3, 7]).astype(np.float32)
    b = np.random.uniform(low=0.0, high=2 * np.pi, size=[7]).astype(np.float32)
    np.random.set_state(state)
    np.testing.assert_allclose(got, np.sqrt(2 / 7) * np.cos(x @ omega + b), rtol=1e-5,
                               atol=1e-6)
    assert km.RandomFourierFeatureMapper(1, 1).name.isdigit()  # unnamed: its id


def test_random_fourier_features_approximate_the_gaussian_kernel():
    x = RNG.randn(6, 4).astype(np.float32) * 0.7
    sigma = 1.5
    mapper = km.RandomFourierFeatureMapper(4, 20000, stddev=sigma, seed=1)
    with tf.Graph().as_default():
        z = run(mapper.map(tf.constant(x)))
    approx = z @ z.T
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(approx, np.exp(-d2 / (2 * sigma ** 2)), atol=0.03)


def test_mapper_shape_errors():
    mapper = km.RandomFourierFeatureMapper(3, 4)
    from minitf.contrib.kernel_methods import InvalidShapeError

    with tf.Graph().as_default():
        with pytest.raises(InvalidShapeError, match="should be 2. Got 1"):
            mapper.map(tf.zeros([3]))
        with pytest.raises(InvalidShapeError, match="expected 3 input features, got 5"):
            mapper.map(tf.zeros([2, 5]))


def _hinge(labels, logits):
    out = []
    for lab, row in zip(labels, logits):
        margins = row - row[lab] + (np.arange(len(row)) != lab)
        out.append(max(0.0, margins.max()))
    return np.array(out)


def test_sparse_multiclass_hinge_loss_matches_numpy():
    logits = RNG.randn(6, 4).astype(np.float32) * 2
    labels = RNG.randint(0, 4, size=6)
    weights = RNG.uniform(0, 2, size=6).astype(np.float32)
    weights[2] = 0
    per = _hinge(labels, logits)
    with tf.Graph().as_default():
        none = km.sparse_multiclass_hinge_loss(tf.constant(labels), logits,
                                               reduction=tf.losses.Reduction.NONE)
        default = km.sparse_multiclass_hinge_loss(tf.constant(labels[:, None], tf.int64),
                                                  logits, weights=weights)
        mean = km.sparse_multiclass_hinge_loss(tf.constant(labels), logits, weights=weights,
                                               reduction=tf.losses.Reduction.MEAN)
        assert tf.get_collection(tf.GraphKeys.LOSSES) == [none, default, mean]
        got = run([none, default, mean])
    np.testing.assert_allclose(got[0], per, rtol=1e-6)
    # SUM_BY_NONZERO_WEIGHTS: weighted sum over the count of non-zero weights
    np.testing.assert_allclose(got[1], (per * weights).sum() / 5, rtol=1e-6)
    np.testing.assert_allclose(got[2], (per * weights).sum() / weights.sum(), rtol=1e-6)


def test_hinge_loss_bad_inputs():
    with tf.Graph().as_default():
        logits = tf.zeros([2, 3])
        with pytest.raises(ValueError, match="logits should have rank 2"):
            km.sparse_multiclass_hinge_loss(tf.constant([0, 1]), tf.zeros([3]))
        with pytest.raises(ValueError, match="Invalid dtype for labels"):
            km.sparse_multiclass_hinge_loss(tf.constant([0.0, 1.0]), logits)
        with pytest.raises(ValueError, match="labels should have rank 1"):
            km.sparse_multiclass_hinge_loss(tf.constant([[[0]], [[1]]]), logits)
        with pytest.raises(ValueError, match="non-scalar weights should have rank 1"):
            km.sparse_multiclass_hinge_loss(tf.constant([0, 1]), logits,
                                            weights=tf.ones([2, 1, 1]))
        with pytest.raises(ValueError):
            km.sparse_multiclass_hinge_loss(tf.constant([0, 1]), logits, weights=[1.0, 2, 3])
        with pytest.raises(tf.errors.InvalidArgumentError):
            run(km.sparse_multiclass_hinge_loss(tf.constant([0, 3]), logits))


def _circles(n=200):
    """Two concentric rings: not linearly separable in the plane."""
    r = np.concatenate([RNG.uniform(0, 1, n // 2), RNG.uniform(2, 3, n // 2)])
    th = RNG.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(th), r * np.sin(th)], 1).astype(np.float32)
    return x, np.array([0] * (n // 2) + [1] * (n // 2))


def _finite_input(x, y):
    return tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=64, shuffle=False,
                                              num_epochs=1)


def test_kernel_classifier_separates_rings_only_with_a_kernel(tmp_path):
    x, y = _circles()
    train_fn = lambda: ({"x": tf.constant(x)}, tf.constant(y))  # noqa: E731
    col = tf.contrib.layers.real_valued_column("x", dimension=2)
    linear = km.KernelLinearClassifier(feature_columns=[col], model_dir=str(tmp_path / "a"))
    assert linear.fit(input_fn=train_fn, steps=50) is linear
    plain = linear.evaluate(input_fn=train_fn, steps=1)

    mapper = km.RandomFourierFeatureMapper(2, 100, stddev=1.0, seed=3)
    kernel = km.KernelLinearClassifier(
        feature_columns=[], kernel_mappers={col: [mapper]}, model_dir=str(tmp_path / "b"),
        optimizer=tf.train.FtrlOptimizer(learning_rate=50.0, l2_regularization_strength=0.001))
    kernel.fit(input_fn=train_fn, steps=50)
    mapped = kernel.evaluate(input_fn=_finite_input(x, y))
    assert plain["accuracy"] < 0.75 < 0.95 < mapped["accuracy"]
    assert mapped["global_step"] == 50
    # contrib.learn's linear model names
    names = kernel.get_variable_names()
    assert "linear/x_MAPPED/weight" in names and "linear/bias_weight" in names
    assert kernel.get_variable_value("linear/x_MAPPED/weight").shape == (100, 1)

    preds = list(kernel.predict(input_fn=_finite_input(x, y)))
    assert len(preds) == len(x) and set(preds[0]) == {"logits", "probabilities", "classes",
                                                       "logistic"}
    classes = np.array(list(kernel.predict_classes(input_fn=_finite_input(x, y))))
    proba = np.array(list(kernel.predict_proba(input_fn=_finite_input(x, y))))
    assert classes.dtype == np.int64 and proba.shape == (len(x), 2)
    np.testing.assert_array_equal(classes, proba.argmax(1))
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    # accuracy from the predictions agrees with evaluate's
    np.testing.assert_allclose((classes == y).mean(), mapped["accuracy"], atol=1e-6)
    logits = kernel.predict(input_fn=_finite_input(x, y), outputs=["logits"],
                            as_iterable=False)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits["logits"][:, 0])), proba[:, 1],
                               rtol=1e-4)


def test_kernel_classifier_multiclass_with_weights(tmp_path):
    centers = np.array([[0, 3], [3, 0], [-3, -3]], np.float32)
    y = np.repeat(np.arange(3), 30)
    x = centers[y] + RNG.randn(90, 2).astype(np.float32) * 0.5
    w = np.ones(90, np.float32)
    col = tf.contrib.layers.real_valued_column("x", dimension=2)
    clf = km.KernelLinearClassifier(
        feature_columns=[col], n_classes=3, weight_column_name="w",
        kernel_mappers={col: [km.RandomFourierFeatureMapper(2, 30, stddev=2.0, seed=1)]},
        model_dir=str(tmp_path))
    fn = lambda: ({"x": tf.constant(x), "w": tf.constant(w)}, tf.constant(y))  # noqa: E731
    clf.fit(input_fn=fn, steps=60)
    first = next(itertools.islice(clf.predict(input_fn=fn, iterate_batches=True), 1))
    assert first["probabilities"].shape == (90, 3) and "logistic" not in first
    assert (first["classes"] == y).mean() > 0.9
    assert {"linear/x/weight", "linear/x_MAPPED/weight"} <= set(clf.get_variable_names())


def test_kernel_classifier_bad_inputs(tmp_path):
    col = tf.contrib.layers.real_valued_column("x", dimension=2)
    with pytest.raises(ValueError, match="at least one of feature_columns, kernel_mappers"):
        km.KernelLinearClassifier(model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Invalid kernel mappers"):
        km.KernelLinearClassifier(kernel_mappers={col: ["not a mapper"]})
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        km.KernelLinearClassifier(feature_columns=[col], n_classes=1)
    clf = km.KernelLinearClassifier(feature_columns=[col], model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="input_fn only"):
        clf.fit(x=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(ValueError, match="Either x or input_fn"):
        clf.fit(steps=1)
    with pytest.raises(ValueError, match="Unknown prediction keys"):
        next(clf.predict(input_fn=lambda: ({"x": tf.zeros([1, 2])}, None), outputs=["nope"]))
