"""ImageDataGenerator's rotations, shifts, shear, zoom (scipy.ndimage) and brightness (Pillow):
hand-built expectations (a 90-degree turn is np.rot90, whole-pixel shifts are np.roll with the
fill at the edge, zoom 1 is the identity), tf_keras' ImageDataGenerator with the same seeds
(random_transform, get_random_transform, flow batches, the module functions), and the errors
naming scipy / Pillow when they are missing (that test needs neither TF nor scipy)."""

import sys

import numpy as np
import pytest

from minitf.keras.preprocessing import image

RNG = np.random.RandomState(0)
IMGS = RNG.uniform(0, 255, (7, 6, 8, 3)).astype(np.float32)
SQUARE = np.arange(25, dtype=np.float32).reshape(5, 5, 1) + np.arange(2, dtype=np.float32)

# One config per option, then mixes (fill modes, channels_first, cubic interpolation).
CONFIGS = [
    {"rotation_range": 30},
    {"width_shift_range": 0.2},
    {"height_shift_range": 0.3},
    {"width_shift_range": 2},  # an int: whole pixels, value and sign drawn separately
    {"height_shift_range": [1, 3]},
    {"width_shift_range": 3.0},  # a float >= 1: pixels, one uniform draw
    {"shear_range": 25},
    {"zoom_range": 0.3},
    {"zoom_range": [0.6, 1.4]},
    {"zoom_range": [1, 1]},
    {"channel_shift_range": 30.0},
    {"brightness_range": (0.4, 1.6)},
    {"rotation_range": 40, "width_shift_range": 0.2, "height_shift_range": 0.1,
     "shear_range": 10, "zoom_range": 0.2, "horizontal_flip": True, "vertical_flip": True,
     "channel_shift_range": 10.0, "fill_mode": "constant", "cval": 7.0},
    {"rotation_range": 90, "zoom_range": 0.4, "fill_mode": "reflect",
     "data_format": "channels_first"},
    {"rotation_range": 50, "shear_range": 30, "fill_mode": "wrap", "interpolation_order": 3},
    {"rotation_range": 20, "width_shift_range": 0.1, "rescale": 1 / 255.0,
     "samplewise_center": True, "interpolation_order": 0},
]


def _needs_scipy():
    pytest.importorskip("scipy.ndimage")


def _affine(x, **kw):
    return image.apply_affine_transform(x, row_axis=0, col_axis=1, channel_axis=2, **kw)


def test_rotation_by_90_degrees_is_rot90():
    _needs_scipy()
    np.testing.assert_allclose(_affine(SQUARE, theta=90), np.rot90(SQUARE, 1, axes=(0, 1)),
                               atol=1e-5)
    np.testing.assert_allclose(_affine(SQUARE, theta=-90), np.rot90(SQUARE, -1, axes=(0, 1)),
                               atol=1e-5)
    np.testing.assert_allclose(_affine(SQUARE, theta=180), SQUARE[::-1, ::-1], atol=1e-5)
    # Channels first: the same turn on the other layout.
    first = image.apply_affine_transform(SQUARE.transpose(2, 0, 1), theta=90)
    np.testing.assert_allclose(first, np.rot90(SQUARE, 1, axes=(0, 1)).transpose(2, 0, 1),
                               atol=1e-5)


def test_whole_pixel_shifts_are_rolls_with_the_fill_at_the_edge():
    _needs_scipy()
    # As in Keras, the matrix is built for (x, y) and swapped for (row, col) arrays, so
    # ``tx`` (what height_shift_range draws) moves columns and ``ty`` rows.
    want = np.roll(SQUARE, -1, axis=1)
    want[:, -1] = -1.0
    np.testing.assert_allclose(_affine(SQUARE, tx=1, fill_mode="constant", cval=-1.0), want,
                               atol=1e-6)
    want = np.roll(SQUARE, 2, axis=0)
    want[:2] = SQUARE[:1]  # "nearest" repeats the first row
    np.testing.assert_allclose(_affine(SQUARE, ty=-2), want, atol=1e-6)


def test_zoom_one_is_identity_and_zoom_scales_about_the_centre():
    _needs_scipy()
    gen = image.ImageDataGenerator(zoom_range=[1, 1])
    assert gen.get_random_transform(SQUARE.shape, seed=1)["zx"] == 1
    np.testing.assert_array_equal(gen.random_transform(SQUARE, seed=1), SQUARE)
    np.testing.assert_array_equal(_affine(SQUARE, zx=1, zy=1), SQUARE)
    # zx = zy = 2 reads input at centre + 2 * (output - centre): output (1, 1) is input
    # (0, 0), (3, 3) is (4, 4), the centre stays.
    got = _affine(SQUARE, zx=2, zy=2, order=0)
    for out, src in (((1, 1), (0, 0)), ((3, 3), (4, 4)), ((2, 2), (2, 2)), ((1, 3), (0, 4))):
        np.testing.assert_array_equal(got[out], SQUARE[src])


