"""The selection-based top_k, multiplication-based small integer pow and scatter-based one_hot
kernels against independent references (a full sort, float64 np.power, a loop). No TF."""
import numpy as np
import pytest

from minitf.ops.gather_ops import _top_k_kernel
from minitf.ops.math_ops import _pow_kernel
from minitf.ops.transform_ops import _one_hot_kernel


def _top_k_reference(x, k):
    """Each row sorted by (value descending, index ascending), NaNs last by index."""
    vals, idxs = [], []
    for row in x.reshape(-1, x.shape[-1]):
        v = row.tolist()  # Python numbers: no overflow negating INT_MIN
        key = sorted(range(row.size), key=lambda j: (v[j] != v[j], 0 if v[j] != v[j] else -v[j],
                                                     j))
        idxs.append(key[:k])
        vals.append(row[key[:k]])
    shape = x.shape[:-1] + (k,)
    return np.array(vals, x.dtype).reshape(shape), np.array(idxs, np.int64).reshape(shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.uint8,
                                   np.int64])
@pytest.mark.parametrize("n,k", [(300, 1), (300, 5), (300, 37), (1000, 3), (1000, 12),
                                 (64, 8), (20, 2), (10, 10), (5, 0)])
def test_top_k_matches_full_sort_with_ties(dtype, n, k):
    rng = np.random.default_rng(n * 100 + k)
    for spread in (3, 50, 10 ** 6):  # many ties, some ties, (almost) none
        x = rng.integers(-spread, spread, size=(7, n))
        if np.dtype(dtype).kind == "u":
            x = np.abs(x) % 256
        x = x.astype(dtype)
        if np.dtype(dtype).kind == "f":
            x[0, ::7] = np.inf
            x[1, ::5] = -np.inf
            x[2] = -0.0
            x[2, ::3] = 0.0
        else:
            info = np.iinfo(dtype)
            x[1, ::4] = info.min
            x[2, ::6] = info.max
        x[3] = x[3, 0]  # one row all equal
        want_v, want_i = _top_k_reference(x, k)
        got_v, got_i = _top_k_kernel(x, k, sorted=True)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_v, want_v)
        assert got_i.dtype == np.int32 and got_v.dtype == x.dtype


def test_top_k_nans_and_higher_rank():
    rng = np.random.default_rng(1)
    x = rng.integers(-4, 4, size=(2, 3, 400)).astype(np.float32)
    x[0, 1, ::9] = np.nan
    for k in (1, 4, 30):
        want_v, want_i = _top_k_reference(x, k)
        got_v, got_i = _top_k_kernel(x, k, sorted=False)  # sorted=False returns sorted too
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_v, want_v)


def _ulps(a, b):
    a = a.astype(np.float32).view(np.int32).astype(np.int64)
    b = b.astype(np.float32).view(np.int32).astype(np.int64)
    return np.abs(a - b)


@pytest.mark.parametrize("n", [-4, -3, -2, -1, 0, 1, 2, 3, 4])
def test_pow_small_integer_exponent(n):
    rng = np.random.default_rng(n + 10)
    x = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.integers(-12, 12, 20000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, -1e-30,
                         3.4e38, 1e-45, -1e-45, 1.0, -1.0]]).astype(np.float32)
    with np.errstate(all="ignore"):
        want = np.power(x.astype(np.float64), float(n)).astype(np.float32)
        old = np.power(x, np.float32(n))
    for y in (np.float32(n), np.full((1, 1), n, np.float32)):
        got = _pow_kernel(x, y)
        assert got.dtype == np.float32
        assert got.shape == np.broadcast_shapes(x.shape, y.shape)
        got = got.reshape(x.shape)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        finite = ~np.isnan(want)
        assert (_ulps(got, want)[finite] == 0).all()  # correctly rounded
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        np.testing.assert_array_equal(got[~np.isfinite(old)], old[~np.isfinite(old)])


def test_pow_other_exponents_unchanged():
    x = np.array([-2.0, 0.0, 0.5, 3.0], np.float32)
    for y in (np.float32(2.5), np.float32(5), np.float32(np.nan),
              np.array([1, 2, 3, 4], np.float32)):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(_pow_kernel(x, y), np.power(x, y))
    np.testing.assert_array_equal(_pow_kernel(np.array([2, 3]), np.array(3)), [8, 27])


def _one_hot_reference(idx, depth, on, off, axis):
    a = idx.ndim if axis == -1 else axis
    out = np.empty(idx.shape[:a] + (depth,) + idx.shape[a:], np.asarray(on).dtype)
    for pos in np.ndindex(*idx.shape):
        for d in range(depth):
            out[pos[:a] + (d,) + pos[a:]] = on if idx[pos] == d else off
    return out


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2)])
def test_one_hot_matches_loop(shape):
    rng = np.random.default_rng(len(shape))
    for dtype in (np.int32, np.int64, np.uint8):
        idx = rng.integers(-3, 8, size=shape)
        if dtype == np.uint8:
            idx = np.abs(idx)
        idx = np.asarray(idx, dtype)
        for depth in (0, 1, 5):
            for axis in range(-1, idx.ndim + 1):
                for on, off in ((np.float32(1), np.float32(0)), (np.int64(7), np.int64(-2)),
                                (np.bool_(True), np.bool_(False))):
                    got = _one_hot_kernel(idx, depth, on, off, axis=axis)
                    want = _one_hot_reference(idx, depth, on, off, axis)
                    assert got.dtype == want.dtype and got.shape == want.shape
                    np.testing.assert_array_equal(got, want)
