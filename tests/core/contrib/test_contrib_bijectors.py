"""tf.contrib.distributions.bijectors: the Bijector base (event_ndims reduction, the forward /
inverse cache, the log-det fallbacks, constant Jacobians, names, errors) and the elementwise
bijectors against numpy: each forward and inverse against the formula, each log|f'(x)| written
by hand (itself checked by finite differences), Chain / Invert / Inline composition."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import distributions_bijectors as tfb

R = np.random.default_rng(7)
F = np.float64  # parameters of the float64 cases


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name, factory, domain sampler, f, f^{-1}, log|f'(x)| (by hand)
ELEMENTWISE = [
    ("exp", tfb.Exp, lambda n: R.normal(size=n), np.exp, np.log, lambda x: x),
    ("softplus", tfb.Softplus, lambda n: R.normal(size=n), _softplus,
     lambda y: np.log(np.expm1(y)), lambda x: np.log(_sigmoid(x))),
    ("softplus_hinge", lambda: tfb.Softplus(hinge_softness=F(0.5)), lambda n: R.normal(size=n),
     lambda x: 0.5 * _softplus(x / 0.5), lambda y: 0.5 * np.log(np.expm1(y / 0.5)),
     lambda x: np.log(_sigmoid(x / 0.5))),
    ("sigmoid", tfb.Sigmoid, lambda n: R.normal(size=n), _sigmoid,
     lambda y: np.log(y / (1 - y)), lambda x: np.log(_sigmoid(x) * (1 - _sigmoid(x)))),
    ("affine_scalar", lambda: tfb.AffineScalar(shift=F(1.5), scale=F(-2.0)),
     lambda n: R.normal(size=n), lambda x: -2.0 * x + 1.5, lambda y: (y - 1.5) / -2.0,
     lambda x: np.full_like(x, math.log(2.0))),
    ("shift_only", lambda: tfb.AffineScalar(shift=F(-0.5)), lambda n: R.normal(size=n),
     lambda x: x - 0.5, lambda y: y + 0.5, np.zeros_like),
    ("identity", tfb.Identity, lambda n: R.normal(size=n), lambda x: x, lambda y: y,
     np.zeros_like),
    ("square", tfb.Square, lambda n: R.uniform(0.2, 2.0, size=n), np.square, np.sqrt,
     lambda x: np.log(2 * x)),
    ("softsign", tfb.Softsign, lambda n: R.normal(size=n), lambda x: x / (1 + abs(x)),
     lambda y: y / (1 - abs(y)), lambda x: -2 * np.log1p(abs(x))),
    ("sinh_arcsinh", lambda: tfb.SinhArcsinh(skewness=F(0.3), tailweight=F(1.7)),
     lambda n: R.normal(size=n), lambda x: np.sinh((np.arcsinh(x) + 0.3) * 1.7),
     lambda y: np.sinh(np.arcsinh(y) / 1.7 - 0.3),
     lambda x: np.log(np.cosh((np.arcsinh(x) + 0.3) * 1.7) * 1.7 / np.sqrt(1 + x * x))),
    ("gumbel", lambda: tfb.Gumbel(loc=F(0.5), scale=F(2.0)), lambda n: R.normal(size=n),
     lambda x: np.exp(-np.exp(-(x - 0.5) / 2.0)), lambda y: 0.5 - 2.0 * np.log(-np.log(y)),
     lambda x: -(x - 0.5) / 2 - np.exp(-(x - 0.5) / 2) - np.log(2.0)),
    ("power_transform", lambda: tfb.PowerTransform(power=0.5),
     lambda n: R.uniform(-1.0, 2.0, size=n), lambda x: (1 + 0.5 * x) ** 2,
     lambda y: (np.sqrt(y) - 1) / 0.5, lambda x: np.log(1 + 0.5 * x)),
    ("kumaraswamy", lambda: tfb.Kumaraswamy(concentration1=F(2.0), concentration0=F(3.0)),
     lambda n: R.uniform(0.05, 0.95, size=n), lambda x: (1 - (1 - x) ** (1 / 3.0)) ** 0.5,
     lambda y: 1 - (1 - y ** 2.0) ** 3.0,
     lambda x: -np.log(2.0 * 3.0 * ((1 - (1 - x) ** (1 / 3)) ** 0.5) ** (2.0 - 1)
                       * (1 - (1 - (1 - x) ** (1 / 3))) ** (3.0 - 1))),
    ("invert_exp", lambda: tfb.Invert(tfb.Exp()), lambda n: R.uniform(0.2, 3.0, size=n),
     np.log, np.exp, lambda x: -np.log(x)),
]


@pytest.mark.parametrize("case", ELEMENTWISE, ids=[c[0] for c in ELEMENTWISE])
def test_elementwise_formulas(case):
    _, make, sample, f, f_inv, log_df = case
    x = sample((4, 3)).astype(np.float64)
    # the hand-written log|f'| is itself right: central differences of f
    eps = 1e-6
    numeric = np.log(np.abs((f(x + eps) - f(x - eps)) / (2 * eps)))
    np.testing.assert_allclose(log_df(x), numeric, rtol=1e-4, atol=1e-6)
    b = make()
    y_np = f(x)
    x_t, y_t = tf.constant(x), tf.constant(y_np)  # separate tensors: no cache between them
    got = _run([b.forward(x_t), b.inverse(y_t), b.forward_log_det_jacobian(x_t, event_ndims=0),
                b.inverse_log_det_jacobian(y_t, event_ndims=0),
                b.forward_log_det_jacobian(x_t, event_ndims=1),
                b.inverse_log_det_jacobian(y_t, event_ndims=2)])
    fwd, inv, fldj0, ildj0, fldj1, ildj2 = got
    np.testing.assert_allclose(fwd, y_np, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(inv, x, rtol=1e-7, atol=1e-9)
    want = np.broadcast_to(log_df(x), x.shape)
    np.testing.assert_allclose(np.broadcast_to(fldj0, x.shape), want, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(np.broadcast_to(ildj0, x.shape), -want, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fldj1, want.sum(-1), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ildj2, -want.sum(), rtol=1e-7, atol=1e-9)


def test_forward_inverse_pairs_are_cached():
    b = tfb.Softplus()
    x = tf.constant([0.5, -1.0])
    y = b.forward(x)
    assert b.inverse(y) is x and b.forward(x) is y
    ildj = b.inverse_log_det_jacobian(y, event_ndims=1)
    assert b.inverse_log_det_jacobian(y, event_ndims=1) is ildj
    assert b.forward_log_det_jacobian(x, event_ndims=1) is not None
    z = b.inverse(tf.constant([1.0, 2.0]))  # a new tensor: computed, not looked up
    np.testing.assert_allclose(_run(z), np.log(np.expm1([1.0, 2.0])), rtol=1e-6)


def test_missing_log_det_comes_from_the_other_one():
    calls = []

    def inverse(y):
        calls.append("inverse")
        return tf.log(y)

    only_fldj = tfb.Inline(forward_fn=tf.exp, inverse_fn=inverse,
                           forward_log_det_jacobian_fn=lambda x: x, forward_min_event_ndims=0)
    y = tf.constant([[1.0, 2.0, 4.0]])
    ildj = only_fldj.inverse_log_det_jacobian(y, event_ndims=1)  # -fldj(inverse(y))
    x = only_fldj.inverse(y)  # found in the cache the fallback filled
    assert calls == ["inverse"]
    got = _run([ildj, x])
    np.testing.assert_allclose(got[0], [-np.log(8.0)], rtol=1e-6)  # -sum(log y)
    np.testing.assert_allclose(got[1], np.log([[1.0, 2.0, 4.0]]), rtol=1e-6)
    only_ildj = tfb.Inline(forward_fn=tf.exp, inverse_fn=tf.log,
                           inverse_log_det_jacobian_fn=lambda y: -tf.log(y),
                           forward_min_event_ndims=0)
    x2 = tf.constant([0.5, 1.5])
    np.testing.assert_allclose(_run(only_ildj.forward_log_det_jacobian(x2, event_ndims=0)),
                               [0.5, 1.5], rtol=1e-6)
    neither = tfb.Inline(forward_fn=tf.exp, forward_min_event_ndims=0)
    with pytest.raises(NotImplementedError, match="inverse_log_det_jacobian_fn"):
        neither.inverse_log_det_jacobian(x2, event_ndims=0)


def test_constant_jacobian_is_computed_once_and_tiled_over_events():
    b = tfb.AffineScalar(scale=3.0)
    y1, y2 = tf.ones([2, 4]), tf.zeros([2, 4])
    first = b.inverse_log_det_jacobian(y1, event_ndims=1)
    assert b.inverse_log_det_jacobian(y2, event_ndims=1) is first
    # one event's log-det (summed over its 4 entries), left to broadcast over the batch
    assert b.is_constant_jacobian and first.shape.as_list() == []
    fldj = b.forward_log_det_jacobian(y2, event_ndims=1)
    np.testing.assert_allclose(_run([first, fldj]), [-4 * np.log(3.0), 4 * np.log(3.0)],
                               rtol=1e-6)


def test_dynamic_event_ndims_reduces_at_run_time():
    b = tfb.Exp(validate_args=True)
    n = tf.placeholder(tf.int32, [])
    x = np.arange(6.0).reshape(2, 3)
    fldj = b.forward_log_det_jacobian(tf.constant(x), event_ndims=n)
    np.testing.assert_allclose(_run(fldj, {n: 1}), x.sum(-1))
    np.testing.assert_allclose(_run(fldj, {n: 2}), x.sum())
    chol = tfb.CholeskyOuterProduct(validate_args=True)
    small = chol.forward_log_det_jacobian(tf.constant(np.eye(2)), event_ndims=n)
    with pytest.raises(tf.errors.InvalidArgumentError, match="min_event_ndims"):
        _run(small, {n: 1})


def test_event_ndims_below_the_minimum_is_an_error():
    affine = tfb.Affine(shift=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"event_ndims \(0\) must be larger than "
                       r"min_event_ndims \(1\) of bijector 'affine'"):
        affine.forward_log_det_jacobian(tf.ones([2]), event_ndims=0)
    with pytest.raises(ValueError, match="integer dtype"):
        tfb.Exp().inverse_log_det_jacobian(tf.ones([2]), event_ndims=1.0)
    with pytest.raises(ValueError, match="scalar event_ndims"):
        tfb.Exp().inverse_log_det_jacobian(tf.ones([2]), event_ndims=[1])


@pytest.mark.parametrize("make, method, bad, good, message", [
    (lambda: tfb.Square(validate_args=True), "forward", [-1.0, 2.0], [1.0, 2.0],
     "non-negative"),
    (lambda: tfb.Softsign(validate_args=True), "inverse", [0.5, 1.5], [0.5, -0.5],
     "less than 1"),
    (lambda: tfb.Gumbel(validate_args=True), "inverse", [0.5, 1.5], [0.5, 1.0],
     "less than or equal to 1"),
    (lambda: tfb.PowerTransform(0.5, validate_args=True), "forward", [-3.0], [-1.0],
     "at least -2.0"),
    (lambda: tfb.PowerTransform(0.5, validate_args=True), "inverse", [-3.0], [3.0],
     "greater than 0"),
    (lambda: tfb.Ordered(validate_args=True), "forward", [1.0, 0.5], [1.0, 1.5],
     "strictly increasing"),
    (lambda: tfb.AbsoluteValue(validate_args=True), "inverse", [-1.0], [1.0], "y was negative"),
    (lambda: tfb.Kumaraswamy(2.0, 3.0, validate_args=True), "forward", [1.5], [0.5],
     "no larger than"),
])
def test_validate_args_rejects_bad_inputs(make, method, bad, good, message):
    fed = tf.placeholder(tf.float32, [None])  # checked at run time
    out = getattr(make(), method)(fed)
    out = out[1] if isinstance(out, tuple) else out
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _run(out, {fed: bad})
    _run(out, {fed: good})


@pytest.mark.parametrize("make, bad, message", [
    (lambda p: tfb.SinhArcsinh(tailweight=p, validate_args=True), -1.0,
     "tailweight was not positive"),
    (lambda p: tfb.AffineScalar(scale=p, validate_args=True), 0.0, "x != y did not hold"),
    (lambda p: tfb.Gumbel(scale=p, validate_args=True), 0.0, "scale was not positive"),
    (lambda p: tfb.Kumaraswamy(concentration0=p, validate_args=True), -2.0,
     "Concentration parameter must be positive"),
    (lambda p: tfb.Softplus(hinge_softness=p, validate_args=True), 0.0,
     "hinge_softness must be non-zero"),
])
def test_validate_args_checks_parameters(make, bad, message):
    param = tf.placeholder(tf.float32, [])
    out = make(param).forward(tf.constant([0.5]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _run(out, {param: bad})
    _run(out, {param: 2.0})


def test_construction_errors_name_what_is_wrong():
    with pytest.raises(TypeError, match="abstract"):
        tfb.Bijector(forward_min_event_ndims=0)

    class NoMin(tfb.Bijector):
        def __init__(self, **kw):
            super().__init__(**kw)

    with pytest.raises(ValueError, match="at least one of `forward_min_event_ndims`"):
        NoMin()
    with pytest.raises(ValueError, match="non-negative"):
        NoMin(forward_min_event_ndims=-1)
    with pytest.raises(TypeError, match="forward_min_event_ndims to be of type int"):
        NoMin(forward_min_event_ndims=1.0)
    with pytest.raises(ValueError, match="Graph parent item 0 is not a Tensor"):
        NoMin(forward_min_event_ndims=0, graph_parents=[1.0])
    with pytest.raises(ValueError, match="non-negative TF constant"):
        tfb.PowerTransform(power=-1.0)
    with pytest.raises(NotImplementedError, match="non-injective"):
        tfb.Invert(tfb.AbsoluteValue())
    with pytest.raises(NotImplementedError, match="non-injective bijector"):
        tfb.Chain([tfb.Exp(), tfb.AbsoluteValue()])
    with pytest.raises(TypeError, match="Input had dtype float64 but bijector 'typed' expected "
                       "float32"):
        NoMin(forward_min_event_ndims=0, dtype=tf.float32, name="typed").forward(
            tf.constant([1.0], tf.float64))


def test_names_and_properties():
    class MyFancyBijector(tfb.Bijector):
        def __init__(self):
            super().__init__(forward_min_event_ndims=0)

    assert MyFancyBijector().name == "my_fancy_bijector"
    assert tfb.Exp().name == "exp" and tfb.Softplus().name == "softplus"
    assert tfb.Chain([tfb.Exp(), tfb.Softplus()]).name == "chain_of_exp_of_softplus"
    assert tfb.Chain().name == "identity"
    assert tfb.Invert(tfb.Exp()).name == "invert_exp"
    shift = tf.constant(1.0)
    b = tfb.AffineScalar(shift=shift, validate_args=True)
    assert b.validate_args and b.shift is shift
    assert (b.forward_min_event_ndims, b.inverse_min_event_ndims) == (0, 0)
    ft = tfb.FillTriangular()
    assert (ft.forward_min_event_ndims, ft.inverse_min_event_ndims) == (1, 2)
    inv = tfb.Invert(ft)
    assert (inv.forward_min_event_ndims, inv.inverse_min_event_ndims) == (2, 1)
    y = b.forward(tf.constant([1.0]), name="fwd")
    assert y.op.name.startswith("affine_scalar") and "/fwd/" in y.op.name


def test_chain_applies_right_to_left_and_sums_log_dets():
    chain = tfb.Chain([tfb.Exp(), tfb.Softplus()])  # exp(softplus(x)) = 1 + exp(x)
    x = np.array([[-1.0, 0.0, 2.0]])
    y = 1.0 + np.exp(x)
    got = _run([chain.forward(tf.constant(x)), chain.inverse(tf.constant(y)),
                chain.forward_log_det_jacobian(tf.constant(x), event_ndims=1),
                chain.inverse_log_det_jacobian(tf.constant(y), event_ndims=0)])
    np.testing.assert_allclose(got[0], y, rtol=1e-12)
    np.testing.assert_allclose(got[1], x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[2], x.sum(-1), rtol=1e-9)  # d(1 + e^x)/dx = e^x
    np.testing.assert_allclose(got[3], -np.log(y - 1), rtol=1e-9)


@pytest.mark.parametrize("bijectors, fwd_min, inv_min", [
    ([tfb.Exp(), tfb.Softplus()], 0, 0),
    ([tfb.Affine(shift=[1.0]), tfb.Exp()], 1, 1),
    ([tfb.CholeskyOuterProduct(), tfb.FillTriangular()], 1, 2),  # vector -> matrix -> matrix
    ([tfb.Invert(tfb.FillTriangular()), tfb.CholeskyOuterProduct()], 2, 1),
    ([tfb.FillTriangular(), tfb.Exp()], 1, 2),
    ([tfb.Exp(), tfb.FillTriangular()], 1, 2),
    ([tfb.SoftmaxCentered(), tfb.Affine(shift=[1.0, 2.0])], 1, 1),
])
def test_chain_min_event_ndims(bijectors, fwd_min, inv_min):
    chain = tfb.Chain(bijectors)
    assert (chain.forward_min_event_ndims, chain.inverse_min_event_ndims) == (fwd_min, inv_min)


def test_chain_through_a_rank_changing_bijector():
    # y = exp(fill_triangular(x)): the Exp acts on matrices, so its log-det covers all 9
    # entries of each (the zeros above the diagonal too: exp(0) = 1, log-det 0 there).
    chain = tfb.Chain([tfb.Exp(), tfb.FillTriangular()])
    x = R.normal(size=(2, 6))
    fldj = chain.forward_log_det_jacobian(tf.constant(x), event_ndims=1)
    y = chain.forward(tf.constant(x))
    ildj = chain.inverse_log_det_jacobian(tf.constant(np.exp(np.tril(np.ones((3, 3))))),
                                          event_ndims=2)
    got = _run([fldj, y, ildj])
    np.testing.assert_allclose(got[0], x.sum(-1), rtol=1e-9)
    assert got[1].shape == (2, 3, 3)
    np.testing.assert_allclose(got[2], -6.0, rtol=1e-9)
    assert chain.forward_event_shape([6]).as_list() == [3, 3]
    assert chain.inverse_event_shape([4, 4]).as_list() == [10]
    np.testing.assert_array_equal(_run(chain.forward_event_shape_tensor([6])), [3, 3])


def test_invert_swaps_everything():
    b = tfb.Invert(tfb.SoftmaxCentered())
    assert b.forward_event_shape([4]).as_list() == [3]
    assert b.inverse_event_shape([3]).as_list() == [4]
    y = np.array([0.2, 0.3, 0.4, 0.1])
    x = _run(b.forward(tf.constant(y)))
    np.testing.assert_allclose(x, np.log(y[:3] / y[3]), rtol=1e-9)
    fldj = _run(b.forward_log_det_jacobian(tf.constant(y), event_ndims=1))
    np.testing.assert_allclose(fldj, -np.log(y).sum(), rtol=1e-9)
    twice = tfb.Invert(tfb.Invert(tfb.Exp()))
    np.testing.assert_allclose(_run(twice.forward(tf.constant([1.0]))), [np.e], rtol=1e-6)


def test_absolute_value_has_two_branches():
    b = tfb.AbsoluteValue()
    assert not b._is_injective and b.is_constant_jacobian
    y = tf.constant([0.0, 2.0])
    neg, pos = b.inverse(y)
    ildj = b.inverse_log_det_jacobian(y, event_ndims=1)
    got = _run([b.forward(tf.constant([-3.0, 3.0])), neg, pos, ildj])
    np.testing.assert_allclose(got[0], [3.0, 3.0])
    np.testing.assert_allclose(got[1], [-0.0, -2.0])
    np.testing.assert_allclose(got[2], [0.0, 2.0])
    assert [float(v) for v in got[3]] == [0.0, 0.0]
    with pytest.raises(NotImplementedError, match="non-injective"):
        b.forward_log_det_jacobian(y, event_ndims=0)


def test_conditional_bijector_passes_kwargs_and_keys_its_cache_by_them():
    class ShiftBy(tfb.ConditionalBijector):
        def __init__(self):
            super().__init__(forward_min_event_ndims=0, name="shift_by")

        def _forward(self, x, z=None):
            return x + z

        def _inverse(self, y, z=None):
            return y - z

        def _inverse_log_det_jacobian(self, y, z=None):
            return tf.zeros_like(y)

    b = ShiftBy()
    x = tf.constant([1.0, 2.0])
    y1, y2 = b.forward(x, z=1.0), b.forward(x, z=5.0)
    assert y1 is not y2 and b.forward(x, z=1.0) is y1
    assert b.inverse(y1, z=1.0) is x
    fldj = b.forward_log_det_jacobian(x, event_ndims=1, z=1.0)
    got = _run([y1, y2, fldj])
    np.testing.assert_allclose(got[0], [2.0, 3.0])
    np.testing.assert_allclose(got[1], [6.0, 7.0])
    assert float(got[2]) == 0.0


def test_log_det_gradients():
    x = tf.constant([0.3, -1.2])
    scale = tf.constant(2.0)
    fldj = tfb.Softplus().forward_log_det_jacobian(x, event_ndims=1)
    affine = tfb.AffineScalar(scale=scale).forward_log_det_jacobian(x, event_ndims=1)
    gx, gs = tf.gradients(fldj, x)[0], tf.gradients(affine, scale)[0]
    got = _run([gx, gs])
    # d/dx log sigmoid(x) = 1 - sigmoid(x); d/ds (2 log s) = 2 / s
    np.testing.assert_allclose(got[0], 1 - _sigmoid(np.array([0.3, -1.2])), rtol=1e-6)
    np.testing.assert_allclose(got[1], 2 / 2.0, rtol=1e-6)