def test_generator_draws_and_applies_each_option():
    _needs_scipy()
    gen = image.ImageDataGenerator(rotation_range=90, fill_mode="constant")
    p = gen.get_random_transform(SQUARE.shape, seed=3)
    assert -90 <= p["theta"] <= 90 and p["theta"] != 0
    np.testing.assert_allclose(gen.apply_transform(SQUARE, dict(p, theta=90)),
                               np.rot90(SQUARE, 1, axes=(0, 1)), atol=1e-5)
    # An int shift range draws whole pixels; an int range below 1 is never a fraction.
    gen = image.ImageDataGenerator(height_shift_range=[1], fill_mode="constant", cval=-1.0)
    p = gen.get_random_transform(SQUARE.shape, seed=0)
    assert abs(p["tx"]) == 1 and p["ty"] == 0
    want = np.roll(SQUARE, -int(p["tx"]), axis=1)
    want[:, -1 if p["tx"] > 0 else 0] = -1.0
    np.testing.assert_allclose(gen.random_transform(SQUARE, seed=0), want, atol=1e-6)
    with pytest.raises(ValueError, match="zoom_range"):
        image.ImageDataGenerator(zoom_range=[0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match="brightness_range"):
        image.ImageDataGenerator(brightness_range=0.5)


def _pair(cfg):
    tfk = pytest.importorskip("tf_keras")
    return (image.ImageDataGenerator(**cfg),
            tfk.preprocessing.image.ImageDataGenerator(**cfg))


def _images(cfg):
    return IMGS.transpose(0, 3, 1, 2) if cfg.get("data_format") == "channels_first" else IMGS


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: ",".join(sorted(c)))
def test_random_transform_matches_tf_keras(cfg):
    _needs_scipy()
    if "brightness_range" in cfg:
        pytest.importorskip("PIL")
    ours, theirs = _pair(cfg)
    x = _images(cfg)
    for seed in (0, 5, 123):
        a, b = ours.get_random_transform(x[0].shape, seed), theirs.get_random_transform(
            x[0].shape, seed)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k] if a[k] is not None else np.nan,
                                          b[k] if b[k] is not None else np.nan, err_msg=k)
        np.testing.assert_allclose(ours.random_transform(x[seed % 7], seed=seed),
                                   theirs.random_transform(x[seed % 7], seed=seed),
                                   rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: ",".join(sorted(c)))
def test_flow_batches_match_tf_keras(cfg):
    _needs_scipy()
    if "brightness_range" in cfg:
        pytest.importorskip("PIL")
    ours, theirs = _pair(cfg)
    x, y = _images(cfg), np.arange(7)
    a = ours.flow(x, y, batch_size=3, shuffle=True, seed=11)
    b = theirs.flow(x, y, batch_size=3, shuffle=True, seed=11)
    for _ in range(4):  # past the end of an epoch: reshuffled with the next seed
        (xa, ya), (xb, yb) = next(a), next(b)
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_allclose(xa, xb, rtol=1e-6, atol=1e-4)
    a = ours.flow(x, batch_size=4, seed=2)
    b = theirs.flow(x, batch_size=4, seed=2)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6, atol=1e-4)  # Sequence indexing


def test_module_functions_match_tf_keras():
    _needs_scipy()
    tfk = pytest.importorskip("tf_keras")
    ki = tfk.preprocessing.image
    x = IMGS[0].transpose(2, 0, 1)  # the functions' default layout is channels first
    for name, args in (("random_rotation", (35,)), ("random_shift", (0.2, 0.3)),
                       ("random_shear", (20,)), ("random_zoom", ((0.7, 1.3),)),
                       ("random_channel_shift", (20.0,))):
        np.random.seed(4)
        a = getattr(image, name)(x, *args)
        np.random.seed(4)
        b = getattr(ki, name)(x, *args)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-4, err_msg=name)
    kw = dict(theta=17, tx=1.5, ty=-2.25, shear=8, zx=0.9, zy=1.2, row_axis=0, col_axis=1,
              channel_axis=2, fill_mode="constant", cval=3.0, order=2)
    np.testing.assert_allclose(image.apply_affine_transform(IMGS[1], **kw),
                               ki.apply_affine_transform(IMGS[1], **kw), rtol=1e-6, atol=1e-4)


def test_without_scipy_or_pillow_the_errors_name_them(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    for kwargs in ({"rotation_range": 10}, {"width_shift_range": 0.1}, {"zoom_range": 0.2},
                   {"shear_range": 1.0}, {"height_shift_range": [1, 2]}):
        with pytest.raises(ValueError, match=r"needs scipy.*pip install scipy"):
            image.ImageDataGenerator(**kwargs)
    with pytest.raises(ImportError, match="pip install scipy"):
        image.apply_affine_transform(SQUARE, theta=10, row_axis=0, col_axis=1, channel_axis=2)
    # What needs no scipy still works: no transform, zoom 1, flips and channel shifts.
    np.testing.assert_array_equal(
        image.apply_affine_transform(SQUARE, row_axis=0, col_axis=1, channel_axis=2), SQUARE)
    gen = image.ImageDataGenerator(zoom_range=[1, 1], horizontal_flip=True,
                                   channel_shift_range=5.0)
    assert next(gen.flow(IMGS, batch_size=2, seed=0)).shape == (2, 6, 8, 3)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ValueError, match=r"needs Pillow.*pip install Pillow"):
        image.ImageDataGenerator(brightness_range=(0.5, 1.5))
